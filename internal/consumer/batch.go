package consumer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"runtime"
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
// its decompressors and interned header keys between batches; it is not
// safe for concurrent use.
type decoder struct {
	topic     string
	partition int

	codecs codecs
	keys   map[string]string // interned header keys

	// The batch being handed over by next.
	h          batchHeader
	recs       []byte
	from, hwm  int64
	left       int32 // records of the batch not read yet
	prev       int64 // the offset of the last record read
	slab       []kafka.Header
	recentKeys [8]string // the header keys of the last record, by position
}

func newDecoder(topic string, partition int) *decoder {
	return &decoder{topic: topic, partition: partition, keys: map[string]string{}}
}

// plainBufs are the buffers batches are decompressed into before their
// records are copied into an allocation of their own: each has room for a
// whole LZ4 block (4 MiB, as kafka-go writes them), which LZ4 decodes
// fastest into. They are shared by every partition's reader rather than
// kept one per reader: a buffer is held only while one batch is
// decompressed and copied, so about one per core is in use at once, where
// one per reader cost 4 MiB of the memory budget per assigned partition.
// A channel rather than a sync.Pool: the pool is emptied by every other
// garbage collection, and a new buffer costs 4 MiB of zeroing.
// At most four are kept, whatever the number of cores: on a host of many
// cores without a CPU limit, one per core (up to 8 MiB each) would outgrow
// forward's memory budget; a fifth reader decompressing at the same time
// allocates its own buffer and drops it.
var plainBufs = make(chan []byte, min(max(runtime.GOMAXPROCS(0), 2), 4))

func takePlain() []byte {
	select {
	case b := <-plainBufs:
		return b[:0]
	default:
		return nil
	}
}

// maxKeptScratch bounds a buffer kept for the next batch: a rare huge
// batch's buffer is let go.
const maxKeptScratch = 8 << 20

func putPlain(b []byte) {
	if cap(b) == 0 || cap(b) > maxKeptScratch {
		return // a rare huge batch's buffer is not kept
	}
	select {
	case plainBufs <- b:
	default:
	}
}

// record is one record of a batch, its fields aliasing the batch.
type record struct {
	tsDelta, offsetDelta int64
	key, value           []byte
	headers              int64  // how many
	rest                 []byte // the headers
}

// batch checks the CRC of one batch, whose header hdr (batchHeaderSize
// bytes) and records body were read, and prepares the handing over of its
// records at offset from or later by next. When owned, body is the
// caller's fresh allocation of an uncompressed batch, which the messages
// alias; otherwise records are copied, decompressed, into one allocation
// that they alias. The messages' headers come from one slab per batch (a
// few when records have more headers than the first). It returns whether
// there are records to hand over: not for a control batch.
func (d *decoder) batch(hdr, body []byte, owned bool, from, hwm int64) (bool, error) {
	h := parseBatchHeader(hdr)
	if err := h.check(); err != nil {
		return false, err
	}
	if len(body) != h.bodySize() {
		return false, fmt.Errorf("%w at offset %d: %d bytes of records, want %d", errCorrupt, h.baseOffset, len(body), h.bodySize())
	}
	if crc := crc32.Update(crc32.Checksum(hdr[crcStart:batchHeaderSize], castagnoli), castagnoli, body); crc != h.crc {
		return false, fmt.Errorf("%w at offset %d: CRC %08x, want %08x", errCorrupt, h.baseOffset, crc, h.crc)
	}
	if h.control() || h.lastOffset() < from {
		return false, nil
	}
	records := body
	if h.codec() != 0 {
		plain, err := d.codecs.decompress(h.codec(), body, takePlain())
		if err != nil {
			putPlain(plain)
			return false, fmt.Errorf("decompress record batch at offset %d: %w", h.baseOffset, err)
		}
		records = append([]byte(nil), plain...) // one allocation, not zeroed first
		putPlain(plain)
	} else if !owned {
		records = append([]byte(nil), body...)
	}
	d.h, d.recs, d.from, d.hwm = h, records, from, hwm
	d.left, d.prev, d.slab = h.count, h.baseOffset-1, nil
	return true, nil
}

