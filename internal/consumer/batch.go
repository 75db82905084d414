package consumer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/segmentio/kafka-go"
)

// The decoding of record batches (message format v2, Kafka 0.11 and later)
// into kafka.Messages, without I/O. The layout of a batch:
//
//	baseOffset int64 | batchLength int32 | partitionLeaderEpoch int32 | magic int8 |
//	crc uint32 | attributes int16 | lastOffsetDelta int32 | baseTimestamp int64 |
//	maxTimestamp int64 | producerId int64 | producerEpoch int16 | baseSequence int32 |
//	recordCount int32 | records (compressed as a whole when attributes say so)
//
// batchLength counts the bytes after itself; the CRC-32C covers attributes
// to the end.

const (
	batchHeaderSize = 61 // up to and including recordCount
	batchLengthEnd  = 12 // baseOffset and batchLength
	batchMagicEnd   = 17 // enough to tell a record batch from a legacy message set
	crcStart        = 21 // attributes

	attrCodec         = 0x07
	attrLogAppendTime = 0x08
	attrControl       = 0x20

	maxInternedKeys = 1024
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt is a batch that cannot be decoded: a CRC mismatch or lengths
// that do not add up. It is never skipped: the reader reconnects and
// fetches it again.
var errCorrupt = errors.New("corrupt record batch")

// batchHeader is the fixed part of a record batch.
type batchHeader struct {
	baseOffset      int64
	length          int32
	magic           int8
	crc             uint32
	attributes      int16
	lastOffsetDelta int32
	baseTimestamp   int64
	maxTimestamp    int64
	count           int32
}

// parseBatchHeader reads the header at the start of b, which holds at least
// batchHeaderSize bytes.
func parseBatchHeader(b []byte) batchHeader {
	_ = b[batchHeaderSize-1]
	return batchHeader{
		baseOffset:      int64(binary.BigEndian.Uint64(b[0:])),
		length:          int32(binary.BigEndian.Uint32(b[8:])),
		magic:           int8(b[16]),
		crc:             binary.BigEndian.Uint32(b[17:]),
		attributes:      int16(binary.BigEndian.Uint16(b[21:])),
		lastOffsetDelta: int32(binary.BigEndian.Uint32(b[23:])),
		baseTimestamp:   int64(binary.BigEndian.Uint64(b[27:])),
		maxTimestamp:    int64(binary.BigEndian.Uint64(b[35:])),
		count:           int32(binary.BigEndian.Uint32(b[57:])),
	}
}

// size is the batch's size in bytes, header included; bodySize is the size
// of its records.
func (h batchHeader) size() int     { return batchLengthEnd + int(h.length) }
func (h batchHeader) bodySize() int { return h.size() - batchHeaderSize }

// lastOffset is the offset of the batch's last record, even when
// compaction removed it: the next batch starts after it.
func (h batchHeader) lastOffset() int64 { return h.baseOffset + int64(h.lastOffsetDelta) }
func (h batchHeader) codec() int        { return int(h.attributes & attrCodec) }
func (h batchHeader) control() bool     { return h.attributes&attrControl != 0 }

// check validates the lengths of a header.
func (h batchHeader) check() error {
	if h.magic != 2 {
		return fmt.Errorf("record batch at offset %d: unsupported magic %d", h.baseOffset, h.magic)
	}
	if h.length < batchHeaderSize-batchLengthEnd || h.lastOffsetDelta < 0 || h.count < 0 {
		return fmt.Errorf("%w at offset %d: length %d, last offset delta %d, %d records",
			errCorrupt, h.baseOffset, h.length, h.lastOffsetDelta, h.count)
	}
	return nil
}

// decoder turns record batches into messages of one partition. It keeps
// scratch buffers between batches; it is not safe for concurrent use.
type decoder struct {
	topic     string
	partition int

	compressed []byte // a compressed batch's body, as read
	plain      []byte // its records, decompressed
	codecs     codecs

	headers []kafka.Header // the batch's headers, before they go to their slab
	spans   []headerSpan
	keys    map[string]string // interned header keys
}

// headerSpan says which headers of a batch are the headers of one message.
type headerSpan struct{ msg, lo, hi int32 }

func newDecoder(topic string, partition int) *decoder {
	return &decoder{topic: topic, partition: partition, keys: map[string]string{}}
}

// batch checks the CRC of one batch, whose header hdr (batchHeaderSize
// bytes) and records body were read, and appends to dst the records at
// offset from or later. When owned, body is the caller's fresh allocation
// of an uncompressed batch, which the messages alias; otherwise records are
// copied, decompressed, into one allocation that they alias. Each message
// gets its headers from one slab per batch. Control batches append nothing.
func (d *decoder) batch(dst []kafka.Message, hdr, body []byte, owned bool, from, hwm int64) ([]kafka.Message, error) {
	h := parseBatchHeader(hdr)
	if err := h.check(); err != nil {
		return dst, err
	}
	if len(body) != h.bodySize() {
		return dst, fmt.Errorf("%w at offset %d: %d bytes of records, want %d", errCorrupt, h.baseOffset, len(body), h.bodySize())
	}
	if crc := crc32.Update(crc32.Checksum(hdr[crcStart:batchHeaderSize], castagnoli), castagnoli, body); crc != h.crc {
		return dst, fmt.Errorf("%w at offset %d: CRC %08x, want %08x", errCorrupt, h.baseOffset, crc, h.crc)
	}
	if h.control() || h.lastOffset() < from {
		return dst, nil
	}
	records := body
	switch {
	case h.codec() != 0:
		plain, err := d.codecs.decompress(h.codec(), body, d.plain[:0])
		if err != nil {
			return dst, fmt.Errorf("decompress record batch at offset %d: %w", h.baseOffset, err)
		}
		d.plain = plain
		records = make([]byte, len(plain))
		copy(records, plain)
	case !owned:
		records = make([]byte, len(body))
		copy(records, body)
	}
	return d.records(dst, h, records, from, hwm)
}

// records decodes the records of h from b, which they alias.
func (d *decoder) records(dst []kafka.Message, h batchHeader, b []byte, from, hwm int64) ([]kafka.Message, error) {
	first := len(dst)
	d.headers, d.spans = d.headers[:0], d.spans[:0]
	bad := func(what string) error {
		return fmt.Errorf("%w at offset %d: record %d: %s", errCorrupt, h.baseOffset, len(dst)-first, what)
	}
	prev := h.baseOffset - 1
	for range h.count {
		n, ok := varint(&b)
		if !ok || n < 0 || n > int64(len(b)) {
			return dst[:first], bad("length")
		}
		r := b[:n:n]
		b = b[n:]
		if len(r) < 1 {
			return dst[:first], bad("attributes")
		}
		r = r[1:] // record attributes: unused
		tsDelta, ok1 := varint(&r)
		offDelta, ok2 := varint(&r)
		key, ok3 := bytesField(&r)
		value, ok4 := bytesField(&r)
		nh, ok5 := varint(&r)
		if !(ok1 && ok2 && ok3 && ok4 && ok5) || nh > int64(len(r)) {
			return dst[:first], bad("fields")
		}
		offset := h.baseOffset + offDelta
		if offset <= prev || offset > h.lastOffset() {
			return dst[:first], bad(fmt.Sprintf("offset %d out of order", offset))
		}
		prev = offset
		lo := len(d.headers)
		for range max(nh, 0) {
			k, ok1 := bytesField(&r)
			v, ok2 := bytesField(&r)
			if !ok1 || !ok2 {
				return dst[:first], bad("header")
			}
			d.headers = append(d.headers, kafka.Header{Key: d.intern(k), Value: v})
		}
		if len(r) != 0 {
			return dst[:first], bad("trailing bytes")
		}
		if offset < from {
			d.headers = d.headers[:lo]
			continue
		}
		if nh > 0 {
			d.spans = append(d.spans, headerSpan{msg: int32(len(dst)), lo: int32(lo), hi: int32(len(d.headers))})
		}
		ts := h.baseTimestamp + tsDelta
		if h.attributes&attrLogAppendTime != 0 {
			ts = h.maxTimestamp
		}
		dst = append(dst, kafka.Message{Topic: d.topic, Partition: d.partition, Offset: offset,
			HighWaterMark: hwm, Key: key, Value: value, Time: makeTime(ts)})
	}
	if len(b) != 0 {
		return dst[:first], bad("bytes after the last record")
	}
	if len(d.headers) > 0 {
		slab := make([]kafka.Header, len(d.headers))
		copy(slab, d.headers)
		for _, s := range d.spans {
			dst[s.msg].Headers = slab[s.lo:s.hi:s.hi]
		}
		clear(d.headers) // do not keep the batch's buffer alive
	}
	return dst, nil
}

// intern returns b as a string, without allocating for keys seen before.
func (d *decoder) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.keys) < maxInternedKeys {
		d.keys[s] = s
	}
	return s
}

