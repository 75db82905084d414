package kpi

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Config is what a Runner computes from and writes to.
type Config struct {
	Events    EventSource
	Inventory InventorySource // nil: the inventory's KPIs are not available
	Store     *Store
	// Alerts writes the threshold alerts to AlertsTopic.
	Alerts      Publisher
	AlertsTopic string
	Thresholds  Thresholds
	Metrics     *Metrics // nil: no gauges
	// Now is the clock that says which days ended (their daily records
	// are sent); nil: time.Now.
	Now func() time.Time
}

// Runner computes, keeps and alerts on the KPIs of given days. The
// inventory program calls Run after each snapshot (for today) and once a
// day (for the day that just ended); Run is safe to repeat.
type Runner struct {
	cfg Config
}

// New checks cfg and returns a Runner.
func New(cfg Config) (*Runner, error) {
	var errs []error
	if cfg.Events == nil {
		errs = append(errs, errors.New("kpi: no event source"))
	}
	if cfg.Store == nil {
		errs = append(errs, errors.New("kpi: no store"))
	}
	if cfg.Alerts == nil || cfg.AlertsTopic == "" {
		errs = append(errs, errors.New("kpi: no alerts publisher or topic"))
	}
	if err := cfg.Thresholds.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("kpi: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Runner{cfg: cfg}, nil
}

// Result is what one Run did.
type Result struct {
	Values []Value // every KPI of every day, days in order
	Alerts int     // threshold alerts produced (decided now, or earlier and not yet acknowledged)
	Daily  int     // daily records (RuleDaily) produced, likewise
}

// Run computes the KPIs of days (any time of each; UTC days), saves them in
// kpi_daily, records an alert for each past its target that has none yet
// and a daily record (RuleDaily) for each of a day that ended that has
// none yet, produces the alerts not yet acknowledged, and shows the latest day as
// gauges. The KPIs are saved before the alerts are produced: a failed
// produce is retried by the next Run, which finds the alerts recorded.
func (r *Runner) Run(ctx context.Context, days ...time.Time) (Result, error) {
	if len(days) == 0 {
		return Result{}, errors.New("kpi: no day to compute")
	}
	norm := make([]time.Time, len(days))
	for i, d := range days {
		norm[i] = Day(d)
	}
	slices.SortFunc(norm, time.Time.Compare)
	norm = slices.Compact(norm)
	first, last := norm[0], norm[len(norm)-1]
	counts, err := r.cfg.Events.Counts(ctx, first.AddDate(0, 0, -historyDays), last.AddDate(0, 0, 1))
	if err != nil {
		return Result{}, err
	}
	var res Result
	for _, day := range norm {
		values, err := r.compute(ctx, history(counts), day)
		if err != nil {
			return res, err
		}
		res.Values = append(res.Values, values...)
	}
	if err := r.cfg.Store.Save(ctx, res.Values); err != nil {
		return res, err
	}
	alerts, err := decide(res.Values, r.cfg.Now())
	if err != nil {
		return res, err
	}
	if err := r.cfg.Store.enqueue(ctx, alerts); err != nil {
		return res, err
	}
	r.cfg.Metrics.set(last, res.Values[len(res.Values)-len(Names):])
	res.Alerts, res.Daily, err = r.flush(ctx)
	return res, err
}

// compute returns the KPIs of day, in the order of Names.
func (r *Runner) compute(ctx context.Context, h history, day time.Time) ([]Value, error) {
	values := eventValues(h, day, r.cfg.Thresholds, r.cfg.Events.Name())
	var s InventorySummary
	ok := false
	if r.cfg.Inventory != nil {
		var err error
		// The newest snapshot of the day: taken before its end (Postgres
		// keeps microseconds).
		if s, ok, err = r.cfg.Inventory.LatestSummary(ctx, day.AddDate(0, 0, 1).Add(-time.Microsecond)); err != nil {
			return nil, fmt.Errorf("inventory summary of %s: %w", day.Format(time.DateOnly), err)
		}
	}
	values = append(values, inventoryValues(s, ok, day, r.cfg.Thresholds)...)
	slices.SortStableFunc(values, func(a, b Value) int {
		return slices.Index(Names, a.KPI) - slices.Index(Names, b.KPI)
	})
	return values, nil
}
