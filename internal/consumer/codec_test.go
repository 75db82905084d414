package consumer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/pierrec/lz4/v4"
)

// LZ4 frames as pierrec's writer makes them (kafka-go's): 4 MiB blocks
// compressed far more than 16 times, 64 KiB blocks with
// checksums, a frame that states its size.
func TestUnlz4(t *testing.T) {
	text := bytes.Repeat([]byte(`{"id":"0123","type":"login","actor":{"email":"é@example.com"}}`), 100_000)
	for _, in := range [][]byte{make([]byte, 5<<20), text, text[:100], nil} {
		for _, opts := range [][]lz4.Option{nil, {lz4.BlockSizeOption(lz4.Block64Kb), lz4.ChecksumOption(true), lz4.BlockChecksumOption(true)}, {lz4.SizeOption(uint64(len(in)))}} {
			var z bytes.Buffer
			w := lz4.NewWriter(&z)
			if err := w.Apply(opts...); err != nil {
				t.Fatal(err)
			}
			_, _ = w.Write(in)
			_ = w.Close()
			got, err := unlz4(z.Bytes(), []byte("prefix"))
			if err != nil || !bytes.Equal(got, append([]byte("prefix"), in...)) {
				t.Errorf("unlz4 of %d bytes with %d options: %d bytes, %v", len(in), len(opts), len(got), err)
			}
		}
	}
}

// Decompressing an LZ4 batch into a buffer with room allocates nothing:
// it happens for every batch.
func TestUnlz4Allocs(t *testing.T) {
	var z bytes.Buffer
	w := lz4.NewWriter(&z)
	_, _ = w.Write(bytes.Repeat([]byte(`{"id":"0123","type":"login"}`), 1000))
	_ = w.Close()
	dst := make([]byte, 0, 8<<20)
	if allocs := testing.AllocsPerRun(100, func() { _, _ = unlz4(z.Bytes(), dst) }); allocs != 0 {
		t.Errorf("unlz4: %v allocations, want 0", allocs)
	}
}

// A batch that claims or decompresses to more than maxDecompressed is an
// error, not an allocation of that size.
func TestDecompressBounded(t *testing.T) {
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	zeros := make([]byte, 1<<20)
	for range maxDecompressed>>20 + 1 {
		_, _ = w.Write(zeros)
	}
	_ = w.Close()
	snappyHuge := binary.AppendUvarint(nil, 1<<32-1) // a block's declared length
	var c codecs
	for name, in := range map[string]struct {
		codec int
		src   []byte
	}{"gzip bomb": {codecGzip, gz.Bytes()}, "snappy length": {codecSnappy, snappyHuge}} {
		if _, err := c.decompress(in.codec, in.src, nil); !errors.Is(err, errTooLarge) {
			t.Errorf("%s: error %v, want %v", name, err, errTooLarge)
		}
	}
}
