package consumer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/klauspost/compress/gzip"
)

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
