package consumer

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pierrec/lz4/v4"
	"github.com/segmentio/kafka-go"
)

// testRecord is a record of a hand-built batch; a nil key or value is
// written as null (-1), an empty one as length 0.
type testRecord struct {
	offsetDelta, tsDelta int64
	key, value           []byte
	headers              []kafka.Header
}

// buildBatch encodes an uncompressed record batch (magic 2) with a valid
// CRC.
func buildBatch(base int64, attrs int16, lastDelta int32, baseTS, maxTS int64, recs []testRecord) []byte {
	var body []byte
	for _, r := range recs {
		var rec []byte
		rec = append(rec, 0)
		rec = binary.AppendVarint(rec, r.tsDelta)
		rec = binary.AppendVarint(rec, r.offsetDelta)
		rec = appendField(rec, r.key)
		rec = appendField(rec, r.value)
		rec = binary.AppendVarint(rec, int64(len(r.headers)))
		for _, h := range r.headers {
			rec = appendField(rec, []byte(h.Key))
			rec = appendField(rec, h.Value)
		}
		body = binary.AppendVarint(body, int64(len(rec)))
		body = append(body, rec...)
	}
	b := make([]byte, batchHeaderSize, batchHeaderSize+len(body))
	binary.BigEndian.PutUint64(b[0:], uint64(base))
	binary.BigEndian.PutUint32(b[8:], uint32(batchHeaderSize-batchLengthEnd+len(body)))
	b[16] = 2
	binary.BigEndian.PutUint16(b[21:], uint16(attrs))
	binary.BigEndian.PutUint32(b[23:], uint32(lastDelta))
	binary.BigEndian.PutUint64(b[27:], uint64(baseTS))
	binary.BigEndian.PutUint64(b[35:], uint64(maxTS))
	binary.BigEndian.PutUint64(b[43:], ^uint64(0)) // producer id -1
	binary.BigEndian.PutUint16(b[51:], 0xFFFF)
	binary.BigEndian.PutUint32(b[53:], 0xFFFFFFFF)
	binary.BigEndian.PutUint32(b[57:], uint32(len(recs)))
	b = append(b, body...)
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[crcStart:], castagnoli))
	return b
}

func appendField(b, v []byte) []byte {
	if v == nil {
		return binary.AppendVarint(b, -1)
	}
	b = binary.AppendVarint(b, int64(len(v)))
	return append(b, v...)
}

const ts0 = 1_767_225_600_000 // 2026-01-01, in milliseconds

