package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestOperatorMistakesAreRefused runs the operator's commands with the two
// mistakes they used to accept: a reset to a time in the future (which
// skips every event before it) is refused unless --force, and a --name that
// does not exist is refused, the message listing the existing names,
// instead of creating a checkpoint or showing nothing.
func TestOperatorMistakesAreRefused(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 67, History: time.Hour, HistoryEvents: 50, LateFraction: -1})
	env := s.ExtractEnv(nil)
	testkit.MustRun(t, extractBin, env, "once")
	testkit.MustRun(t, extractBin, env, "backfill", "--from", time.Now().UTC().Add(-2*time.Hour).Format(time.RFC3339),
		"--to", time.Now().UTC().Add(-time.Hour).Format(time.RFC3339), "--name", "b1")
	before := showLive(t, env)
	tomorrow := time.Now().UTC().Add(24 * time.Hour).Format(time.RFC3339)

	refused := []struct {
		name     string
		args     []string
		wantText []string // in stderr
	}{
		{"reset to the future", []string{"checkpoint", "reset", "--to", tomorrow, "--reason", "r"}, []string{"future", "--force"}},
		{"reset a mistyped name", []string{"checkpoint", "reset", "--name", "backfill:bl", "--to", "2026-01-01", "--reason", "r"}, []string{"backfill:bl", "live", "backfill:b1"}},
		{"show a mistyped name", []string{"checkpoint", "show", "--name", "lvie"}, []string{"lvie", "live", "backfill:b1"}},
		{"history of a mistyped name", []string{"checkpoint", "history", "--name", "lvie"}, []string{"lvie", "live", "backfill:b1"}},
		{"runs of a mistyped name", []string{"runs", "--name", "lvie"}, []string{"lvie", "live", "backfill:b1"}},
	}
	for _, tt := range refused {
		code, _, stderr := testkit.Run(t, extractBin, env, tt.args...)
		if code == 0 {
			t.Errorf("%s: extract %v exited 0, want a refusal", tt.name, tt.args)
		}
		for _, want := range tt.wantText {
			if !strings.Contains(stderr, want) {
				t.Errorf("%s: stderr does not mention %q:\n%s", tt.name, want, stderr)
			}
		}
	}
	if got := showLive(t, env); !got.Watermark.Equal(before.Watermark) {
		t.Errorf("after the refused commands: live watermark %v, want %v unchanged", got.Watermark, before.Watermark)
	}
	var cps []struct{ Name string }
	mustRunJSON(t, env, &cps, "checkpoint", "show", "--json")
	if len(cps) != 2 {
		t.Errorf("checkpoints after the refused commands: %+v, want live and backfill:b1 only", cps)
	}

	// --force takes the operator at their word.
	testkit.MustRun(t, extractBin, env, "checkpoint", "reset", "--to", tomorrow, "--reason", "clock test", "--force")
	want, _ := time.Parse(time.RFC3339, tomorrow)
	if got := showLive(t, env); !got.Watermark.Equal(want) {
		t.Errorf("after reset --force: live watermark %v, want %v", got.Watermark, want)
	}
}
