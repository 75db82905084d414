package consumer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"reflect"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// pipeFetch answers one Fetch request on a pipe with records (and error
// code), checking the request with franz-go's decoder; corrDelta shifts
// the correlation id of the answer.
func pipeFetch(t *testing.T, records []byte, errCode int16, corrDelta int32) (fetched, []kafka.Message, *partConn, error) {
	t.Helper()
	client, server := net.Pipe()
	defer client.Close()
	defer server.Close()
	pc := &partConn{nc: client, rd: bufio.NewReader(client), clientID: "cid", dec: newDecoder("t", 2)}
	errs := make(chan error, 1)
	go func() {
		var size [4]byte
		if _, err := io.ReadFull(server, size[:]); err != nil {
			errs <- err
			return
		}
		req := make([]byte, binary.BigEndian.Uint32(size[:]))
		if _, err := io.ReadFull(server, req); err != nil {
			errs <- err
			return
		}
		key, version, corr := binary.BigEndian.Uint16(req), binary.BigEndian.Uint16(req[2:]), int32(binary.BigEndian.Uint32(req[4:]))
		idLen := int(binary.BigEndian.Uint16(req[8:]))
		clientID := string(req[10 : 10+idLen])
		fr := kmsg.NewPtrFetchRequest()
		fr.Version = 4
		if err := fr.ReadFrom(req[10+idLen:]); err != nil || key != 1 || version != 4 || clientID != "cid" ||
			fr.ReplicaID != -1 || fr.MaxWaitMillis != 50 || fr.MinBytes != 1 || fr.MaxBytes != 1<<20 || fr.IsolationLevel != 0 ||
			len(fr.Topics) != 1 || fr.Topics[0].Topic != "t" || len(fr.Topics[0].Partitions) != 1 ||
			fr.Topics[0].Partitions[0].Partition != 2 || fr.Topics[0].Partitions[0].FetchOffset != 100 ||
			fr.Topics[0].Partitions[0].PartitionMaxBytes != 1<<20 {
			t.Errorf("request: api %d v%d, client id %q, %+v, %v", key, version, clientID, fr, err)
		}
		resp := kmsg.NewPtrFetchResponse()
		resp.Version = 4
		rt := kmsg.NewFetchResponseTopic()
		rt.Topic = "t"
		rp := kmsg.NewFetchResponseTopicPartition()
		rp.Partition, rp.ErrorCode, rp.HighWatermark, rp.LastStableOffset, rp.RecordBatches = 2, errCode, 200, 200, records
		rp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: 7, FirstOffset: 1}}
		rt.Partitions = append(rt.Partitions, rp)
		resp.Topics = append(resp.Topics, rt)
		body := binary.BigEndian.AppendUint32(nil, uint32(corr+corrDelta))
		body = resp.AppendTo(body)
		_, err := server.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
		errs <- err
	}()
	var got []kafka.Message
	out := &chunker{size: 2, send: func(m []kafka.Message) bool {
		got = append(got, m...)
		return true
	}}
	res, err := pc.fetch(100, 1<<20, 50*time.Millisecond, out)
	out.flush()
	if err == nil {
		if werr := <-errs; werr != nil {
			t.Fatal(werr)
		}
	}
	return res, got, pc, err
}

