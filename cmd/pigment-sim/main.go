// Command pigment-sim serves a simulated Pigment workspace: the Audit Logs
// API (/api/audit/v1/events) and the Metadata API (/api/v1/applications,
// /blocks, /importConfigurations, /views, with their own key and a structure
// that changes over time), with Pigment's paging, one rate limit for every
// endpoint, lookback and late events, plus injectable faults. It is configured with SIM_* environment
// variables (see config) and logs JSON to stdout. SIGINT or SIGTERM shut it
// down gracefully.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "pigment-sim: %v\n", err)
		os.Exit(1)
	}
}

// run serves until ctx is cancelled, then shuts down within
// SIM_SHUTDOWN_TIMEOUT. It returns configuration, listen and serve errors.
func run(ctx context.Context, args []string, env envconfig.Lookuper, stdout io.Writer) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q: configure with SIM_* environment variables", args)
	}
	cfg, level, err := loadConfig(ctx, env)
	if err != nil {
		return err
	}
	log := zerolog.New(stdout).Level(level).With().Timestamp().Str("service", "pigment-sim").Logger()

	start := time.Now()
	sim, err := pigmentsim.New(cfg.simConfig())
	if err != nil {
		return fmt.Errorf("start simulator: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on SIM_ADDR %q: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           accessLog(log, sim.Handler()),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	logStart(log, cfg, ln.Addr().String(), sim.Count(), time.Since(start))
	logPlanted(log, sim)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info().Msg("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	shutErr := srv.Shutdown(sctx)
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	if shutErr != nil {
		return fmt.Errorf("shutdown: %w", shutErr)
	}
	st := sim.Stats()
	log.Info().Int64("requests", st.Requests).Int64("served_events", st.Served).
		Int64("rate_limited", st.RateLimited).Int64("faults", st.Faults).Int64("truncated", st.Truncated).
		Int64("unauthorized", st.Unauthorized).Msg("stopped")
	return nil
}

// logStart logs the listen address and the configuration, never the API key.
func logStart(log zerolog.Logger, c config, addr string, events int, took time.Duration) {
	log.Info().
		Str("addr", addr).
		Int64("seed", c.Seed).Int("members", c.Members).Int("applications", c.Applications).
		Float64("rate", c.Rate).Stringer("history", c.History).Int("history_events", c.HistoryEvents).
		Int("events", events).Stringer("generated_in", took).
		Dur("lag_min", c.LagMin).Stringer("lag_max", c.LagMax).
		Float64("late_fraction", c.LateFraction).Stringer("late_max", c.LateMax).
		Str("shape", c.Shape).Str("order", c.Order).Int("page_size", c.PageSize).
		Int("rate_limit", c.RateLimit).Stringer("rate_window", c.RateWindow).Bool("retry_after", c.RetryAfter).
		Dur("lookback", c.Lookback).Stringer("cursor_ttl", c.CursorTTL).
		Float64("fault_rate", c.FaultRate).Float64("slow_rate", c.SlowRate).Stringer("slow_delay", c.SlowDelay).
		Float64("truncate_rate", c.TruncateRate).Bool("anomalies", c.Anomalies).Str("scenario", c.Scenario).
		Stringer("metadata_change_every", c.MetadataChangeEvery).
		Msg("listening")
}

// logPlanted logs the ground truth of the planted anomalies (SIM_ANOMALIES)
// or of the labelled scenario (SIM_SCENARIO), one line each, and the
// control members.
func logPlanted(log zerolog.Logger, sim *pigmentsim.Sim) {
	for _, p := range sim.Planted() {
		log.Info().Str("kind", p.Kind).Str("actor_id", p.ActorID).Str("actor_email", p.ActorEmail).
			Str("application_id", p.ApplicationID).Time("from", p.From).Time("to", p.To).
			Int("events", len(p.EventIDs)).Msg("planted anomaly")
	}
	for _, l := range sim.Labels() {
		log.Info().Str("rule", l.Rule).Str("key", l.Key).Str("member", l.Member).Str("application_id", l.Application).
			Bool("expect_alert", l.Expect).Str("what", l.What).Msg("labelled case")
	}
	if c := sim.ControlActors(); c != nil {
		log.Info().Strs("control_actors", c).Msg("control members")
	}
}

// statusWriter records the status code for the access log. Unwrap lets
// http.ResponseController reach the real writer (flush, abort).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog logs each request at debug level.
func accessLog(log zerolog.Logger, next http.Handler) http.Handler {
	if log.GetLevel() > zerolog.DebugLevel {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		log.Debug().Str("method", r.Method).Str("path", r.URL.Path).Int("status", sw.status).
			Dur("took", time.Since(start)).Msg("request")
	})
}
