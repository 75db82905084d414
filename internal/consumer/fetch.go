package consumer

import (
	"bufio"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
)

// The connection to a partition's leader, and Fetch requests (version 4)
// written and answered on it without kafka-go.

const (
	apiFetch     = 1
	fetchVersion = 4
)

// partConn is a connection to the leader of one partition: kafka-go's Conn,
// which dialed, authenticated and answers metadata and ListOffsets
// requests, and the network connection under it, on which Fetch requests
// go. Requests are one at a time, each answer read whole before the next,
// so neither side's buffered reader holds the other's bytes.
type partConn struct {
	conn     *kafka.Conn
	nc       net.Conn
	rd       *bufio.Reader
	wbuf     []byte
	clientID string
	corr     int32
	legacy   bool // the partition answered with a legacy message set: kafka-go reads it

	dec     *decoder // its topic and partition are the connection's
	hdr     [batchHeaderSize]byte
	scratch []byte // the body of a batch the decoder copies from (compressed, or skipped)
}

// chunker fills chunks of records and hands each over when full.
type chunker struct {
	chunk []kafka.Message
	size  int
	send  func([]kafka.Message) bool // false: stop reading
}

// slot returns where the next record is written; keep adds it to the
// chunk.
func (c *chunker) slot() *kafka.Message {
	if c.chunk == nil {
		c.chunk = make([]kafka.Message, 0, c.size)
	}
	return &c.chunk[:len(c.chunk)+1][len(c.chunk)]
}

// keep adds the record written at slot to the chunk and returns whether
// the chunk is full.
func (c *chunker) keep() (full bool) {
	c.chunk = c.chunk[:len(c.chunk)+1]
	return len(c.chunk) == c.size
}

// flush hands over the records in the chunk, if any; false when the
// consumer stopped reading.
func (c *chunker) flush() bool {
	if len(c.chunk) == 0 {
		return true
	}
	chunk := c.chunk
	c.chunk = nil
	return c.send(chunk)
}

// dialLeader connects to the leader of a partition through a copy of the
// Dialer whose DialFunc keeps the network connection (doing TLS itself,
// as kafka-go would, so that the connection kept is the one records flow
// on); kafka-go then authenticates it with SASL. The leader's Fetch
// versions must include 4.
func (c *Consumer) dialLeader(ctx context.Context, topic string, partition int) (*partConn, error) {
	var err error
	for _, b := range c.cfg.Brokers {
		var p kafka.Partition
		if p, err = c.cfg.Dialer.LookupPartition(ctx, "tcp", b, topic, partition); err != nil {
			continue
		}
		var pc *partConn
		if pc, err = c.dialPartition(ctx, b, p); err == nil {
			return pc, nil
		}
	}
	return nil, fmt.Errorf("connect to the leader of %s/%d: %w", topic, partition, err)
}

func (c *Consumer) dialPartition(ctx context.Context, seed string, p kafka.Partition) (*partConn, error) {
	var nc net.Conn
	orig := c.cfg.Dialer
	d := *orig
	d.TLS = nil
	d.DialFunc = func(ctx context.Context, network, address string) (net.Conn, error) {
		dial := orig.DialFunc
		if dial == nil {
			dial = (&net.Dialer{LocalAddr: orig.LocalAddr, FallbackDelay: orig.FallbackDelay, KeepAlive: orig.KeepAlive}).DialContext
		}
		conn, err := dial(ctx, network, address)
		if err != nil {
			return nil, err
		}
		if orig.TLS != nil {
			cfg := orig.TLS
			if cfg.ServerName == "" { // kafka-go's inference: the host dialed
				cfg = cfg.Clone()
				cfg.ServerName = address
				if i := strings.LastIndex(address, ":"); i >= 0 {
					cfg.ServerName = address[:i]
				}
			}
			tc := tls.Client(conn, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				conn.Close()
				return nil, err
			}
			conn = tc
		}
		nc = conn
		return conn, nil
	}
	conn, err := d.DialPartition(ctx, "tcp", seed, p)
	if err != nil {
		return nil, err
	}
	pc := &partConn{conn: conn, nc: nc, rd: bufio.NewReaderSize(nc, 64<<10), clientID: cmp.Or(orig.ClientID, kafka.DefaultClientID),
		dec: newDecoder(p.Topic, p.ID)}
	if err := pc.checkVersions(); err != nil {
		conn.Close()
		return nil, err
	}
	return pc, nil
}