func TestFetchAnswers(t *testing.T) {
	three := buildBatch(100, 0, 2, ts0, ts0, []testRecord{{value: []byte("a")}, {offsetDelta: 1, value: []byte("b")}, {offsetDelta: 2, value: []byte("c")}})
	next := buildBatch(103, 0, 0, ts0, ts0, []testRecord{{value: []byte("d")}})

	res, got, _, err := pipeFetch(t, cat(three, next[:len(next)-5]), 0, 0)
	if err != nil || len(got) != 3 || res.next != 103 || res.truncated || got[2].HighWaterMark != 200 {
		t.Errorf("a batch and a truncated one: %d records, %+v, %v; want 3, next 103, not truncated", len(got), res, err)
	}
	res, got, _, err = pipeFetch(t, three[:len(three)-1], 0, 0)
	if err != nil || len(got) != 0 || res.next != 100 || !res.truncated {
		t.Errorf("only a truncated batch: %d records, %+v, %v; want none, next 100, truncated", len(got), res, err)
	}
	res, got, _, err = pipeFetch(t, nil, 1, 0)
	if err != nil || len(got) != 0 || kafka.Error(res.errCode) != kafka.OffsetOutOfRange || res.truncated {
		t.Errorf("offset out of range: %d records, %+v, %v", len(got), res, err)
	}
	legacy := append(make([]byte, 16), 1, 0, 0, 0)
	res, got, pc, err := pipeFetch(t, cat(three, legacy), 0, 0)
	if err != nil || len(got) != 3 || res.next != 103 || !pc.legacy || res.truncated {
		t.Errorf("a legacy message set after a batch: %d records, %+v, legacy %v, %v; want 3, next 103, legacy", len(got), res, pc.legacy, err)
	}
	if _, got, _, err = pipeFetch(t, three, 0, 1); err == nil || len(got) != 0 {
		t.Errorf("an answer to another request: %d records, error %v; want an error", len(got), err)
	}
	corrupt := cat(next)
	corrupt[len(corrupt)-1] ^= 1
	if res, got, _, err = pipeFetch(t, cat(three, corrupt), 0, 0); err == nil || len(got) != 3 || res.next != 103 {
		t.Errorf("a corrupt batch after a good one: %d records, %+v, %v; want the good one's, next 103, an error", len(got), res, err)
	}
	// A batch overlapping the last one (no broker sends that): its records
	// already handed over are not handed over again.
	overlap := buildBatch(102, 0, 1, ts0, ts0, []testRecord{{value: []byte("c")}, {offsetDelta: 1, value: []byte("d")}})
	if res, got, _, err = pipeFetch(t, cat(three, overlap), 0, 0); err != nil || len(got) != 4 || got[3].Offset != 103 || res.next != 104 {
		t.Errorf("overlapping batches: %d records, %+v, %v; want 4, next 104", len(got), res, err)
	}
}

func TestNextMaxBytes(t *testing.T) {
	tests := []struct {
		res       fetched
		maxBytes  int
		want      int
		wantError bool
	}{
		{fetched{records: 3}, 1 << 20, 1 << 20, false},
		{fetched{truncated: true}, 1 << 20, 2 << 20, false},
		{fetched{truncated: true}, 600 << 20, maxFetchBytes, false},
		{fetched{truncated: true}, maxFetchBytes, maxFetchBytes, true},
		{fetched{records: 1}, 8 << 20, 1 << 20, false},
		{fetched{}, 8 << 20, 8 << 20, false}, // nothing came: keep waiting with the larger size
	}
	for _, tt := range tests {
		got, err := nextMaxBytes(tt.res, tt.maxBytes, 1<<20)
		if got != tt.want || (err != nil) != tt.wantError {
			t.Errorf("nextMaxBytes(%+v, %d) = %d, %v; want %d, error %v", tt.res, tt.maxBytes, got, err, tt.want, tt.wantError)
		}
	}
}

// A batch the reader skips (a control batch, or one ending before the
// requested offset) has its CRC checked too: a flipped attributes bit or
// last offset delta must not make a batch of records look skippable, or
// its records would be lost without a word.
func TestSkippedBatchesAreCRCChecked(t *testing.T) {
	var recs []testRecord
	for i := range 16 {
		recs = append(recs, testRecord{offsetDelta: int64(i), value: fmt.Appendf(nil, "r%d", 90+i)})
	}
	endsEarly := buildBatch(90, 0, 15, ts0, ts0, recs) // 90 to 105
	binary.BigEndian.PutUint32(endsEarly[23:], 5)      // last offset delta 5: "ends at 95", before 100
	asControl := buildBatch(100, 0, 5, ts0, ts0, recs[:6])
	asControl[22] |= attrControl
	after := buildBatch(106, 0, 0, ts0, ts0, []testRecord{{value: []byte("r106")}})
	for name, b := range map[string][]byte{"last offset delta": endsEarly, "control bit": asControl} {
		res, got, _, err := pipeFetch(t, cat(b, after), 0, 0)
		if !errors.Is(err, errCorrupt) || len(got) != 0 || res.next != 100 {
			t.Errorf("%s corrupted: %d records, next %d, error %v; want none, next 100, a corrupt batch", name, len(got), res.next, err)
		}
	}
}

// A leader that stops answering mid-fetch does not hold the reader past
// the end of its generation (kafka-go waits for every reader before the
// next generation, or before Close returns): the connection is closed when
// the context ends, not left to its 30 s read deadline.
func TestFetchEndsWithItsContext(t *testing.T) {
	client, server := net.Pipe()
	defer server.Close()
	go func() { _, _ = io.Copy(io.Discard, server) }() // reads the request, never answers
	ctx, cancel := context.WithCancel(context.Background())
	pc := &partConn{nc: client, rd: bufio.NewReader(client), clientID: "cid", dec: newDecoder("t", 2)}
	stop := pc.closeWhenDone(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() {
		_, err := pc.fetch(100, 1<<20, 50*time.Millisecond, &chunker{size: 2, send: func([]kafka.Message) bool { return true }})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("fetch from a silent leader returned no error")
		}
	case <-time.After(15 * time.Second): // the read deadline is 30 s away
		client.Close()
		<-done
		t.Fatal("fetch still waits for a silent leader 15 s after its context ended")
	}
}

