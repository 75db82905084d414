// Package benchkit holds what the forwarding benchmarks share (those of
// internal/forwarder and the memory benchmark of cmd/forward): stand-ins for
// the SIEMs that speak each sink's protocol and do the least a real server
// must (read, decompress, count, answer), so that the figures are the
// forwarder's, a topic filled with simulator events, and the CPU time and
// peak memory of the processes measured.
package benchkit

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// CountingHEC answers like HEC (gzip bodies, {"text":"Success","code":0})
// and counts events, one per line as the HEC sink writes them. Like any
// server it reuses its decompressors and read buffers; it reads and
// decompresses every byte.
func CountingHEC(b testing.TB) (string, *atomic.Int64) {
	var count atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr := gzReaders.Get().(*gzip.Reader)
			defer gzReaders.Put(zr)
			if err := zr.Reset(r.Body); err != nil {
				http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
				return
			}
			body = zr
		}
		n, err := countLines(body)
		if err != nil {
			http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
			return
		}
		count.Add(int64(n))
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	b.Cleanup(srv.Close)
	return srv.URL, &count
}

var (
	gzReaders   = sync.Pool{New: func() any { return new(gzip.Reader) }}
	readBuffers = sync.Pool{New: func() any { return make([]byte, 256<<10) }}
)

// countLines reads r to the end and counts its newlines.
func countLines(r io.Reader) (int, error) {
	buf := readBuffers.Get().([]byte)
	defer readBuffers.Put(buf)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// CountingElastic answers _bulk with one 201 item per action line.
func CountingElastic(b testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		lines, err := countLines(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		n := lines / 2
		out := make([]byte, 0, 64+n*32)
		out = append(out, `{"took":1,"errors":false,"items":[`...)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"create":{"status":201}}`...)
		}
		out = append(out, "]}"...)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	}))
	b.Cleanup(srv.Close)
	return srv.URL
}

// CountingSyslog reads RFC 6587 octet-counted frames and counts them.
func CountingSyslog(b testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReaderSize(c, 1<<20)
				for {
					l, err := br.ReadString(' ')
					if err != nil {
						return
					}
					size, err := strconv.Atoi(l[:len(l)-1])
					if err != nil {
						return
					}
					if _, err := br.Discard(size); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}