func (pc *partConn) checkVersions() error {
	_ = pc.conn.SetDeadline(time.Now().Add(10 * time.Second))
	defer pc.conn.SetDeadline(time.Time{})
	versions, err := pc.conn.ApiVersions()
	if err != nil {
		return fmt.Errorf("api versions: %w", err)
	}
	for _, v := range versions {
		if v.ApiKey == apiFetch {
			if v.MinVersion > fetchVersion || v.MaxVersion < fetchVersion {
				return fmt.Errorf("the broker answers Fetch versions %d to %d, not %d, which this consumer speaks", v.MinVersion, v.MaxVersion, fetchVersion)
			}
			return nil
		}
	}
	return errors.New("the broker does not list the Fetch API")
}

func (pc *partConn) Close() error { return pc.conn.Close() }

// fetched is what one Fetch answer said.
type fetched struct {
	next      int64 // the offset after the last whole batch read
	records   int   // records handed over
	truncated bool  // records came but no whole batch: max_bytes is too small
	errCode   int16
}

// fetch sends a Fetch request for the records at offset and later, and
// hands the records of each whole batch of the answer to out (which may
// keep the last ones in a chunk not full yet). A legacy message set sets pc.legacy and ends the
// reading of the answer.
func (pc *partConn) fetch(offset int64, maxBytes int, maxWait time.Duration, out *chunker) (fetched, error) {
	res := fetched{next: offset}
	_ = pc.nc.SetDeadline(time.Now().Add(maxWait + 30*time.Second))
	defer pc.nc.SetDeadline(time.Time{})
	pc.corr++
	if _, err := pc.nc.Write(pc.request(offset, maxBytes, maxWait)); err != nil {
		return res, fmt.Errorf("send fetch: %w", err)
	}
	r := respReader{rd: pc.rd, rem: 4}
	size := r.int32()
	r.rem = int(size)
	if corr := r.int32(); r.err == nil && corr != pc.corr {
		return res, fmt.Errorf("fetch answer with correlation id %d, want %d", corr, pc.corr)
	}
	r.int32() // throttle time
	nTopics := r.int32()
	topic := r.string()
	nParts := r.int32()
	part := r.int32()
	res.errCode = r.int16()
	hwm := r.int64()
	r.int64() // last stable offset
	if n := r.int32(); n > 0 {
		r.discard(16 * int(n)) // aborted transactions: read_uncommitted reads them
	}
	recLen := int(r.int32())
	if r.err != nil {
		return res, fmt.Errorf("read fetch answer: %w", r.err)
	}
	if nTopics != 1 || nParts != 1 || topic != pc.dec.topic || int(part) != pc.dec.partition {
		return res, fmt.Errorf("fetch answer for %d topics (%s), %d partitions (%d), want %s/%d", nTopics, topic, nParts, part, pc.dec.topic, pc.dec.partition)
	}
	recRem := max(recLen, 0)
	if recRem > r.rem {
		return res, fmt.Errorf("fetch answer: %d bytes of records in %d", recRem, r.rem)
	}
	batches := 0
	for recRem >= batchMagicEnd && r.err == nil {
		head, err := pc.rd.Peek(batchMagicEnd)
		if err != nil {
			return res, fmt.Errorf("read fetch answer: %w", err)
		}
		length := int32(binary.BigEndian.Uint32(head[8:]))
		if magic := int8(head[16]); magic < 2 {
			pc.legacy = true
			break
		}
		if length < batchHeaderSize-batchLengthEnd {
			return res, fmt.Errorf("%w at offset %d: length %d", errCorrupt, int64(binary.BigEndian.Uint64(head)), length)
		}
		size := batchLengthEnd + int(length)
		if size > recRem {
			break // cut at max_bytes: the next fetch starts there
		}
		// From the end of the last batch: never a record twice.
		if err := pc.readBatch(&r, res.next, hwm, out, &res); err != nil {
			return res, err
		}
		recRem -= size
		batches++
	}
	r.discard(r.rem) // a truncated batch
	if r.err != nil {
		return res, fmt.Errorf("read fetch answer: %w", r.err)
	}
	res.truncated = batches == 0 && recLen > 0 && !pc.legacy
	return res, nil
}

