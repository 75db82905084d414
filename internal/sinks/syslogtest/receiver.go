package syslogtest

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Receiver is a strict syslog receiver on 127.0.0.1: over TCP or TLS it
// reads RFC 6587 octet-counted frames ("<len> <msg>"), over UDP one message
// per datagram, and checks every message with Parse. A framing or parse
// error is recorded, the connection is closed as a real receiver would, and
// the test fails at cleanup. It is safe for concurrent use.
type Receiver struct {
	Addr string // host:port to send to

	tb    testing.TB
	mu    sync.Mutex
	msgs  []Message
	errs  []error
	hs    []error           // failed TLS handshakes
	conns map[net.Conn]bool // value: closed by CloseConnections
	n     int               // connections accepted
	wg    sync.WaitGroup
}

// NewTCPReceiver starts a receiver on 127.0.0.1:0 with octet-counting
// framing; with a non-nil cfg it speaks TLS (RFC 5425). It stops at cleanup.
func NewTCPReceiver(tb testing.TB, cfg *tls.Config) *Receiver {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("syslog receiver: %v", err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	r := &Receiver{Addr: ln.Addr().String(), tb: tb, conns: map[net.Conn]bool{}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.conns[c] = false
			r.n++
			r.mu.Unlock()
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				r.readFrames(c)
			}()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		r.CloseConnections()
		r.wg.Wait()
		r.report()
	})
	return r
}

// NewUDPReceiver starts a receiver of RFC 5426 datagrams on 127.0.0.1:0.
// It stops at cleanup.
func NewUDPReceiver(tb testing.TB) *Receiver {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("syslog UDP receiver: %v", err)
	}
	r := &Receiver{Addr: pc.LocalAddr().String(), tb: tb, conns: map[net.Conn]bool{}}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			r.add(append([]byte(nil), buf[:n]...))
		}
	}()
	tb.Cleanup(func() {
		pc.Close()
		r.wg.Wait()
		r.report()
	})
	return r
}

// readFrames reads octet-counted frames from c until EOF or an error.
func (r *Receiver) readFrames(c net.Conn) {
	defer func() {
		c.Close()
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
	}()
	if tc, ok := c.(*tls.Conn); ok {
		if err := tc.Handshake(); err != nil {
			r.mu.Lock()
			r.hs = append(r.hs, err)
			r.mu.Unlock()
			return
		}
	}
	br := bufio.NewReader(c)
	for {
		size, err := frameLen(br)
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			r.failConn(c, err)
			return
		}
		msg := make([]byte, size)
		if _, err := io.ReadFull(br, msg); err != nil {
			r.failConn(c, fmt.Errorf("frame of %d bytes cut short: %w", size, err))
			return
		}
		if !r.add(msg) {
			return
		}
	}
}

// frameLen reads MSG-LEN SP: NONZERO-DIGIT *DIGIT, then one space. It
// returns io.EOF only when the stream ends cleanly between frames.
func frameLen(br *bufio.Reader) (int, error) {
	n := 0
	for i := 0; ; i++ {
		c, err := br.ReadByte()
		if err != nil {
			if i == 0 && errors.Is(err, io.EOF) {
				return 0, io.EOF
			}
			if i == 0 && errors.Is(err, net.ErrClosed) {
				return 0, io.EOF
			}
			return 0, fmt.Errorf("MSG-LEN cut short: %w", err)
		}
		switch {
		case c == ' ' && i > 0:
			return n, nil
		case c >= '1' && c <= '9', c == '0' && i > 0:
			if i >= 9 {
				return 0, errors.New("MSG-LEN longer than 9 digits")
			}
			n = n*10 + int(c-'0')
		default:
			return 0, fmt.Errorf("not RFC 6587 octet counting: byte %q at MSG-LEN position %d", c, i)
		}
	}
}

// add parses and records msg; it reports whether msg was valid.
func (r *Receiver) add(msg []byte) bool {
	m, err := Parse(msg)
	if err != nil {
		r.fail(fmt.Errorf("invalid RFC 5424 message %q: %w", msg, err))
		return false
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return true
}

// failConn records err unless c was closed on purpose by CloseConnections.
func (r *Receiver) failConn(c net.Conn, err error) {
	r.mu.Lock()
	ours := r.conns[c]
	r.mu.Unlock()
	if !ours {
		r.fail(err)
	}
}

func (r *Receiver) fail(err error) {
	r.mu.Lock()
	r.errs = append(r.errs, err)
	r.mu.Unlock()
}

func (r *Receiver) report() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, err := range r.errs {
		r.tb.Errorf("syslog receiver %s: %v", r.Addr, err)
	}
}

// Messages returns the valid messages received so far, in arrival order.
func (r *Receiver) Messages() []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Message(nil), r.msgs...)
}

// HandshakeErrors returns the TLS handshakes that failed so far. They are
// not test failures: a client refusing the certificate is one.
func (r *Receiver) HandshakeErrors() []error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]error(nil), r.hs...)
}

// Accepted returns the number of connections accepted so far.
func (r *Receiver) Accepted() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

// Wait returns the messages once at least n arrived; it fails the test if
// they do not within timeout.
func (r *Receiver) Wait(tb testing.TB, n int, timeout time.Duration) []Message {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		msgs := r.Messages()
		if len(msgs) >= n {
			return msgs
		}
		if time.Now().After(deadline) {
			tb.Fatalf("syslog receiver %s: %d messages after %v, want %d", r.Addr, len(msgs), timeout, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// CloseConnections closes every open connection, as a receiver restarting
// would, and returns once they are closed. The listener keeps accepting.
func (r *Receiver) CloseConnections() {
	r.mu.Lock()
	for c := range r.conns {
		r.conns[c] = true
		c.Close()
	}
	r.mu.Unlock()
}
