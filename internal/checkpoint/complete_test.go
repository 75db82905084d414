package checkpoint

import (
	"context"
	"testing"
	"time"
)

// TestCompleteBefore: what a checkpoint vouches for is the later of its
// watermark and the start of its last finished run; a run in progress, or
// one that failed, vouches for nothing new; no checkpoint, nothing.
func TestCompleteBefore(t *testing.T) {
	t.Parallel()
	s, _ := mustStore(t)
	ctx := context.Background()
	complete := func(name string) time.Time {
		t.Helper()
		c, err := s.CompleteBefore(ctx, name)
		if err != nil {
			t.Fatalf("CompleteBefore(%q): %v", name, err)
		}
		return c
	}
	if c := complete("live"); !c.IsZero() {
		t.Errorf("CompleteBefore of no checkpoint = %v, want zero", c)
	}

	// A first run, still in progress: nothing is complete yet.
	run := mustBegin(t, s, "live", ModeRun, at(-100), time.Time{})
	mustCommit(t, s, run, PageCommit{High: at(-50)})
	if c := complete("live"); !c.IsZero() {
		t.Errorf("CompleteBefore during the first run = %v, want zero", c)
	}
	if _, err := s.FinishRun(ctx, run, time.Minute, time.Time{}); err != nil {
		t.Fatal(err)
	}
	// Finished: every event ingested before the run began was served to it
	// (the run's start is later than its events, ingested in the past).
	if c := complete("live"); !c.Equal(run.StartedAt) {
		t.Errorf("CompleteBefore after a finished run = %v, want its start %v", c, run.StartedAt)
	}
	// A later run that fails moves nothing; one that finishes with no
	// event moves it to its start.
	failed := mustBegin(t, s, "live", ModeRun, at(-60), time.Time{})
	if err := s.FailRun(ctx, failed, "the API is down"); err != nil {
		t.Fatal(err)
	}
	if c := complete("live"); !c.Equal(run.StartedAt) {
		t.Errorf("CompleteBefore after a failed run = %v, want the last finished run's start %v", c, run.StartedAt)
	}
	quiet := mustBegin(t, s, "live", ModeRun, at(-60), time.Time{})
	if _, err := s.FinishRun(ctx, quiet, time.Minute, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if c := complete("live"); !c.Equal(quiet.StartedAt) || !c.After(run.StartedAt) {
		t.Errorf("CompleteBefore after a finished run with no event = %v, want its start %v", c, quiet.StartedAt)
	}
	// A watermark ahead of the run's start (the source's clock is ahead
	// of Postgres's, within the skew extract allows) is the bound.
	ahead := mustBegin(t, s, "live", ModeRun, at(-60), time.Time{})
	high := ahead.StartedAt.Add(30 * time.Second)
	mustCommit(t, s, ahead, PageCommit{High: high})
	if _, err := s.FinishRun(ctx, ahead, time.Minute, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if c := complete("live"); !c.Equal(high) {
		t.Errorf("CompleteBefore with a watermark past the run's start = %v, want the watermark %v", c, high)
	}
	// Other checkpoints are apart.
	if c := complete("ws2/live"); !c.IsZero() {
		t.Errorf("CompleteBefore(ws2/live) = %v, want zero", c)
	}
}