// readBatch reads one whole batch and hands its records over.
func (pc *partConn) readBatch(r *respReader, from, hwm int64, out *chunker, res *fetched) error {
	r.read(pc.hdr[:])
	h := parseBatchHeader(pc.hdr[:])
	if err := h.check(); err != nil {
		return err
	}
	n := h.bodySize()
	// A batch skipped (a control batch, one ending before from) is read
	// and CRC-checked too: a flipped attributes bit or last offset delta
	// must not make records look skippable.
	skip := h.control() || h.lastOffset() < from
	var body []byte
	owned := h.codec() == 0 && !skip
	if owned {
		body = make([]byte, n) // the records alias it
	} else {
		pc.scratch = grow(pc.scratch[:0], n)[:n]
		body = pc.scratch
	}
	r.read(body)
	if r.err != nil {
		return fmt.Errorf("read fetch answer: %w", r.err)
	}
	more, err := pc.dec.batch(pc.hdr[:], body, owned, from, hwm)
	if cap(pc.scratch) > maxKeptScratch {
		pc.scratch = nil // the records are copies; a huge batch's buffer is not kept
	}
	waited := false
	for err == nil && more {
		m := out.slot()
		if more, err = pc.dec.next(m); !more {
			break
		}
		res.next = m.Offset + 1
		res.records++
		if out.keep() {
			if !out.flush() {
				return context.Canceled
			}
			waited = true
		}
	}
	if err != nil {
		return err
	}
	res.next = max(res.next, h.lastOffset()+1)

	if !waited {
		return nil
	}
	// The consumer may have kept us waiting: the answer's rest gets time.
	_ = pc.nc.SetReadDeadline(time.Now().Add(30 * time.Second))
	return nil
}

// request encodes a Fetch v4 request (header v1).
func (pc *partConn) request(offset int64, maxBytes int, maxWait time.Duration) []byte {
	b := pc.wbuf[:0]
	b = binary.BigEndian.AppendUint32(b, 0) // size, set below
	b = binary.BigEndian.AppendUint16(b, apiFetch)
	b = binary.BigEndian.AppendUint16(b, fetchVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(pc.corr))
	b = appendString(b, pc.clientID)
	b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF) // replica id -1: a consumer
	b = binary.BigEndian.AppendUint32(b, uint32(maxWait.Milliseconds()))
	b = binary.BigEndian.AppendUint32(b, 1) // min bytes
	b = binary.BigEndian.AppendUint32(b, uint32(maxBytes))
	b = append(b, 0) // isolation level: read uncommitted
	b = binary.BigEndian.AppendUint32(b, 1)
	b = appendString(b, pc.dec.topic)
	b = binary.BigEndian.AppendUint32(b, 1)
	b = binary.BigEndian.AppendUint32(b, uint32(pc.dec.partition))
	b = binary.BigEndian.AppendUint64(b, uint64(offset))
	b = binary.BigEndian.AppendUint32(b, uint32(maxBytes))
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	pc.wbuf = b
	return b
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// respReader reads the fields of an answer, counting down its remaining
// bytes; the first error sticks and later reads return zeros.
type respReader struct {
	rd  *bufio.Reader
	rem int
	err error
	buf [8]byte
}

func (r *respReader) read(p []byte) {
	if r.err != nil {
		return
	}
	if len(p) > r.rem {
		r.err = io.ErrUnexpectedEOF
		return
	}
	_, r.err = io.ReadFull(r.rd, p)
	r.rem -= len(p)
}

func (r *respReader) discard(n int) {
	if r.err != nil || n <= 0 {
		return
	}
	if n > r.rem {
		r.err = io.ErrUnexpectedEOF
		return
	}
	_, r.err = r.rd.Discard(n)
	r.rem -= n
}

func (r *respReader) int16() int16 {
	r.read(r.buf[:2])
	return int16(binary.BigEndian.Uint16(r.buf[:]))
}
func (r *respReader) int32() int32 {
	r.read(r.buf[:4])
	return int32(binary.BigEndian.Uint32(r.buf[:]))
}
func (r *respReader) int64() int64 {
	r.read(r.buf[:8])
	return int64(binary.BigEndian.Uint64(r.buf[:]))
}

func (r *respReader) string() string {
	n := int(r.int16())
	if n <= 0 || r.err != nil {
		return ""
	}
	if n > r.rem {
		r.err = io.ErrUnexpectedEOF
		return ""
	}
	b, err := r.rd.Peek(n)
	if err != nil {
		r.err = err
		return ""
	}
	s := string(b) // one topic name per fetch
	r.discard(n)
	return s
}

// closeWhenDone closes the network connection when ctx ends, so that a
// leader that stops answering does not hold the reader until its read
// deadline; the returned function stops the watch.
func (pc *partConn) closeWhenDone(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, func() { _ = pc.nc.Close() })
}
