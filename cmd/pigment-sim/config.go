package main

import (
	"context"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// config is the binary's whole configuration, read from SIM_* variables,
// grouped by what they shape.
type config struct {
	Addr            string        `env:"SIM_ADDR, default=127.0.0.1:8080"`
	APIKey          string        `env:"SIM_API_KEY, default=sim-key"`
	MetadataAPIKey  string        `env:"SIM_METADATA_API_KEY, default=sim-metadata-key"`
	LogLevel        string        `env:"SIM_LOG_LEVEL, default=info"`
	ShutdownTimeout time.Duration `env:"SIM_SHUTDOWN_TIMEOUT, default=10s"`
	Workspace
	Visibility
	Paging
	Faults
}

// Workspace is what the simulated workspace holds and generates: members,
// applications, history, live activity, planted anomalies or the labelled
// scenario.
type Workspace struct {
	Seed int64 `env:"SIM_SEED, default=1"`
	// MetadataChangeEvery is how often the structure served by the
	// Metadata API changes (a rename, a deletion, a growth in turn).
	MetadataChangeEvery time.Duration `env:"SIM_METADATA_CHANGE_EVERY, default=6h"`
	Members             int           `env:"SIM_MEMBERS, default=50"`
	Applications        int           `env:"SIM_APPLICATIONS, default=12"`
	Anomalies           bool          `env:"SIM_ANOMALIES, default=false"`
	Scenario            string        `env:"SIM_SCENARIO"`
	Rate                float64       `env:"SIM_RATE, default=5"` // events per second, live
	HistoryEvents       int           `env:"SIM_HISTORY_EVENTS, default=20000"`
	History             time.Duration `env:"SIM_HISTORY, default=24h"`
}

// Visibility is when events become visible: the ingestion lag, and the
// events that arrive late.
type Visibility struct {
	LagMin       time.Duration `env:"SIM_LAG_MIN, default=2s"`
	LagMax       time.Duration `env:"SIM_LAG_MAX, default=5m"`
	LateFraction float64       `env:"SIM_LATE_FRACTION, default=0.02"`
	LateMax      time.Duration `env:"SIM_LATE_MAX, default=90s"`
}

// Paging is how the API answers: the envelope, the order, pages and
// cursors, how far back it serves, and its rate limit.
type Paging struct {
	Shape      string        `env:"SIM_SHAPE, default=described"`
	Order      string        `env:"SIM_ORDER, default=desc"`
	PageSize   int           `env:"SIM_PAGE_SIZE, default=1000"`
	Lookback   time.Duration `env:"SIM_LOOKBACK, default=4320h"`
	CursorTTL  time.Duration `env:"SIM_CURSOR_TTL, default=0s"`
	RateLimit  int           `env:"SIM_RATE_LIMIT, default=500"`
	RateWindow time.Duration `env:"SIM_RATE_WINDOW, default=5m"`
	RetryAfter bool          `env:"SIM_RETRY_AFTER, default=false"`
}

// Faults are the failures injected into answers.
type Faults struct {
	FaultRate    float64       `env:"SIM_FAULT_RATE, default=0"`
	SlowRate     float64       `env:"SIM_SLOW_RATE, default=0"`
	SlowDelay    time.Duration `env:"SIM_SLOW_DELAY, default=2s"`
	TruncateRate float64       `env:"SIM_TRUNCATE_RATE, default=0"`
}

// loadConfig reads and validates the configuration. Errors name the
// variable and the rule, every problem at once.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (config, zerolog.Level, error) {
	var c config
	if err := envcfg.Process(ctx, &c, l); err != nil {
		return c, 0, err
	}
	level, err := zerolog.ParseLevel(strings.ToLower(c.LogLevel))
	var p envcfg.Problems
	p.Check(err != nil || c.LogLevel == "", "SIM_LOG_LEVEL %q: want trace, debug, info, warn or error", c.LogLevel)
	p.Check(c.APIKey == "", "SIM_API_KEY must not be empty")
	p.Check(c.MetadataAPIKey == "" || c.MetadataAPIKey == c.APIKey, "SIM_METADATA_API_KEY must not be empty nor equal SIM_API_KEY")
	p.Check(c.ShutdownTimeout <= 0, "SIM_SHUTDOWN_TIMEOUT must be positive")
	c.Workspace.check(&p)
	c.Visibility.check(&p)
	c.Paging.check(&p)
	c.Faults.check(&p)
	return c, level, p.Err()
}

