package main

import (
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"
)

// TestPollIntervalDerivesFromTheShare loads the configuration as extract
// does: the interval is window / (limit × share) unless
// PIGMENT_POLL_INTERVAL names one.
func TestPollIntervalDerivesFromTheShare(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		env         map[string]string
		want        time.Duration
		wantDerived bool
		wantPerDay  float64
	}{
		{"defaults: 500/5m at 15%", nil, 4 * time.Second, true, 21600},
		{"a smaller share", map[string]string{"PIGMENT_POLL_SHARE": "5%"}, 12 * time.Second, true, 7200},
		{"share without the sign", map[string]string{"PIGMENT_POLL_SHARE": "30"}, 2 * time.Second, true, 43200},
		{"another budget", map[string]string{"PIGMENT_RATE_LIMIT": "100/1m", "PIGMENT_POLL_SHARE": "10%"}, 6 * time.Second, true, 14400},
		{"limit off: Pigment's own budget", map[string]string{"PIGMENT_RATE_LIMIT": "off"}, 4 * time.Second, true, 21600},
		{"explicit interval wins", map[string]string{"PIGMENT_POLL_INTERVAL": "30s", "PIGMENT_POLL_SHARE": "50%"}, 30 * time.Second, false, 2880},
	}
	for _, tt := range tests {
		env := map[string]string{"PIGMENT_AUDIT_API_KEY": "k"}
		for k, v := range tt.env {
			env[k] = v
		}
		cfg, err := loadConfig(t.Context(), envconfig.MapLookuper(env))
		if err != nil {
			t.Fatalf("%s: loadConfig: %v", tt.name, err)
		}
		got := cfg.poll()
		if q := got.Quiet(); q != max(3*tt.want, 90*time.Second) && tt.wantDerived || q != 3*tt.want && !tt.wantDerived {
			t.Errorf("%s: Quiet() = %s, want three intervals (at least 90s when derived)", tt.name, q)
		}
		if got.Interval != tt.want || got.Derived != tt.wantDerived || got.PerDay != tt.wantPerDay {
			t.Errorf("%s: poll() = %+v, want interval %s, derived %v, %v requests a day", tt.name, got, tt.want, tt.wantDerived, tt.wantPerDay)
		}
	}
}

func TestBadPollShareIsRefused(t *testing.T) {
	t.Parallel()
	for _, share := range []string{"0%", "-5%", "150%", "lots", "NaN"} {
		_, err := loadConfig(t.Context(), envconfig.MapLookuper(map[string]string{"PIGMENT_POLL_SHARE": share}))
		if err == nil {
			t.Errorf("loadConfig(PIGMENT_POLL_SHARE=%s) = nil, want an error naming the variable", share)
		}
	}
}

// TestPollShareOutsideAnyIntervalIsRefused: a share so small (or a budget
// so large) that the derived interval overflows, rounds to nothing or
// exceeds a day is refused at start-up; an overflowed interval read as
// negative, or a zero one, would poll as fast as the budget allows.
func TestPollShareOutsideAnyIntervalIsRefused(t *testing.T) {
	t.Parallel()
	for _, env := range []map[string]string{
		{"PIGMENT_POLL_SHARE": "1e-12%"},
		{"PIGMENT_POLL_SHARE": "0.0001%"},
		{"PIGMENT_RATE_LIMIT": "1000000000/1ns"},
	} {
		if _, err := loadConfig(t.Context(), envconfig.MapLookuper(env)); err == nil {
			t.Errorf("loadConfig(%v) = nil, want an error naming PIGMENT_POLL_SHARE", env)
		}
	}
}
