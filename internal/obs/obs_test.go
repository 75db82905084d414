package obs

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"
)

// serve starts s until the test ends.
func serve(t *testing.T, s *Server) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := s.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	t.Cleanup(func() { cancel(); wg.Wait() })
}

// TestServerTimeouts: the metrics server has read, write and idle timeouts,
// so a client that connects and stalls (half a request, or an idle
// keep-alive connection) cannot hold a connection, and a goroutine, for
// ever. The defaults are checked, then the behaviour with short ones.
func TestServerTimeouts(t *testing.T) {
	s, err := Listen("127.0.0.1:0", NewRegistry(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, d := range map[string]time.Duration{"ReadHeaderTimeout": s.srv.ReadHeaderTimeout,
		"ReadTimeout": s.srv.ReadTimeout, "WriteTimeout": s.srv.WriteTimeout, "IdleTimeout": s.srv.IdleTimeout} {
		if d <= 0 {
			t.Errorf("metrics server %s = %v, want a bound", name, d)
		}
	}
	s.ln.Close()

	s, err = listen("127.0.0.1:0", NewRegistry(), nil, timeouts{header: 300 * time.Millisecond, read: 20 * time.Second,
		write: time.Second, idle: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, s)
	tests := []struct {
		name string
		send string // written, then the client waits
	}{
		{"half a request line", "GET /metr"},
		{"headers never finished", "GET /healthz HTTP/1.1\r\nHost: x\r\n"},
		{"idle after a request", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := net.Dial("tcp", s.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			// The server must close the connection; the client gives it 10s.
			_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
			r := bufio.NewReader(c)
			for {
				if _, err := r.ReadByte(); err != nil {
					if errors.Is(err, os.ErrDeadlineExceeded) {
						t.Fatalf("the server kept a stalled connection open for 10s")
					}
					return // closed by the server
				}
			}
		})
	}
	resp, err := http.Get("http://" + s.Addr() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %v, %v; want 200 after the stalled clients", resp, err)
	}
	resp.Body.Close()
}
