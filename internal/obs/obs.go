// Package obs sets up what every daemon of the product exposes to its
// operator: structured logs, Prometheus metrics and a health endpoint.
package obs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// NewLogger returns a zerolog logger writing JSON lines (format "json") or
// human-readable lines (format "console") at the given level.
func NewLogger(w io.Writer, level, format string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Nop(), fmt.Errorf("LOG_LEVEL %q: want trace, debug, info, warn or error", level)
	}
	switch format {
	case "json":
	case "console":
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	default:
		return zerolog.Nop(), fmt.Errorf("LOG_FORMAT %q: want json or console", format)
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

// NewRegistry returns a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// HealthFunc reports whether the process is healthy, with details shown as
// JSON on /healthz.
type HealthFunc func() (ok bool, details any)

// Server serves /metrics and /healthz.
type Server struct {
	srv *http.Server
	ln  net.Listener
}

// timeouts bound how long a client may hold a connection of the metrics
// server: to send its request headers, its whole request, to read the
// answer, and idle between keep-alive requests.
type timeouts struct{ header, read, write, idle time.Duration }

// defaultTimeouts are generous for a scraper or a probe, and short enough
// that stalled or idle clients cannot pile up connections and goroutines.
// write covers a scrape of a large registry and a health check that asks
// Kafka (bounded itself at a few seconds).
var defaultTimeouts = timeouts{header: 5 * time.Second, read: 10 * time.Second, write: 30 * time.Second, idle: 60 * time.Second}

// Listen binds addr (host:port; port 0 picks one) so that a taken port is
// reported at start-up, before any work begins. The server has read, write
// and idle timeouts (defaultTimeouts).
func Listen(addr string, reg *prometheus.Registry, health HealthFunc) (*Server, error) {
	return listen(addr, reg, health, defaultTimeouts)
}

func listen(addr string, reg *prometheus.Registry, health HealthFunc, to timeouts) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR %q: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ok, details := true, any(nil)
		if health != nil {
			ok, details = health()
		}
		w.Header().Set("Content-Type", "application/json")
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"ok": ok, "details": details})
	})
	return &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: to.header, ReadTimeout: to.read,
		WriteTimeout: to.write, IdleTimeout: to.idle}, ln: ln}, nil
}

// Addr is the address actually bound.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Run serves until ctx ends, then shuts down within five seconds.
func (s *Server) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("metrics server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	<-errc // Serve returns as soon as Shutdown has closed the listener
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("metrics server shutdown: %w", err)
	}
	return nil
}