// makeTime is kafka-go's conversion of a record's timestamp (milliseconds).
func makeTime(ms int64) time.Time {
	if ms <= 0 {
		return time.Time{}
	}
	return time.Unix(ms/1000, (ms%1000)*int64(time.Millisecond)).UTC()
}

// varint reads a zig-zag varint from the start of *b and advances it.
func varint(b *[]byte) (int64, bool) {
	s := *b
	if len(s) > 0 && s[0] < 0x80 {
		*b = s[1:]
		return int64(s[0]>>1) ^ -int64(s[0]&1), true
	}
	v, n := binary.Varint(s)
	if n <= 0 {
		return 0, false
	}
	*b = s[n:]
	return v, true
}

// bytesField reads a varint length and that many bytes from *b, aliasing
// them with their capacity capped. Like kafka-go, a null (-1) or empty
// field is nil.
func bytesField(b *[]byte) ([]byte, bool) {
	n, ok := varint(b)
	switch {
	case !ok || n > int64(len(*b)) || n < -1:
		return nil, false
	case n <= 0:
		return nil, true
	}
	s := *b
	*b = s[n:]
	return s[:n:n], true
}

// decodeAll decodes the whole record batches at the start of b, a fetch
// response's records, as the reader does from the network: it appends to
// dst the records at offset from or later, and returns them, the offset after the last whole batch (from when
// there is none), and how many bytes the batches took. It stops at a
// truncated batch or a legacy message set (magic 0 or 1).
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
		if msgs, err = d.batch(msgs, rest[:batchHeaderSize], rest[batchHeaderSize:size], false, from, hwm); err != nil {
			return msgs, next, used, err
		}
		next = max(next, parseBatchHeader(rest).lastOffset()+1)
		used += size
	}
	return msgs, next, used, nil
}