func (w *Workspace) check(p *envcfg.Problems) {
	p.Check(w.Members < 1, "SIM_MEMBERS must be at least 1")
	p.Check(w.Anomalies && w.Members < 20, "SIM_MEMBERS must be at least 20 with SIM_ANOMALIES")
	p.Check(w.Scenario != "" && w.Scenario != pigmentsim.ScenarioLabelled, "SIM_SCENARIO %q: want empty or labelled", w.Scenario)
	p.Check(w.Scenario != "" && (w.Anomalies || w.Members < 100 || w.Applications < 30),
		"SIM_SCENARIO labelled needs SIM_MEMBERS >= 100, SIM_APPLICATIONS >= 30 and no SIM_ANOMALIES")
	p.Check(w.Applications < 1, "SIM_APPLICATIONS must be at least 1")
	p.Check(w.MetadataChangeEvery <= 0, "SIM_METADATA_CHANGE_EVERY must be positive")
	p.Check(w.Rate < 0, "SIM_RATE must not be negative")
	p.Check(w.History < 0, "SIM_HISTORY must not be negative")
	p.Check(w.HistoryEvents < 0, "SIM_HISTORY_EVENTS must not be negative")
}

func (v *Visibility) check(p *envcfg.Problems) {
	p.Check(v.LagMin < 0 || v.LagMax < v.LagMin, "SIM_LAG_MIN/SIM_LAG_MAX: want 0 <= SIM_LAG_MIN <= SIM_LAG_MAX")
	p.Check(v.LateFraction < 0 || v.LateFraction > 1, "SIM_LATE_FRACTION must be within [0, 1]")
	p.Check(v.LateMax < 0, "SIM_LATE_MAX must not be negative")
}

func (g *Paging) check(p *envcfg.Problems) {
	p.Check(g.Shape != pigmentsim.ShapeDescribed && g.Shape != pigmentsim.ShapePublic, "SIM_SHAPE %q: want described or public", g.Shape)
	p.Check(g.Order != pigmentsim.OrderDesc && g.Order != pigmentsim.OrderAsc, "SIM_ORDER %q: want desc or asc", g.Order)
	p.Check(g.PageSize < 1, "SIM_PAGE_SIZE must be at least 1")
	p.Check(g.RateLimit < 0, "SIM_RATE_LIMIT must not be negative (0 = off)")
	p.Check(g.RateWindow <= 0, "SIM_RATE_WINDOW must be positive")
	p.Check(g.Lookback <= 0, "SIM_LOOKBACK must be positive")
	p.Check(g.CursorTTL < 0, "SIM_CURSOR_TTL must not be negative (0 = never expire)")
}

func (f *Faults) check(p *envcfg.Problems) {
	for _, r := range []struct {
		name string
		rate float64
	}{{"SIM_FAULT_RATE", f.FaultRate}, {"SIM_SLOW_RATE", f.SlowRate}, {"SIM_TRUNCATE_RATE", f.TruncateRate}} {
		p.Check(r.rate < 0 || r.rate > 1, "%s must be within [0, 1]", r.name)
	}
	p.Check(f.SlowDelay < 0, "SIM_SLOW_DELAY must not be negative")
}

// simConfig maps the binary's configuration onto the library's.
func (c config) simConfig() pigmentsim.Config {
	late := c.LateFraction
	if late == 0 {
		late = -1 // explicit 0 means no late events; the library's zero means default
	}
	return pigmentsim.Config{
		Seed: c.Seed, APIKey: c.APIKey, MetadataAPIKey: c.MetadataAPIKey, MetadataChangeEvery: c.MetadataChangeEvery,
		Members: c.Members, Applications: c.Applications,
		Rate: c.Rate, History: c.History, HistoryEvents: c.HistoryEvents,
		LagMin: c.LagMin, LagMax: c.LagMax, LateFraction: late, LateMax: c.LateMax,
		Shape: c.Shape, Order: c.Order, PageSize: c.PageSize,
		RateLimit: c.RateLimit, RateWindow: c.RateWindow, RetryAfter: c.RetryAfter,
		Lookback: c.Lookback, CursorTTL: c.CursorTTL,
		FaultRate: c.FaultRate, SlowRate: c.SlowRate, SlowDelay: c.SlowDelay, TruncateRate: c.TruncateRate,
		Anomalies: c.Anomalies, Scenario: c.Scenario,
	}
}
