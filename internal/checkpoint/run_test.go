package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// testSuperseded checks that a run replaced by BeginRun or Reset can write
// nothing more.
func testSuperseded(t *testing.T, s *Store) {
	live, _ := names(t)
	supersede := map[string]func(*Store, string) error{
		"BeginRun": func(s *Store, name string) error {
			_, err := s.BeginRun(context.Background(), name, ModeRun, at(5), time.Time{})
			return err
		},
		"Reset": func(s *Store, name string) error {
			return s.Reset(context.Background(), name, at(3), "alice", "replay")
		},
	}
	for how, fn := range supersede {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			name := live + "-" + how
			run := mustBegin(t, s, name, ModeRun, at(0), time.Time{})
			mustCommit(t, s, run, PageCommit{NextCursor: "c1", High: at(9), Produced: events("a", 0, 2), Fetched: 2})
			if err := fn(s, name); err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			before := *run
			before2 := mustLoad(t, s, name)

			err := s.CommitPage(ctx, run, PageCommit{NextCursor: "c2", High: at(20), Produced: events("z", 0, 2), Fetched: 2})
			if !errors.Is(err, ErrRunSuperseded) {
				t.Errorf("CommitPage = %v, want ErrRunSuperseded", err)
			}
			if err := s.RestartRun(ctx, run, run.Since); !errors.Is(err, ErrRunSuperseded) {
				t.Errorf("RestartRun = %v, want ErrRunSuperseded", err)
			}
			if err := s.FailRun(ctx, run, "boom"); !errors.Is(err, ErrRunSuperseded) {
				t.Errorf("FailRun = %v, want ErrRunSuperseded", err)
			}
			if _, err := s.FinishRun(ctx, run, time.Minute, time.Time{}); !errors.Is(err, ErrRunSuperseded) {
				t.Errorf("FinishRun = %v, want ErrRunSuperseded", err)
			}
			if *run != before {
				t.Errorf("run changed by a failed CommitPage: %+v, want %+v", *run, before)
			}
			if seen, _ := s.SeenIDs(ctx, name, []string{"z-0", "z-1"}); len(seen) != 0 {
				t.Errorf("seen ids written by a superseded run: %v", seen)
			}
			after := mustLoad(t, s, name)
			if show(after) != show(before2) {
				t.Errorf("checkpoint changed: %s, want %s", show(after), show(before2))
			}
			runs, err := s.Runs(ctx, name, 0)
			if err != nil {
				t.Fatal(err)
			}
			old := runs[len(runs)-1]
			if old.ID != run.ID || old.Status != StatusSuperseded || old.Pages != 1 || old.Error != "" {
				t.Errorf("superseded run record = %+v, want status superseded, 1 page", old)
			}
		})
	}
}

// show formats a checkpoint with its run for comparisons.
func show(cp Checkpoint) string {
	run := cp.Run
	cp.Run = nil
	return fmt.Sprintf("%+v run %+v", cp, run)
}

func testRestartRunKeepsSeen(t *testing.T, s *Store) {
	ctx := context.Background()
	live, _ := names(t)
	run := mustBegin(t, s, live, ModeRun, at(0), time.Time{})
	mustCommit(t, s, run, PageCommit{NextCursor: "c1", High: at(9), Produced: events("a", 0, 3)})
	if err := s.RestartRun(ctx, run, run.Since); err != nil {
		t.Fatalf("RestartRun: %v", err)
	}
	cp := mustLoad(t, s, live)
	if run.Cursor != "" || cp.Run.Cursor != "" || !cp.Run.Since.Equal(at(0)) || !cp.Run.High.Equal(at(9)) {
		t.Errorf("after RestartRun: run %+v, loaded %+v; want cursor \"\", same since and high", run, cp.Run)
	}
	if seen, _ := s.SeenIDs(ctx, live, []string{"a-0", "a-1", "a-2"}); len(seen) != 3 {
		t.Errorf("SeenIDs after RestartRun = %v, want all 3", seen)
	}
	runs, _ := s.Runs(ctx, live, 1)
	if len(runs) != 1 || runs[0].Restarts != 1 {
		t.Errorf("Runs = %+v, want 1 restart", runs)
	}
}

func testFinishRunPrunes(t *testing.T, s *Store) {
	ctx := context.Background()
	live, bf := names(t)
	// Events at minutes 0..59; the run's high is 60, overlap 15m: ids
	// ingested before minute 45 go, 45..59 stay. Another checkpoint keeps all.
	run := mustBegin(t, s, live, ModeRun, at(0), time.Time{})
	mustCommit(t, s, run, PageCommit{High: at(60), Produced: events("e", 0, 60)})
	other := mustBegin(t, s, bf, ModeBackfill, at(0), at(100))
	mustCommit(t, s, other, PageCommit{Produced: events("e", 0, 60)})
	if _, err := s.FinishRun(ctx, run, 15*time.Minute, time.Time{}); err != nil {
		t.Fatal(err)
	}
	all := make([]string, 60)
	for i := range all {
		all[i] = fmt.Sprintf("e-%d", i)
	}
	tests := []struct {
		cp   string
		want int
	}{
		{live, 15}, {bf, 60},
	}
	for _, tt := range tests {
		seen, err := s.SeenIDs(ctx, tt.cp, all)
		if err != nil {
			t.Fatal(err)
		}
		_, kept44 := seen["e-44"]
		_, kept45 := seen["e-45"]
		if len(seen) != tt.want || (tt.cp == live && (kept44 || !kept45)) {
			t.Errorf("SeenIDs(%q) after FinishRun = %d ids (e-44 %v, e-45 %v), want %d from e-45",
				tt.cp, len(seen), kept44, kept45, tt.want)
		}
	}
}

