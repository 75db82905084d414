package checkpoint

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestReset(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := mustStore(t)
	run := mustBegin(t, s, "live", ModeRun, at(0), time.Time{})
	mustCommit(t, s, run, PageCommit{High: at(30), Produced: events("a", 20, 3)})
	if _, err := s.FinishRun(ctx, run, time.Minute, time.Time{}); err != nil {
		t.Fatal(err)
	}
	run = mustBegin(t, s, "live", ModeRun, at(29), time.Time{})
	mustCommit(t, s, run, PageCommit{NextCursor: "c", High: at(40), Produced: events("b", 35, 3)})

	bad := []struct{ operator, reason string }{{"", "why"}, {"bob", ""}, {" ", " "}}
	for _, b := range bad {
		if err := s.Reset(ctx, "live", at(5), b.operator, b.reason); err == nil {
			t.Errorf("Reset(operator %q, reason %q) = nil, want error", b.operator, b.reason)
		}
	}
	if err := s.Reset(ctx, "live", at(5), "alice", "re-read after SIEM outage"); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	if err := s.Reset(ctx, "backfill:new", at(7), "bob", "prepare"); err != nil {
		t.Fatalf("Reset of a new checkpoint: %v", err)
	}
	cp := mustLoad(t, s, "live")
	if cp.Run != nil || !cp.Watermark.Equal(at(5)) {
		t.Errorf("Load after Reset = %+v, want watermark %v, no run", cp, at(5))
	}
	if seen, _ := s.SeenIDs(ctx, "live", []string{"a-0", "b-0"}); len(seen) != 0 {
		t.Errorf("SeenIDs after Reset = %v, want none", seen)
	}
	if err := s.CommitPage(ctx, run, PageCommit{}); !errors.Is(err, ErrRunSuperseded) {
		t.Errorf("CommitPage after Reset = %v, want ErrRunSuperseded", err)
	}

	hist, err := s.History(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []HistoryEntry{
		{Name: "backfill:new", Operator: "bob", Reason: "prepare", To: at(7)},
		{Name: "live", Operator: "alice", Reason: "re-read after SIEM outage", From: at(30), To: at(5)},
	}
	for i := range hist {
		if hist[i].At.IsZero() || hist[i].At.Location() != time.UTC {
			t.Errorf("History[%d].At = %v, want a UTC time", i, hist[i].At)
		}
		hist[i].At = time.Time{}
	}
	if !slices.Equal(hist, want) {
		t.Errorf("History = %+v, want %+v", hist, want)
	}
	if hist, _ := s.History(ctx, "live", 5); len(hist) != 1 {
		t.Errorf("History(live) = %+v, want 1 entry", hist)
	}
}

func TestListAndRunsOrdering(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := mustStore(t)
	var ids []int64
	for i, name := range []string{"live", "backfill:a", "live", "backfill:a", "live"} {
		r := mustBegin(t, s, name, ModeRun, at(i), time.Time{})
		ids = append(ids, r.ID)
	}
	tests := []struct {
		name  string
		limit int
		want  []int64
	}{
		{"", 0, []int64{ids[4], ids[3], ids[2], ids[1], ids[0]}},
		{"live", 0, []int64{ids[4], ids[2], ids[0]}},
		{"live", 2, []int64{ids[4], ids[2]}},
		{"backfill:a", 1, []int64{ids[3]}},
	}
	for _, tt := range tests {
		runs, err := s.Runs(ctx, tt.name, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, r := range runs {
			got = append(got, r.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Runs(%q, %d) = %v, want %v", tt.name, tt.limit, got, tt.want)
		}
	}
	list, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "backfill:a" || list[0].Run.ID != ids[3] ||
		list[1].Name != "live" || list[1].Run.ID != ids[4] {
		t.Errorf("List = %+v, want backfill:a (run %d), live (run %d)", list, ids[3], ids[4])
	}
}
