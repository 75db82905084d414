package checkpoint

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// mustStore returns a Store on a fresh, migrated database.
func mustStore(tb testing.TB) (*Store, *pgxpool.Pool) {
	tb.Helper()
	ctx := context.Background()
	url := testkit.MustPostgres(tb)
	if err := migrations.Apply(ctx, url); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		tb.Fatalf("pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return New(pool), pool
}

func mustBegin(t *testing.T, s *Store, name, mode string, since, until time.Time) *Run {
	t.Helper()
	run, err := s.BeginRun(context.Background(), name, mode, since, until)
	if err != nil {
		t.Fatalf("BeginRun(%q): %v", name, err)
	}
	return run
}

func mustCommit(t *testing.T, s *Store, run *Run, p PageCommit) {
	t.Helper()
	if err := s.CommitPage(context.Background(), run, p); err != nil {
		t.Fatalf("CommitPage(run %d): %v", run.ID, err)
	}
}

func mustLoad(t *testing.T, s *Store, name string) Checkpoint {
	t.Helper()
	cp, err := s.Load(context.Background(), name)
	if err != nil {
		t.Fatalf("Load(%q): %v", name, err)
	}
	return cp
}

// events returns n events "<prefix>-i" ingested at minute start+i.
func events(prefix string, start, n int) []Seen {
	out := make([]Seen, n)
	for i := range out {
		out[i] = Seen{ID: fmt.Sprintf("%s-%d", prefix, i), Ingestion: at(start + i)}
	}
	return out
}

// TestStore runs the tests that isolate themselves by checkpoint name on one
// database, in parallel.
func TestStore(t *testing.T) {
	t.Parallel()
	s, _ := mustStore(t)
	testkit.RunParallel(t, s, map[string]func(*testing.T, *Store){
		"RunCycle":            testRunCycle,
		"Watermark":           testWatermark,
		"BeginRunValidates":   testBeginRunValidates,
		"SeenIDs":             testSeenIDs,
		"CommitPageDuplicate": testCommitPageDuplicateIDs,
		"Superseded":          testSuperseded,
		"RestartRunKeepsSeen": testRestartRunKeepsSeen,
		"FinishRunPrunes":     testFinishRunPrunes,
		"FailRunResumes":      testFailRunResumes,
		"StoredPrecision":     testStoredPrecision,
	})
}

// names returns checkpoint names unique to the test.
func names(t *testing.T) (live, backfill string) {
	return t.Name() + ":live", "backfill:" + t.Name()
}

func testRunCycle(t *testing.T, s *Store) {
	ctx := context.Background()
	live, _ := names(t)

	if cp := mustLoad(t, s, live); cp.Run != nil || !cp.Watermark.IsZero() || cp.Name != live {
		t.Fatalf("Load of a new checkpoint = %+v, want zero", cp)
	}
	run := mustBegin(t, s, live, ModeRun, at(0), time.Time{})
	mustCommit(t, s, run, PageCommit{NextCursor: "c1", High: at(30), Produced: events("a", 21, 10),
		Fetched: 12, DLQ: 1, Skipped: 1})
	mustCommit(t, s, run, PageCommit{NextCursor: "", High: at(30), Produced: events("b", 5, 5),
		Fetched: 7, Duplicates: 2})

	want := Run{ID: run.ID, Name: live, Mode: ModeRun, Since: at(0), Cursor: "", High: at(30),
		StartedAt: run.StartedAt, Pages: 2, Fetched: 19, Produced: 15, DLQ: 1, Duplicates: 2, Skipped: 1}
	if *run != want {
		t.Errorf("run after 2 pages = %+v, want %+v", *run, want)
	}
	cp := mustLoad(t, s, live)
	if cp.Run == nil || *cp.Run != want {
		t.Errorf("Load().Run = %+v, want %+v", cp.Run, want)
	}
	if cp.UpdatedAt.Location() != time.UTC || cp.Run.StartedAt.Location() != time.UTC {
		t.Errorf("times not UTC: %v, %v", cp.UpdatedAt, cp.Run.StartedAt)
	}

	wm, err := s.FinishRun(ctx, run, 10*time.Minute, time.Time{})
	if err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	if !wm.Equal(at(30)) || wm.Location() != time.UTC {
		t.Errorf("FinishRun = %v, want %v UTC", wm, at(30))
	}
	cp = mustLoad(t, s, live)
	if cp.Run != nil || !cp.Watermark.Equal(at(30)) || cp.Complete {
		t.Errorf("Load after FinishRun = %+v, want watermark %v and no run", cp, at(30))
	}
	runs, err := s.Runs(ctx, live, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != StatusOK || runs[0].EndedAt.IsZero() || runs[0].Run != want {
		t.Errorf("Runs = %+v, want one ok run %+v", runs, want)
	}
}

// testWatermark checks FinishRun's watermark: max(old, high) for live runs,
// Until for backfills.
func testWatermark(t *testing.T, s *Store) {
	tests := []struct {
		name         string
		old          time.Time // set by a first live run
		mode         string
		until        time.Time
		highs        []time.Time // one page each
		want         time.Time
		wantComplete bool
	}{
		{name: "first run", mode: ModeRun, highs: []time.Time{at(50), at(50)}, want: at(50)},
		{name: "advances", old: at(10), mode: ModeRun, highs: []time.Time{at(40)}, want: at(40)},
		{name: "high is max of pages", mode: ModeOnce, highs: []time.Time{at(20), at(35), {}}, want: at(35)},
		{name: "never goes back", old: at(60), mode: ModeRun, highs: []time.Time{at(40)}, want: at(60)},
		{name: "no events keeps old", old: at(60), mode: ModeRun, highs: []time.Time{{}}, want: at(60)},
		{name: "no events ever", mode: ModeRun, highs: []time.Time{{}}, want: time.Time{}},
		{name: "backfill", mode: ModeBackfill, until: at(100), highs: []time.Time{at(90)}, want: at(100), wantComplete: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := t.Name()
			if !tt.old.IsZero() {
				r := mustBegin(t, s, name, ModeRun, at(-100), time.Time{})
				mustCommit(t, s, r, PageCommit{High: tt.old})
				if _, err := s.FinishRun(context.Background(), r, time.Minute, time.Time{}); err != nil {
					t.Fatal(err)
				}
			}
			run := mustBegin(t, s, name, tt.mode, at(0), tt.until)
			for _, h := range tt.highs {
				mustCommit(t, s, run, PageCommit{High: h})
			}
			got, err := s.FinishRun(context.Background(), run, time.Minute, time.Time{})
			if err != nil {
				t.Fatalf("FinishRun: %v", err)
			}
			cp := mustLoad(t, s, name)
			if !got.Equal(tt.want) || !cp.Watermark.Equal(tt.want) || cp.Complete != tt.wantComplete {
				t.Errorf("FinishRun = %v, Load = %v complete %v; want %v complete %v",
					got, cp.Watermark, cp.Complete, tt.want, tt.wantComplete)
			}
		})
	}
}

func testBeginRunValidates(t *testing.T, s *Store) {
	live, _ := names(t)
	tests := []struct {
		name, cp, mode string
		since, until   time.Time
	}{
		{"empty name", "", ModeRun, at(0), time.Time{}},
		{"bad mode", live, "sometimes", at(0), time.Time{}},
		{"zero since", live, ModeRun, time.Time{}, time.Time{}},
		{"backfill without until", "bf", ModeBackfill, at(0), time.Time{}},
		{"backfill until before since", "bf", ModeBackfill, at(10), at(0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.BeginRun(context.Background(), tt.cp, tt.mode, tt.since, tt.until); err == nil {
				t.Errorf("BeginRun(%q, %q, %v, %v) = nil error, want error", tt.cp, tt.mode, tt.since, tt.until)
			}
		})
	}
}

func testSeenIDs(t *testing.T, s *Store) {
	ctx := context.Background()
	live, bf := names(t)
	run := mustBegin(t, s, live, ModeRun, at(0), time.Time{})
	mustCommit(t, s, run, PageCommit{Produced: events("a", 0, 3)})
	other := mustBegin(t, s, bf, ModeBackfill, at(0), at(10))
	mustCommit(t, s, other, PageCommit{Produced: events("b", 0, 3)})

	tests := []struct {
		name, cp string
		ids      []string
		want     []string
	}{
		{"some", live, []string{"a-0", "a-2", "zz", "b-1"}, []string{"a-0", "a-2"}},
		{"none asked", live, nil, nil},
		{"other checkpoint", bf, []string{"a-0", "b-1"}, []string{"b-1"}},
		{"unknown checkpoint", "nope", []string{"a-0"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SeenIDs(ctx, tt.cp, tt.ids)
			if err != nil {
				t.Fatalf("SeenIDs: %v", err)
			}
			var ids []string
			for id := range got {
				ids = append(ids, id)
			}
			slices.Sort(ids)
			if !slices.Equal(ids, tt.want) {
				t.Errorf("SeenIDs(%q, %v) = %v, want %v", tt.cp, tt.ids, ids, tt.want)
			}
		})
	}
}

func testCommitPageDuplicateIDs(t *testing.T, s *Store) {
	live, _ := names(t)
	run := mustBegin(t, s, live, ModeRun, at(0), time.Time{})
	page := PageCommit{Produced: append(events("a", 0, 3), events("a", 0, 2)...)}
	mustCommit(t, s, run, page)
	mustCommit(t, s, run, page) // already seen: no conflict error
	got, err := s.SeenIDs(context.Background(), live, []string{"a-0", "a-1", "a-2"})
	if err != nil || len(got) != 3 {
		t.Errorf("SeenIDs = %v, %v; want 3 ids", got, err)
	}
}