// A rare huge batch read into the reader's scratch buffer (compressed, or
// skipped) does not stay in memory with the reader afterwards: the buffer
// is kept only up to the size the shared decompression buffers are.
func TestHugeBatchScratchIsNotKept(t *testing.T) {
	huge := buildBatch(90, 0, 0, ts0, ts0, []testRecord{{value: bytes.Repeat([]byte("x"), 9<<20)}}) // before 100: skipped
	_, got, pc, err := pipeFetch(t, huge, 0, 0)
	if err != nil || len(got) != 0 || cap(pc.scratch) > maxKeptScratch {
		t.Errorf("a 9 MiB batch: %d records, %v, a scratch buffer of %d bytes kept; want none, no error, at most %d", len(got), err, cap(pc.scratch), maxKeptScratch)
	}
}

// fixCRCs sets the CRC of each whole batch at the start of in, so that
// fuzzed records get decoded.
func fixCRCs(in []byte) []byte {
	in = bytes.Clone(in)
	for off := 0; len(in)-off >= batchHeaderSize; {
		l := int(int32(binary.BigEndian.Uint32(in[off+8:])))
		if l < batchHeaderSize-batchLengthEnd || off+batchLengthEnd+l > len(in) {
			break
		}
		end := off + batchLengthEnd + l
		binary.BigEndian.PutUint32(in[off+17:], crc32.Checksum(in[off+crcStart:end], castagnoli))
		off = end
	}
	return in
}

// FuzzFetchAnswer: whatever records a Fetch answer holds, and whatever the
// chunk size, the reader hands over offsets at or after the one asked for,
// in order, each before the offset it resumes at, and, when neither fails,
// the same records as the decoder reading the bytes at once.
func FuzzFetchAnswer(f *testing.F) {
	f.Add(cat(buildBatch(100, 0, 2, ts0, ts0, []testRecord{{value: []byte("a")}, {offsetDelta: 1}, {offsetDelta: 2}}), buildBatch(103, 0, 0, 0, 0, []testRecord{{}})), uint8(2))
	f.Add(buildBatch(90, attrControl, 0, ts0, ts0, []testRecord{{key: []byte{0, 0, 0, 0}}}), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		in = fixCRCs(in)
		client, server := net.Pipe()
		defer client.Close()
		defer server.Close()
		go func() {
			var size [4]byte
			if _, err := io.ReadFull(server, size[:]); err != nil {
				return
			}
			req := make([]byte, binary.BigEndian.Uint32(size[:]))
			if _, err := io.ReadFull(server, req); err != nil {
				return
			}
			resp := kmsg.NewPtrFetchResponse()
			resp.Version = 4
			rt := kmsg.NewFetchResponseTopic()
			rt.Topic = "t"
			rp := kmsg.NewFetchResponseTopicPartition()
			rp.Partition, rp.HighWatermark, rp.RecordBatches = 2, 200, in
			rt.Partitions = append(rt.Partitions, rp)
			resp.Topics = append(resp.Topics, rt)
			body := resp.AppendTo(append([]byte(nil), req[4:8]...)) // the request's correlation id
			_, _ = server.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
		}()
		pc := &partConn{nc: client, rd: bufio.NewReader(client), clientID: "cid", dec: newDecoder("t", 2)}
		var got []kafka.Message
		out := &chunker{size: int(chunk%5) + 1, send: func(m []kafka.Message) bool { got = append(got, m...); return true }}
		res, err := pc.fetch(100, 1<<20, time.Millisecond, out)
		out.flush()
		if res.next < 100 {
			t.Fatalf("resumes at %d, before 100", res.next)
		}
		prev := int64(99)
		for _, m := range got {
			if m.Offset <= prev || m.Offset >= res.next {
				t.Fatalf("offset %d after %d, resuming at %d", m.Offset, prev, res.next)
			}
			prev = m.Offset
		}
		want, next, _, derr := newDecoder("t", 2).decodeAll(nil, in, 100, 200)
		if err != nil || derr != nil || pc.legacy {
			return
		}
		if len(got)+len(want) > 0 && !reflect.DeepEqual(got, want) || next != res.next {
			t.Fatalf("fetch: %d records, resuming at %d; decodeAll: %d, %d", len(got), res.next, len(want), next)
		}
	})
}
