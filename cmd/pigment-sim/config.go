package main

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

const envPrefix = "SIM_"

// config is the binary's whole configuration, read from SIM_* variables.
type config struct {
	Addr            string        `env:"ADDR, default=127.0.0.1:8080"`
	APIKey          string        `env:"API_KEY, default=sim-key"`
	Seed            int64         `env:"SEED, default=1"`
	Members         int           `env:"MEMBERS, default=50"`
	Applications    int           `env:"APPLICATIONS, default=12"`
	Rate            float64       `env:"RATE, default=5"`
	History         time.Duration `env:"HISTORY, default=24h"`
	HistoryEvents   int           `env:"HISTORY_EVENTS, default=20000"`
	LagMin          time.Duration `env:"LAG_MIN, default=2s"`
	LagMax          time.Duration `env:"LAG_MAX, default=5m"`
	LateFraction    float64       `env:"LATE_FRACTION, default=0.02"`
	LateMax         time.Duration `env:"LATE_MAX, default=90s"`
	Shape           string        `env:"SHAPE, default=described"`
	Order           string        `env:"ORDER, default=desc"`
	PageSize        int           `env:"PAGE_SIZE, default=1000"`
	RateLimit       int           `env:"RATE_LIMIT, default=500"`
	RateWindow      time.Duration `env:"RATE_WINDOW, default=5m"`
	RetryAfter      bool          `env:"RETRY_AFTER, default=false"`
	Lookback        time.Duration `env:"LOOKBACK, default=4320h"`
	CursorTTL       time.Duration `env:"CURSOR_TTL, default=0s"`
	FaultRate       float64       `env:"FAULT_RATE, default=0"`
	SlowRate        float64       `env:"SLOW_RATE, default=0"`
	SlowDelay       time.Duration `env:"SLOW_DELAY, default=2s"`
	TruncateRate    float64       `env:"TRUNCATE_RATE, default=0"`
	Anomalies       bool          `env:"ANOMALIES, default=false"`
	Scenario        string        `env:"SCENARIO"`
	LogLevel        string        `env:"LOG_LEVEL, default=info"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT, default=10s"`
}

// loadConfig reads and validates the configuration. Errors name the
// variable and the rule.
func loadConfig(ctx context.Context, l envconfig.Lookuper) (config, zerolog.Level, error) {
	var c config
	err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &c, Lookuper: envconfig.PrefixLookuper(envPrefix, l)})
	if err != nil {
		return c, 0, renameField(err)
	}
	level, err := zerolog.ParseLevel(strings.ToLower(c.LogLevel))
	if err != nil || c.LogLevel == "" {
		return c, 0, fmt.Errorf("SIM_LOG_LEVEL %q: want trace, debug, info, warn or error", c.LogLevel)
	}
	checks := []struct {
		bad  bool
		name string
		rule string
	}{
		{c.APIKey == "", "SIM_API_KEY", "must not be empty"},
		{c.Members < 1, "SIM_MEMBERS", "must be at least 1"},
		{c.Anomalies && c.Members < 20, "SIM_MEMBERS", "must be at least 20 with SIM_ANOMALIES"},
		{c.Scenario != "" && c.Scenario != pigmentsim.ScenarioLabelled, "SIM_SCENARIO", "want empty or labelled"},
		{c.Scenario != "" && (c.Anomalies || c.Members < 100 || c.Applications < 30), "SIM_SCENARIO",
			"labelled needs SIM_MEMBERS >= 100, SIM_APPLICATIONS >= 30 and no SIM_ANOMALIES"},
		{c.Applications < 1, "SIM_APPLICATIONS", "must be at least 1"},
		{c.Rate < 0, "SIM_RATE", "must not be negative"},
		{c.History < 0, "SIM_HISTORY", "must not be negative"},
		{c.HistoryEvents < 0, "SIM_HISTORY_EVENTS", "must not be negative"},
		{c.LagMin < 0 || c.LagMax < c.LagMin, "SIM_LAG_MIN/SIM_LAG_MAX", "want 0 <= SIM_LAG_MIN <= SIM_LAG_MAX"},
		{c.LateFraction < 0 || c.LateFraction > 1, "SIM_LATE_FRACTION", "must be within [0, 1]"},
		{c.LateMax < 0, "SIM_LATE_MAX", "must not be negative"},
		{c.Shape != pigmentsim.ShapeDescribed && c.Shape != pigmentsim.ShapePublic, "SIM_SHAPE", "want described or public"},
		{c.Order != pigmentsim.OrderDesc && c.Order != pigmentsim.OrderAsc, "SIM_ORDER", "want desc or asc"},
		{c.PageSize < 1, "SIM_PAGE_SIZE", "must be at least 1"},
		{c.RateLimit < 0, "SIM_RATE_LIMIT", "must not be negative (0 = off)"},
		{c.RateWindow <= 0, "SIM_RATE_WINDOW", "must be positive"},
		{c.Lookback <= 0, "SIM_LOOKBACK", "must be positive"},
		{c.CursorTTL < 0, "SIM_CURSOR_TTL", "must not be negative (0 = never expire)"},
		{c.FaultRate < 0 || c.FaultRate > 1, "SIM_FAULT_RATE", "must be within [0, 1]"},
		{c.SlowRate < 0 || c.SlowRate > 1, "SIM_SLOW_RATE", "must be within [0, 1]"},
		{c.SlowDelay < 0, "SIM_SLOW_DELAY", "must not be negative"},
		{c.TruncateRate < 0 || c.TruncateRate > 1, "SIM_TRUNCATE_RATE", "must be within [0, 1]"},
		{c.ShutdownTimeout <= 0, "SIM_SHUTDOWN_TIMEOUT", "must be positive"},
	}
	for _, ch := range checks {
		if ch.bad {
			return c, 0, fmt.Errorf("%s: %s", ch.name, ch.rule)
		}
	}
	return c, level, nil
}

// simConfig maps the binary's configuration onto the library's.
func (c config) simConfig() pigmentsim.Config {
	late := c.LateFraction
	if late == 0 {
		late = -1 // explicit 0 means no late events; the library's zero means default
	}
	return pigmentsim.Config{
		Seed: c.Seed, APIKey: c.APIKey, Members: c.Members, Applications: c.Applications,
		Rate: c.Rate, History: c.History, HistoryEvents: c.HistoryEvents,
		LagMin: c.LagMin, LagMax: c.LagMax, LateFraction: late, LateMax: c.LateMax,
		Shape: c.Shape, Order: c.Order, PageSize: c.PageSize,
		RateLimit: c.RateLimit, RateWindow: c.RateWindow, RetryAfter: c.RetryAfter,
		Lookback: c.Lookback, CursorTTL: c.CursorTTL,
		FaultRate: c.FaultRate, SlowRate: c.SlowRate, SlowDelay: c.SlowDelay, TruncateRate: c.TruncateRate,
		Anomalies: c.Anomalies, Scenario: c.Scenario,
	}
}

// renameField turns go-envconfig's "FieldName: ..." errors into errors that
// name the environment variable.
func renameField(err error) error {
	msg := err.Error()
	field, rest, ok := strings.Cut(msg, ": ")
	if !ok {
		return fmt.Errorf("read SIM_* configuration: %w", err)
	}
	f, found := reflect.TypeFor[config]().FieldByName(field)
	if !found {
		return fmt.Errorf("read SIM_* configuration: %w", err)
	}
	name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
	inner := errors.Unwrap(err)
	if inner == nil {
		inner = errors.New(rest)
	}
	return fmt.Errorf("%s%s: %w", envPrefix, name, inner)
}