// next writes the next record of the batch at offset from or later into m;
// false when there is none left. A record that does not decode is an
// error; the records before it were handed over.
func (d *decoder) next(m *kafka.Message) (bool, error) {
	for ; d.left > 0; d.left-- {
		r, end := parseRecord(d.recs)
		offset := d.h.baseOffset + r.offsetDelta
		switch {
		case end < 0:
			return false, d.corrupt("bad lengths")
		case offset <= d.prev || offset > d.h.lastOffset():
			return false, d.corrupt(fmt.Sprintf("offset %d out of order", offset))
		}
		d.recs = d.recs[end:]
		d.prev = offset
		var headers []kafka.Header
		if r.headers > 0 {
			if int64(len(d.slab)) < r.headers {
				// The batch's next records have as many, usually; each
				// header takes two bytes at least.
				d.slab = make([]kafka.Header, r.headers+min(r.headers*int64(d.left-1), int64(len(d.recs)/2)))
			}
			headers = d.slab[:r.headers:r.headers]
			j := 0
			for i := range headers {
				var k, v []byte
				if k, j = bytesAt(r.rest, j); j < 0 {
					return false, d.corrupt("bad header")
				}
				if v, j = bytesAt(r.rest, j); j < 0 {
					return false, d.corrupt("bad header")
				}
				headers[i] = kafka.Header{Key: d.intern(i, k), Value: v}
			}
			r.rest = r.rest[j:]
		}
		if len(r.rest) != 0 {
			return false, d.corrupt("bytes after the headers")
		}
		if offset < d.from {
			continue
		}
		d.slab = d.slab[len(headers):]
		ts := d.h.baseTimestamp + r.tsDelta
		if d.h.attributes&attrLogAppendTime != 0 {
			ts = d.h.maxTimestamp
		}
		*m = kafka.Message{Topic: d.topic, Partition: d.partition, Offset: offset, HighWaterMark: d.hwm,
			Key: r.key, Value: r.value, Headers: headers, Time: makeTime(ts)}
		d.left--
		return true, nil
	}
	if len(d.recs) != 0 {
		return false, d.corrupt("bytes after the last record")
	}
	d.slab = nil
	return false, nil
}

func (d *decoder) corrupt(what string) error {
	return fmt.Errorf("%w at offset %d: record %d: %s", errCorrupt, d.h.baseOffset, d.h.count-d.left, what)
}

// parseRecord reads the record at the start of b and returns it and where
// it ends, -1 if it does not decode. The parsing works on indexes, so that
// they stay in registers.
func parseRecord(b []byte) (record, int) {
	var rec record
	n, i := varintAt(b, 0)
	if i < 0 || n < 1 || n > int64(len(b)-i) {
		return rec, -1
	}
	end := i + int(n)
	r := b[i+1 : end : end] // after the record's attributes, unused
	if rec.tsDelta, i = varintAt(r, 0); i < 0 {
		return rec, -1
	}
	if rec.offsetDelta, i = varintAt(r, i); i < 0 {
		return rec, -1
	}
	if rec.key, i = bytesAt(r, i); i < 0 {
		return rec, -1
	}
	if rec.value, i = bytesAt(r, i); i < 0 {
		return rec, -1
	}
	if rec.headers, i = varintAt(r, i); i < 0 || rec.headers > int64(len(r)-i) {
		return rec, -1
	}
	rec.headers = max(rec.headers, 0) // as kafka-go: a negative count is none
	rec.rest = r[i:]
	return rec, end
}

// intern returns b as a string, without allocating for keys seen before:
// first the key at the same position in the last record (records of a
// topic usually have the same headers in the same order), then a map.
func (d *decoder) intern(i int, b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if i < len(d.recentKeys) && d.recentKeys[i] == string(b) {
		return d.recentKeys[i]
	}
	s, ok := d.keys[string(b)]
	if !ok {
		s = string(b)
		if len(d.keys) < maxInternedKeys {
			d.keys[s] = s
		}
	}
	if i < len(d.recentKeys) {
		d.recentKeys[i] = s
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

// varintAt reads the zig-zag varint at b[i:] and returns it and the index
// after it, -1 if there is none. A loop without calls, so that it inlines.
func varintAt(b []byte, i int) (int64, int) {
	var x uint64
	for s := 0; s < 7*binary.MaxVarintLen64 && i < len(b); s += 7 {
		c := b[i]
		i++
		x |= uint64(c&0x7f) << s
		if c < 0x80 {
			return int64(x>>1) ^ -int64(x&1), i
		}
	}
	return 0, -1
}

// bytesAt reads a varint length at b[i:] and that many bytes after it,
// aliased with their capacity capped, and returns them and the index after
// them, -1 if they do not fit. Like kafka-go, a null (-1) or empty field is
// nil.
func bytesAt(b []byte, i int) ([]byte, int) {
	n, i := varintAt(b, i)
	switch {
	case i < 0 || n < -1 || n > int64(len(b)-i):
		return nil, -1
	case n <= 0:
		return nil, i
	}
	end := i + int(n)
	return b[i:end:end], end
}