func TestDecodeAll(t *testing.T) {
	hdrs := []kafka.Header{{Key: "eventId", Value: []byte("e1")}, {Key: "eventId", Value: []byte("e2")}, {Key: "", Value: nil}, {Key: "empty", Value: []byte{}}}
	recs := []testRecord{
		{offsetDelta: 0, tsDelta: 0, key: []byte("k0"), value: []byte("v0"), headers: hdrs},
		{offsetDelta: 1, tsDelta: 5, key: nil, value: nil},
		{offsetDelta: 3, tsDelta: 7, key: []byte{}, value: []byte("é\x00]\"\\")}, // offset 2 compacted away
	}
	batch := buildBatch(100, 0, 4, ts0, ts0+7, recs)
	second := buildBatch(105, 0, 0, ts0+9, ts0+9, []testRecord{{key: []byte("k5"), value: []byte("v5")}})
	msg := func(off int64, ts int64, k, v []byte, h []kafka.Header) kafka.Message {
		return kafka.Message{Topic: "t", Partition: 2, Offset: off, HighWaterMark: 200, Time: time.UnixMilli(ts).UTC(), Key: k, Value: v, Headers: h}
	}
	// As kafka-go: an empty key, value or header value is nil.
	wantHdrs := []kafka.Header{{Key: "eventId", Value: []byte("e1")}, {Key: "eventId", Value: []byte("e2")}, {Key: ""}, {Key: "empty"}}
	all := []kafka.Message{
		msg(100, ts0, []byte("k0"), []byte("v0"), wantHdrs),
		msg(101, ts0+5, nil, nil, nil),
		msg(103, ts0+7, nil, []byte("é\x00]\"\\"), nil),
		msg(105, ts0+9, []byte("k5"), []byte("v5"), nil),
	}
	logAppend := buildBatch(100, attrLogAppendTime, 1, ts0, ts0+999, []testRecord{{key: []byte("a")}, {offsetDelta: 1, tsDelta: 3, key: []byte("b")}})
	control := buildBatch(106, attrControl, 0, ts0, ts0, []testRecord{{key: []byte{0, 0, 0, 1}, value: []byte{0, 0, 0, 0, 0, 0}}})
	legacy := append(make([]byte, 16), 1, 0, 0, 0) // magic 1

	tests := []struct {
		name      string
		in        []byte
		from      int64
		want      []kafka.Message
		wantNext  int64
		wantBytes int
	}{
		{"two batches", cat(batch, second), 100, all, 106, len(batch) + len(second)},
		{"from inside the first batch", cat(batch, second), 101, all[1:], 106, len(batch) + len(second)},
		{"from a compacted offset", cat(batch, second), 102, all[2:], 106, len(batch) + len(second)},
		{"a whole batch before from", cat(batch, second), 105, all[3:], 106, len(batch) + len(second)},
		{"truncated last batch", cat(batch, second[:len(second)-1]), 100, all[:3], 105, len(batch)},
		{"truncated header", cat(batch, second[:20]), 100, all[:3], 105, len(batch)},
		{"control batch skipped", cat(batch, second, control), 100, all, 107, len(batch) + len(second) + len(control)},
		{"legacy message set stops", cat(batch, legacy, second), 100, all[:3], 105, len(batch)},
		{"log append time", logAppend, 0, []kafka.Message{
			{Topic: "t", Partition: 2, Offset: 100, HighWaterMark: 200, Time: time.UnixMilli(ts0 + 999).UTC(), Key: []byte("a")},
			{Topic: "t", Partition: 2, Offset: 101, HighWaterMark: 200, Time: time.UnixMilli(ts0 + 999).UTC(), Key: []byte("b")},
		}, 102, len(logAppend)},
		{"empty", nil, 7, nil, 7, 0},
	}
	for _, tt := range tests {
		d := newDecoder("t", 2)
		got, next, used, err := d.decodeAll(nil, tt.in, tt.from, 200)
		if err != nil {
			t.Errorf("%s: decodeAll error %v", tt.name, err)
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: decodeAll =\n%+v\nwant\n%+v", tt.name, got, tt.want)
		}
		if next != tt.wantNext || used != tt.wantBytes {
			t.Errorf("%s: next %d, used %d bytes, want %d, %d", tt.name, next, used, tt.wantNext, tt.wantBytes)
		}
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// A batch whose bytes changed is an error, wherever the change is: the
// reader reconnects and fetches it again; nothing is skipped.
func TestDecodeAllCorruptBatchIsAnError(t *testing.T) {
	batch := buildBatch(0, 0, 1, ts0, ts0, []testRecord{{key: []byte("k"), value: []byte("value")}, {offsetDelta: 1, value: []byte("v2")}})
	for _, i := range []int{crcStart, 30, batchHeaderSize + 3, len(batch) - 1} {
		b := bytes.Clone(batch)
		b[i] ^= 0x10
		got, next, _, err := newDecoder("t", 0).decodeAll(nil, b, 0, 2)
		if !errors.Is(err, errCorrupt) || len(got) != 0 || next != 0 {
			t.Errorf("byte %d flipped: %d records, next %d, error %v; want none, 0, a corrupt batch", i, len(got), next, err)
		}
	}
}

// The headers of a batch share one allocation, and appending to one
// record's headers does not overwrite the next record's.
func TestHeadersAreCappedPerRecord(t *testing.T) {
	h := []kafka.Header{{Key: "a", Value: []byte("1")}}
	b := buildBatch(0, 0, 1, ts0, ts0, []testRecord{{value: []byte("x"), headers: h}, {offsetDelta: 1, value: []byte("y"), headers: h}})
	got, _, _, err := newDecoder("t", 0).decodeAll(nil, b, 0, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("decodeAll: %d records, %v", len(got), err)
	}
	_ = append(got[0].Headers, kafka.Header{Key: "z"})
	_ = append(got[0].Value, 'z')
	if got[1].Headers[0].Key != "a" || string(got[1].Value) != "y" {
		t.Fatalf("appending to record 0 changed record 1: %+v", got[1])
	}
}

func BenchmarkDecodeBatch(b *testing.B) {
	recs := make([]testRecord, 500)
	for i := range recs {
		recs[i] = testRecord{offsetDelta: int64(i), tsDelta: int64(i), key: []byte("app-12345"),
			value: bytes.Repeat([]byte("x"), 600), headers: []kafka.Header{{Key: "eventId", Value: []byte("0123456789abcdef")}, {Key: "type", Value: []byte("login")}}}
	}
	batch := buildBatch(0, 0, 499, ts0, ts0+499, recs)
	d := newDecoder("t", 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(batch)))
	var msgs []kafka.Message
	for b.Loop() {
		var err error
		if msgs, _, _, err = d.decodeAll(msgs[:0], batch, 0, 500); err != nil || len(msgs) != 500 {
			b.Fatal(len(msgs), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/record")
}

// FuzzDecodeBatch: any input decodes without panicking, and every record
// it returns is one the input holds: an offset at or after from, inside its
// batch, in order, and keys, values and header values that are bytes of the
// input (uncompressed batches).
func FuzzDecodeBatch(f *testing.F) {
	h := []kafka.Header{{Key: "k", Value: []byte("v")}}
	f.Add(buildBatch(0, 0, 2, ts0, ts0, []testRecord{{key: []byte("a"), value: []byte("b"), headers: h}, {offsetDelta: 2, value: []byte("c")}}), int64(0))
	f.Add(buildBatch(5, attrControl, 0, ts0, ts0, []testRecord{{key: []byte{0, 0, 0, 0}}}), int64(3))
	f.Add(cat(buildBatch(0, 0, 0, 0, 0, []testRecord{{}}), buildBatch(1, 0, 0, 0, 0, []testRecord{{value: []byte("x")}})), int64(1))
	f.Fuzz(func(t *testing.T, in []byte, from int64) {
		// Fuzzed bytes rarely carry a valid CRC: fix it up, so the records
		// get decoded, when the input looks like one batch.
		if len(in) >= batchHeaderSize && int(int32(binary.BigEndian.Uint32(in[8:])))+batchLengthEnd == len(in) {
			in = bytes.Clone(in)
			binary.BigEndian.PutUint32(in[17:], crc32.Checksum(in[crcStart:], castagnoli))
		}
		msgs, next, used, err := newDecoder("t", 0).decodeAll(nil, in, from, 0)
		if used < 0 || used > len(in) || (err == nil && next < from) {
			t.Fatalf("used %d of %d bytes, next %d from %d", used, len(in), next, from)
		}
		prev := from - 1
		for _, m := range msgs {
			if m.Offset <= prev || (err == nil && m.Offset >= next) {
				t.Fatalf("offset %d after %d, next %d", m.Offset, prev, next)
			}
			prev = m.Offset
			parts := [][]byte{m.Key, m.Value}
			for _, h := range m.Headers {
				parts = append(parts, []byte(h.Key), h.Value)
			}
			for _, p := range parts {
				if !bytes.Contains(in, p) {
					t.Fatalf("record %d holds %q, not in the input", m.Offset, p)
				}
			}
		}
	})
}

// lz4Batch is buildBatch with its records compressed by LZ4 (as kafka-go
// writes them).
func lz4Batch(t testing.TB, base int64, recs []testRecord) []byte {
	plain := buildBatch(base, 0, int32(len(recs)-1), ts0, ts0, recs)
	var z bytes.Buffer
	w := lz4.NewWriter(&z)
	if _, err := w.Write(plain[batchHeaderSize:]); err != nil || w.Close() != nil {
		t.Fatal("lz4", err)
	}
	b := append(bytes.Clone(plain[:batchHeaderSize]), z.Bytes()...)
	binary.BigEndian.PutUint32(b[8:], uint32(batchHeaderSize-batchLengthEnd+z.Len()))
	binary.BigEndian.PutUint16(b[21:], codecLZ4)
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[crcStart:], castagnoli))
	return b
}

// Readers share the buffers batches are decompressed into: the records
// handed over are copies, so a batch another reader decompresses later,
// in the same buffer, leaves them as they were, and readers decompressing
// at the same time do not mix their records.
func TestSharedDecompressionBuffers(t *testing.T) {
	batchOf := func(tag string) []byte {
		var recs []testRecord
		for i := range 200 {
			recs = append(recs, testRecord{offsetDelta: int64(i), value: fmt.Appendf(nil, `{"eventId":"%s-%d","pad":%q}`, tag, i, strings.Repeat(tag, 100))})
		}
		return lz4Batch(t, 0, recs)
	}
	// check reports with Errorf: it runs in the readers' goroutines too,
	// where Fatalf must not be called.
	check := func(got []kafka.Message, tag string) {
		t.Helper()
		if len(got) != 200 {
			t.Errorf("%s: %d records, want 200", tag, len(got))
			return
		}
		for i, m := range got {
			if want := fmt.Sprintf(`{"eventId":"%s-%d","pad":%q}`, tag, i, strings.Repeat(tag, 100)); string(m.Value) != want {
				t.Errorf("%s: record %d = %.60s…, want %.60s…", tag, i, m.Value, want)
				return
			}
		}
	}
	first, _, _, err := newDecoder("t", 0).decodeAll(nil, batchOf("a"), 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for p, tag := range []string{"b", "c", "d", "e", "f", "g"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := newDecoder("t", p+1)
			for range 20 {
				got, _, _, err := d.decodeAll(nil, batchOf(tag), 0, 200)
				if err != nil {
					t.Error(err)
					return
				}
				check(got, tag)
			}
		}()
	}
	wg.Wait()
	check(first, "a")
}

// decodeAll decodes the whole record batches at the start of b, a fetch
// response's records, as partConn.fetch does from the network (the tests'
// reference for it, and the decoding benchmark's loop): it appends to dst
// the records at offset from or later, and returns them, the offset after
// the last whole batch (from when there is none), and how many bytes the
// batches took. It stops at a truncated batch or a legacy message set
// (magic 0 or 1).
func (d *decoder) decodeAll(dst []kafka.Message, b []byte, from, hwm int64) (msgs []kafka.Message, next int64, used int, err error) {
	msgs, next = dst, from
	for len(b)-used >= batchMagicEnd {
		rest := b[used:]
		length := int32(binary.BigEndian.Uint32(rest[8:]))
		if int8(rest[16]) < 2 {
			break
		}
		if length < batchHeaderSize-batchLengthEnd {
			return msgs, next, used, fmt.Errorf("%w: length %d", errCorrupt, length)
		}
		size := batchLengthEnd + int(length)
		if size > len(rest) {
			break
		}
		more, err := d.batch(rest[:batchHeaderSize], rest[batchHeaderSize:size], false, next, hwm)
		for err == nil && more {
			msgs = append(msgs, kafka.Message{})
			if more, err = d.next(&msgs[len(msgs)-1]); !more {
				msgs = msgs[:len(msgs)-1]
			} else {
				next = msgs[len(msgs)-1].Offset + 1
			}
		}
		if err != nil {
			return msgs, next, used, err
		}
		next = max(next, parseBatchHeader(rest).lastOffset()+1)
		used += size
	}
	return msgs, next, used, nil
}
