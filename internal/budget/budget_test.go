package budget

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

// mustDB returns the URL of a fresh, migrated database whose request log is
// copied, by a trigger, to log_copy, which is never pruned.
func mustDB(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	url := testkit.MustPostgres(tb)
	if err := migrations.Apply(ctx, url); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	pool := mustPool(tb, url)
	_, err := pool.Exec(ctx, `
CREATE TABLE log_copy (key text, at timestamptz, class smallint);
CREATE FUNCTION copy_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO log_copy VALUES (NEW.key, NEW.at, NEW.class); RETURN NEW; END $$;
CREATE TRIGGER copy_log AFTER INSERT ON rate_budget_log FOR EACH ROW EXECUTE FUNCTION copy_log();`)
	if err != nil {
		tb.Fatalf("create log_copy: %v", err)
	}
	return url
}

// mustPool returns a new pool: one per simulated process.
func mustPool(tb testing.TB, url string) *pgxpool.Pool {
	tb.Helper()
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		tb.Fatalf("pool: %v", err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func mustBudget(tb testing.TB, pool *pgxpool.Pool, cfg Config) *Budget {
	tb.Helper()
	b, err := New(pool, cfg)
	if err != nil {
		tb.Fatalf("New(%+v): %v", cfg, err)
	}
	return b
}

// recorded returns how many requests were recorded for b's key, and the most found in
// any window of length window.
func recorded(t *testing.T, pool *pgxpool.Pool, b *Budget, window time.Duration) (total, maxInWindow int) {
	t.Helper()
	err := pool.QueryRow(context.Background(), `
SELECT count(*), COALESCE(max((SELECT count(*) FROM log_copy b
                               WHERE b.key = a.key AND b.at > a.at - $1 * interval '1 microsecond' AND b.at <= a.at)), 0)
FROM log_copy a WHERE a.key = $2`, window.Microseconds(), b.key).Scan(&total, &maxInWindow)
	if err != nil {
		t.Fatal(err)
	}
	return total, maxInWindow
}

func waitN(ctx context.Context, b *Budget, n int) error {
	for range n {
		if err := b.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// TestBudget runs the tests that isolate themselves by key on one database,
// in parallel.
func TestBudget(t *testing.T) {
	t.Parallel()
	url := mustDB(t)
	testkit.RunParallel(t, url, map[string]func(*testing.T, string){
		"WaitSlidingWindow":     testWaitSlidingWindow,
		"WaitTwoProcesses":      testWaitTwoProcesses,
		"Reserve":               testReserve,
		"Remaining":             testRemaining,
		"ThrottledPausesOthers": testThrottledPausesOthers,
		"WaitCancelled":         testWaitCancelled,
		"Background":            testBackground,
	})
}

func testWaitSlidingWindow(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool := mustPool(t, url)
	b := mustBudget(t, pool, Config{Key: t.Name(), Limit: 5, Window: time.Second})

	start := time.Now()
	if err := waitN(ctx, b, 12); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	// 5 at once, 5 a window later, 2 two windows later.
	if d := time.Since(start); d < 1900*time.Millisecond || d > 6*time.Second {
		t.Errorf("12 Waits at 5/s took %v, want about 2s", d)
	}
	if total, most := recorded(t, pool, b, time.Second); total != 12 || most != 5 {
		t.Errorf("recorded %d requests, at most %d in a window; want 12, 5", total, most)
	}
}

func testWaitTwoProcesses(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := Config{Key: t.Name(), Limit: 5, Window: time.Second, Poll: 200 * time.Millisecond}
	budgets := []*Budget{
		mustBudget(t, mustPool(t, url), cfg),
		mustBudget(t, mustPool(t, url), cfg),
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(budgets))
	for i, b := range budgets {
		wg.Go(func() { errs[i] = waitN(ctx, b, 6) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: Wait: %v", i, err)
		}
	}
	if d := time.Since(start); d < 1900*time.Millisecond {
		t.Errorf("12 Waits by two processes at 5/s took %v, want about 2s", d)
	}
	if total, most := recorded(t, mustPool(t, url), budgets[0], time.Second); total != 12 || most > 5 {
		t.Errorf("recorded %d requests, at most %d in a window; want 12, <= 5", total, most)
	}
}

func testReserve(t *testing.T, url string) {
	ctx := context.Background()
	pool := mustPool(t, url)
	cfg := Config{Key: t.Name(), Limit: 5, Reserve: 2, Window: time.Minute, Poll: 50 * time.Millisecond}
	live := mustBudget(t, pool, cfg)
	cfg.Class = Backfill
	backfill := mustBudget(t, mustPool(t, url), cfg)

	steps := []struct {
		name string
		b    *Budget
		ok   bool // Wait succeeds (else times out)
	}{
		{"backfill 1", backfill, true},
		{"backfill 2", backfill, true},
		{"backfill 3", backfill, true},
		{"backfill 4 needs the reserve", backfill, false},
		{"live 1 uses the reserve", live, true},
		{"live 2 uses the reserve", live, true},
		{"live 3 window full", live, false},
	}
	for _, st := range steps {
		ctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		err := st.b.Wait(ctx)
		cancel()
		if got := err == nil; got != st.ok {
			t.Errorf("%s: Wait = %v, want success %v", st.name, err, st.ok)
		}
		if !st.ok && !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: Wait = %v, want DeadlineExceeded", st.name, err)
		}
	}
	if total, _ := recorded(t, pool, live, time.Minute); total != 5 {
		t.Errorf("recorded %d requests, want 5 (timed-out Waits record nothing)", total)
	}
}

func testRemaining(t *testing.T, url string) {
	ctx := context.Background()
	pool := mustPool(t, url)
	cfg := Config{Key: t.Name(), Limit: 10, Window: time.Minute} // Reserve defaults to 1
	live := mustBudget(t, pool, cfg)
	cfg.Class = Backfill
	backfill := mustBudget(t, pool, cfg)
	other := mustBudget(t, pool, Config{Key: t.Name() + "/other", Limit: 10, Window: time.Minute})

	tests := []struct {
		name      string
		waits     int // more Waits by live before checking
		throttle  bool
		wantLive  int
		wantBack  int
		wantOther int
	}{
		{name: "empty", wantLive: 10, wantBack: 9, wantOther: 10},
		{name: "after 4", waits: 4, wantLive: 6, wantBack: 5, wantOther: 10},
		{name: "after 9", waits: 5, wantLive: 1, wantBack: 0, wantOther: 10},
		{name: "blocked", throttle: true, wantLive: 0, wantBack: 0, wantOther: 10},
	}
	for _, tt := range tests {
		if err := waitN(ctx, live, tt.waits); err != nil {
			t.Fatal(err)
		}
		if tt.throttle {
			if _, err := live.block(ctx, time.Minute); err != nil {
				t.Fatal(err)
			}
		}
		gotLive, err1 := live.Remaining(ctx)
		gotBack, err2 := backfill.Remaining(ctx)
		gotOther, err3 := other.Remaining(ctx)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("%s: Remaining: %v", tt.name, err)
		}
		if gotLive != tt.wantLive || gotBack != tt.wantBack || gotOther != tt.wantOther {
			t.Errorf("%s: Remaining live, backfill, other key = %d, %d, %d; want %d, %d, %d", tt.name,
				gotLive, gotBack, gotOther, tt.wantLive, tt.wantBack, tt.wantOther)
		}
	}
}

func testThrottledPausesOthers(t *testing.T, url string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := Config{Key: t.Name(), Limit: 100, Window: time.Minute}
	a := mustBudget(t, mustPool(t, url), cfg)
	b := mustBudget(t, mustPool(t, url), cfg)

	const retryAfter = 800 * time.Millisecond
	start := time.Now()
	throttled := make(chan error, 1)
	go func() { throttled <- a.Throttled(ctx, retryAfter) }()
	for { // until a's block is recorded
		n, err := b.Remaining(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := b.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	if d := time.Since(start); d < retryAfter-100*time.Millisecond {
		t.Errorf("Wait of another process returned %v after a 429 with retry after %v", d, retryAfter)
	}
	if err := <-throttled; err != nil {
		t.Errorf("Throttled: %v", err)
	}
	if d := time.Since(start); d < retryAfter {
		t.Errorf("Throttled returned after %v, want >= %v", d, retryAfter)
	}

	// Without a retry-after the block lasts a Window (a minute); a shorter
	// one does not shorten it.
	short, cancelShort := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancelShort()
	if err := a.Throttled(short, 0); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Throttled(0) with a 100ms context = %v, want DeadlineExceeded", err)
	}
	wait, err := b.block(ctx, time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if wait < 50*time.Second || wait > time.Minute {
		t.Errorf("block after Throttled(0) lasts %v more, want about a minute", wait)
	}
}

func testWaitCancelled(t *testing.T, url string) {
	pool := mustPool(t, url)
	b := mustBudget(t, pool, Config{Key: t.Name(), Limit: 1, Reserve: -1, Window: time.Minute})
	if err := b.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	if err := b.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait on a full window, cancelled = %v, want context.Canceled", err)
	}
	if total, _ := recorded(t, pool, b, time.Minute); total != 1 {
		t.Errorf("recorded %d requests, want 1", total)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://127.0.0.1:1/none") // never dialled
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ok := Config{Key: "k", Limit: 500, Window: 5 * time.Minute}
	tests := []struct {
		name string
		edit func(*Config)
	}{
		{"no key", func(c *Config) { c.Key = "" }},
		{"zero limit", func(c *Config) { c.Limit = 0 }},
		{"zero window", func(c *Config) { c.Window = 0 }},
		{"reserve = limit", func(c *Config) { c.Reserve = 500 }},
		{"unknown class", func(c *Config) { c.Class = 7 }},
		{"background without a key", func(c *Config) { c.Class, c.Key = Background, "" }},
	}
	for _, tt := range tests {
		cfg := ok
		tt.edit(&cfg)
		if _, err := New(pool, cfg); err == nil {
			t.Errorf("%s: New(%+v) = nil error, want error", tt.name, cfg)
		}
	}
	b, err := New(pool, ok)
	if err != nil {
		t.Fatalf("New(%+v): %v", ok, err)
	}
	if b.limit != 500 || b.poll != time.Second || b.key == "k" {
		t.Errorf("New: limit %d poll %v key %q; want 500, 1s, a hash", b.limit, b.poll, b.key)
	}
	cfg := ok
	cfg.Class = Backfill
	if b, _ := New(pool, cfg); b.limit != 450 {
		t.Errorf("Backfill limit with the default reserve = %d, want 450", b.limit)
	}
}
