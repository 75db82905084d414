package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/kpi"
)

// dayEndMargin is how long after a UTC midnight the day that ended is
// computed once more: events ingested in the last minutes of the day
// reach the archive a little later.
const dayEndMargin = 15 * time.Minute

// kpis computes the reliability KPIs (internal/kpi) into the archive
// database after each snapshot, for today, and once a day for the day that
// ended. The audit-event KPIs are counted from the archive when it holds
// events, else from the events topic, chosen anew at every run (forward
// SINK=postgres may start filling the archive at any time).
type kpis struct {
	archive    *pgxpool.Pool // kpi_daily, kpi_alerts, archive_events
	inventory  *inventory.Store
	topic      kpi.TopicSource
	alerts     kpi.Publisher
	topicName  string
	thresholds kpi.Thresholds
	metrics    *kpi.Metrics
	log        zerolog.Logger
	now        func() time.Time

	// mu makes the runs after a snapshot and the daily ones take turns, so
	// that two never produce the same pending alert at once.
	mu sync.Mutex
}

// newKPIs wires the KPIs of cfg: thresholds from the policy, the topic
// source on brokers through dialer.
func newKPIs(cfg *Config, archive *pgxpool.Pool, store *inventory.Store, brokers []string, dialer *kafka.Dialer,
	alerts kpi.Publisher, metrics *kpi.Metrics, log zerolog.Logger) *kpis {
	return &kpis{archive: archive, inventory: store, alerts: alerts, topicName: cfg.AlertsTopic,
		topic:      kpi.TopicSource{Brokers: brokers, Topic: cfg.EventsTopic, Dialer: dialer, Logger: log},
		thresholds: thresholdsOf(cfg.policy), metrics: metrics, log: log, now: time.Now}
}

// thresholdsOf are the KPIs' targets and limits as the policy sets them;
// large applications and naming violations have the target 0 (the
// description's KPI table), not the policy's finding thresholds.
func thresholdsOf(p *inventory.Policy) kpi.Thresholds {
	t := kpi.DefaultThresholds()
	t.DailyChanges = int64(p.Thresholds.DailyChanges)
	t.DailySecurityEvents = int64(p.Thresholds.DailySecurityEvents)
	t.FailedLoginShare = float64(p.Thresholds.FailedLoginShare)
	t.APIErrorRate = float64(p.Thresholds.APIErrorRate)
	t.AvgDimensions = p.AverageDimensions.Target
	return t
}

// summaries adapts the inventory's store to the KPIs' InventorySource.
type summaries struct{ store *inventory.Store }

var _ kpi.InventorySource = summaries{}

// LatestSummary implements kpi.InventorySource.
func (s summaries) LatestSummary(ctx context.Context, t time.Time) (kpi.InventorySummary, bool, error) {
	sum, ok, err := s.store.LatestSummary(ctx, t)
	return kpi.InventorySummary(sum), ok, err
}

// run computes, saves and alerts the KPIs of days.
func (k *kpis) run(ctx context.Context, days ...time.Time) (kpi.Result, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	events, err := kpi.SelectSource(ctx, k.archive, k.topic)
	if err != nil {
		return kpi.Result{}, fmt.Errorf("kpis: %w", err)
	}
	r, err := kpi.New(kpi.Config{Events: events, Inventory: summaries{k.inventory}, Store: kpi.NewStore(k.archive),
		Alerts: k.alerts, AlertsTopic: k.topicName, Thresholds: k.thresholds, Metrics: k.metrics,
		Now: k.now})
	if err != nil {
		return kpi.Result{}, err
	}
	res, err := r.Run(ctx, days...)
	if err != nil {
		return res, fmt.Errorf("kpis of %s: %w", kpi.Day(days[0]).Format(time.DateOnly), err)
	}
	k.log.Info().Str("source", events.Name()).Int("values", len(res.Values)).Int("alerts", res.Alerts).Int("daily", res.Daily).
		Str("day", kpi.Day(days[len(days)-1]).Format(time.DateOnly)).Msg("kpis computed")
	return res, nil
}

// afterSnapshot computes today's KPIs once a snapshot is saved. A failure
// is logged, not the snapshot's: the next snapshot or the daily run
// computes the day again.
func (k *kpis) afterSnapshot(ctx context.Context, _ inventory.Summary) {
	if _, err := k.run(ctx, k.now()); err != nil && ctx.Err() == nil {
		k.log.Error().Err(err).Msg("kpis after the snapshot failed")
	}
}

// daily computes today's KPIs at once (a restarted leader shows its
// gauges without waiting for a snapshot), then the day that ended,
// dayEndMargin after each UTC midnight, until ctx ends; a failure is
// logged and tried again after a minute.
func (k *kpis) daily(ctx context.Context) error {
	k.afterSnapshot(ctx, inventory.Summary{})
	for {
		now := k.now()
		next, ended := dayEnd(now)
		if err := backoff.Sleep(ctx, next.Sub(now)); err != nil {
			return err
		}
		for {
			_, err := k.run(ctx, ended)
			if err == nil || ctx.Err() != nil {
				break
			}
			k.log.Error().Err(err).Msg("kpis of the day that ended failed; trying again in a minute")
			if err := backoff.Sleep(ctx, time.Minute); err != nil {
				return err
			}
		}
	}
}

// dayEnd is when the next day that ends after now is computed
// (dayEndMargin past its end), and that day.
func dayEnd(now time.Time) (next, day time.Time) {
	next = kpi.Day(now).Add(dayEndMargin)
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	return next, kpi.Day(next.AddDate(0, 0, -1))
}
