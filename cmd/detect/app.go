package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/detectstore"
	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/migrations"
)

type app struct {
	cfg *Config
	log zerolog.Logger
}

func newApp(cfg *Config, logOut io.Writer) (*app, error) {
	log, err := obs.NewLogger(pgdsn.Writer(logOut, cfg.DatabaseURL), cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return &app{cfg: cfg, log: log.With().Str("service", "detect").Logger()}, nil
}

// metrics are detect's Prometheus series.
type metrics struct {
	events, invalid prometheus.Counter
	alerts          *prometheus.CounterVec
	late            prometheus.Gauge
	truncated       prometheus.Counter
	untimed, future prometheus.Gauge
	stateBytes      prometheus.Gauge
	watermark       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		events:     prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_detect_events_total", Help: "Events processed by the rules."}),
		invalid:    prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_detect_invalid_total", Help: "Records that are not events, sent to the dead-letter topic."}),
		alerts:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pigment_detect_alerts_total", Help: "Alerts written, by rule and severity."}, []string{"rule", "severity"}),
		late:       prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_late_events", Help: "Events that arrived after their window was decided (since start)."}),
		untimed:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_untimed_events", Help: "Events without a usable time (none, or before 1700 or from 2200 on), in no window (since the state began)."}),
		future:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_future_events", Help: "Events dated more than maxFuture after their record's completeBefore, in no window (since the state began)."}),
		truncated:  prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_detect_alerts_truncated_total", Help: "Alerts cut to fit KAFKA_MAX_MESSAGE_BYTES (flagged truncated)."}),
		stateBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_state_bytes", Help: "Size of the saved detector state."}),
		watermark:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_detect_watermark_timestamp_seconds", Help: "Event-time watermark: windows before it are decided."}),
	}
	reg.MustRegister(m.events, m.invalid, m.alerts, m.truncated, m.late, m.untimed, m.future, m.stateBytes, m.watermark)
	return m
}

// runDetect is `detect run`: one active detector per DETECT_NAME (others
// stand by), its state and position saved in Postgres.
func (a *app) runDetect(ctx context.Context) error {
	rules, err := loadRules(a.cfg.RulesFile)
	if err != nil {
		return err
	}
	if err := migrations.Apply(ctx, a.cfg.DatabaseURL); err != nil {
		return fmt.Errorf("migrate database at %s: %w", pgdsn.Redact(a.cfg.DatabaseURL), pgdsn.Scrub(err, a.cfg.DatabaseURL))
	}
	pool, err := pgxpool.New(ctx, a.cfg.DatabaseURL)
	if err != nil {
		return fmt.Errorf("connect to database at %s: %w", pgdsn.Redact(a.cfg.DatabaseURL), pgdsn.Scrub(err, a.cfg.DatabaseURL))
	}
	defer pool.Close()
	brokers := a.cfg.Kafka.Addrs()
	if a.cfg.Kafka.Embedded() {
		a.log.Warn().Str("broker", a.cfg.Kafka.EmbeddedAddr).Msg("KAFKA_BROKERS=embedded: reading the in-memory broker that extract starts for trying out")
	}
	tr, err := a.cfg.Kafka.Transport("pigment-detect", a.log)
	if err != nil {
		return err
	}
	dialer, err := a.cfg.Kafka.Dialer("pigment-detect", a.log)
	if err != nil {
		return err
	}
	pub, err := publish.New(publish.Config{Brokers: brokers, Transport: tr, Compression: "lz4", MaxMessageBytes: a.cfg.MaxMessageBytes, Logger: a.log})
	if err != nil {
		return err
	}
	defer pub.Close()

	reg := obs.NewRegistry()
	prog := newProgress(a.cfg.Topic)
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pigment_detect_lag",
		Help: "Records of the events topic not yet processed, when scraped (NaN: end offsets never read)."}, prog.lag))
	var role atomic.Value
	role.Store("starting")
	srv, err := obs.Listen(a.cfg.MetricsAddr, reg, func() (bool, any) {
		r := role.Load()
		if r != "leader" {
			return true, map[string]any{"role": r} // standing by is healthy
		}
		ok, d := prog.check(a.cfg.StuckAfter)
		d["role"] = r
		return ok, d
	})
	if err != nil {
		return err
	}
	a.log.Info().Str("addr", srv.Addr()).Msg("serving /metrics and /healthz")
	sctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer stop()
	go func() {
		if err := srv.Run(sctx); err != nil {
			a.log.Error().Err(err).Msg("metrics server stopped; /metrics and /healthz are gone")
		}
	}()

	d := &detector{cfg: a.cfg, log: a.log, rules: rules, brokers: brokers, dialer: dialer, transport: tr, store: detectstore.New(pool), pub: pub, m: newMetrics(reg), prog: prog}
	err = checkpoint.New(pool).RunAsLeader(ctx, "detect:"+a.cfg.Name, a.cfg.StandbyPoll, a.log,
		func(r string) { role.Store(r) }, func(ctx context.Context) error {
			for {
				err := d.run(ctx)
				if !errors.Is(err, errRepartitioned) {
					return err
				}
				a.log.Warn().Msg("the events topic gained partitions; resuming from the saved state with all of them")
			}
		})
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil
	}
	return err
}