func testFailRunResumes(t *testing.T, s *Store) {
	ctx := context.Background()
	live, _ := names(t)
	run := mustBegin(t, s, live, ModeRun, at(0), time.Time{})
	mustCommit(t, s, run, PageCommit{NextCursor: "c1", High: at(9), Produced: events("a", 0, 3), Fetched: 3})
	if err := s.FailRun(ctx, run, "kafka: leader not available"); err != nil {
		t.Fatalf("FailRun: %v", err)
	}
	runs, _ := s.Runs(ctx, live, 0)
	if runs[0].Status != StatusFailed || runs[0].Error != "kafka: leader not available" || runs[0].EndedAt.IsZero() {
		t.Errorf("run record after FailRun = %+v, want failed with the error", runs[0])
	}

	// The next start resumes the run in progress from Load.
	resumed := mustLoad(t, s, live).Run
	if resumed == nil || *resumed != *run {
		t.Fatalf("Load().Run after FailRun = %+v, want %+v", resumed, run)
	}
	mustCommit(t, s, resumed, PageCommit{NextCursor: "", High: at(9), Produced: events("b", 0, 1), Fetched: 1})
	runs, _ = s.Runs(ctx, live, 0)
	if runs[0].Status != StatusRunning || !runs[0].EndedAt.IsZero() || runs[0].Pages != 2 {
		t.Errorf("run record after resuming = %+v, want running, 2 pages", runs[0])
	}
	if err := s.InterruptRun(ctx, resumed, "SIGTERM"); err != nil {
		t.Fatal(err)
	}
	runs, _ = s.Runs(ctx, live, 0)
	if runs[0].Status != StatusInterrupted {
		t.Errorf("status after InterruptRun = %q, want %q", runs[0].Status, StatusInterrupted)
	}
	if _, err := s.FinishRun(ctx, resumed, time.Minute, time.Time{}); err != nil {
		t.Fatal(err)
	}
	runs, _ = s.Runs(ctx, live, 0)
	if len(runs) != 1 || runs[0].Status != StatusOK || runs[0].Produced != 4 {
		t.Errorf("runs after finishing = %+v, want one ok run with 4 produced", runs)
	}
}

// testStoredPrecision checks that a run in memory equals the run Load
// returns, although Postgres keeps only microseconds: a resumed run must send
// the very same ingestedSince.
func testStoredPrecision(t *testing.T, s *Store) {
	live, bf := names(t)
	const ns = 123456789 * time.Nanosecond
	tests := []struct {
		name, mode   string
		since, until time.Time
	}{
		{live, ModeRun, at(0).Add(ns), time.Time{}},
		{bf, ModeBackfill, at(0).Add(ns), at(10).Add(ns)},
	}
	for _, tt := range tests {
		run := mustBegin(t, s, tt.name, tt.mode, tt.since, tt.until)
		mustCommit(t, s, run, PageCommit{NextCursor: "c", High: at(5).Add(ns)})
		loaded := mustLoad(t, s, tt.name).Run
		if loaded == nil || *loaded != *run {
			t.Errorf("Load(%q).Run = %+v, want the run in memory %+v", tt.name, loaded, run)
		}
		if want := tt.since.Truncate(time.Microsecond); !run.Since.Equal(want) {
			t.Errorf("run.Since = %v, want %v", run.Since, want)
		}
	}
}

// TestFinishRunBringsAFutureWatermarkBack: a watermark past upTo (an
// operator's reset into the future, an older version's bound) comes back
// to upTo when a run ends, and the seen IDs of the events produced since
// are kept; a backfill's watermark is its Until whatever upTo.
func TestFinishRunBringsAFutureWatermarkBack(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := mustStore(t)
	if err := s.Reset(ctx, "live", at(24*60), "alice", "clock test"); err != nil {
		t.Fatal(err)
	}
	run := mustBegin(t, s, "live", ModeRun, at(50), time.Time{})
	mustCommit(t, s, run, PageCommit{High: at(60), Produced: events("a", 59, 2)})
	wm, err := s.FinishRun(ctx, run, time.Minute, at(60))
	if err != nil || !wm.Equal(at(60)) {
		t.Fatalf("FinishRun(upTo %v) over a watermark a day ahead = %v, %v; want %v", at(60), wm, err, at(60))
	}
	seen, err := s.SeenIDs(ctx, "live", []string{events("a", 59, 2)[0].ID}) // within the overlap
	if err != nil || len(seen) != 1 {
		t.Errorf("seen IDs after the watermark came back: %v, %v; want the event produced kept", seen, err)
	}
	bf := mustBegin(t, s, "backfill:b", ModeBackfill, at(0), at(90))
	if wm, err := s.FinishRun(ctx, bf, time.Minute, at(60)); err != nil || !wm.Equal(at(90)) {
		t.Errorf("FinishRun of a backfill = %v, %v; want its Until %v", wm, err, at(90))
	}
}
