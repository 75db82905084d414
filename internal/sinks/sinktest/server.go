// Package sinktest provides strict, in-process stand-ins for the SIEM
// endpoints the forwarder writes to: a Splunk HTTP Event Collector and an
// Elasticsearch _bulk endpoint. They speak real HTTP over TCP, check what
// the real services check (credentials, framing, compression, JSON, bulk
// action lines, a few mapping types), answer with the real services'
// statuses and bodies, record what they accepted, and inject the faults the
// forwarder must survive: busy answers, 429s, slow answers, a server that
// goes away and comes back on the same address.
//
// Receivers are safe for concurrent use and are closed by t.Cleanup.
package sinktest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// server is a restartable httptest server: Down closes its listener and
// every connection, Up listens again on the same address.
type server struct {
	tb      testing.TB
	handler http.Handler
	useTLS  bool

	mu   sync.Mutex
	hs   *httptest.Server
	addr string
	url  string
	cert *x509.Certificate
	slow time.Duration
	// requests counts the requests of the receiver's main endpoint (HEC's
	// events, Elasticsearch's _bulk), whatever the answer.
	requests int
}

func newServer(tb testing.TB, h http.Handler, useTLS bool) *server {
	tb.Helper()
	s := &server{tb: tb, handler: h, useTLS: useTLS}
	s.start("127.0.0.1:0")
	tb.Cleanup(s.Down)
	return s
}

func (s *server) start(addr string) {
	s.tb.Helper()
	var ln net.Listener
	var err error
	for range 50 { // the port may linger briefly after Down
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.tb.Fatalf("sinktest: listen %s: %v", addr, err)
	}
	hs := httptest.NewUnstartedServer(s.handler)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // TLS handshake refusals are expected in tests
	hs.Listener.Close()
	hs.Listener = ln
	if s.useTLS {
		hs.StartTLS()
		s.cert = hs.Certificate()
	} else {
		hs.Start()
	}
	s.hs, s.addr, s.url = hs, ln.Addr().String(), hs.URL
}

// URL returns the base URL (http://127.0.0.1:port, or https with TLS). It
// does not change across Down and Up.
func (s *server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// TLSConfig returns a client configuration trusting the receiver's
// certificate (nil without TLS).
func (s *server) TLSConfig() *tls.Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.cert)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// Down closes the listener and every open connection: requests in flight
// fail and new connections are refused until Up.
func (s *server) Down() {
	s.mu.Lock()
	hs := s.hs
	s.hs = nil
	s.mu.Unlock()
	if hs != nil {
		hs.CloseClientConnections()
		hs.Close()
	}
}

// Up listens again on the address used before Down. It is a no-op when the
// receiver is up.
func (s *server) Up() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hs == nil {
		s.start(s.addr)
	}
}

// Slow delays every answer by d from now on (0 restores prompt answers):
// the request is read, then the receiver waits; if the client gives up
// first (a timeout), nothing of that request is indexed.
func (s *server) Slow(d time.Duration) {
	s.mu.Lock()
	s.slow = d
	s.mu.Unlock()
}

// arrived counts a request of the main endpoint (see Requests).
func (s *server) arrived() {
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
}

// Requests returns how many requests reached the main endpoint: HEC's
// event endpoint, Elasticsearch's _bulk (any answer).
func (s *server) Requests() int { return locked(&s.mu, func() int { return s.requests }) }

// locked returns f's result with mu held: the receivers' accessors read
// their records through it.
func locked[T any](mu *sync.Mutex, f func() T) T {
	mu.Lock()
	defer mu.Unlock()
	return f()
}

// wait applies the Slow delay; it reports false when the client went away.
func (s *server) wait(ctx context.Context) bool {
	s.mu.Lock()
	d := s.slow
	s.mu.Unlock()
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// faults counts down injected answers: take reports whether the next
// request gets the fault.
type faults struct {
	mu sync.Mutex
	n  map[string]int
}

func (f *faults) add(kind string, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == nil {
		f.n = map[string]int{}
	}
	f.n[kind] += n
}

func (f *faults) take(kind string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n[kind] > 0 {
		f.n[kind]--
		return true
	}
	return false
}
