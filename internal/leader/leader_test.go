package leader

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

const leaderPoll = 100 * time.Millisecond

type acquired struct {
	lease *Lease
	err   error
}

// acquireAsync starts Acquire on its own pool (another
// "process") and returns its result channel.
func acquireAsync(ctx context.Context, t *testing.T, pool *pgxpool.Pool, name string) <-chan acquired {
	t.Helper()
	other, err := pgxpool.NewWithConfig(ctx, pool.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(other.Close)
	ch := make(chan acquired, 1)
	go func() {
		l, err := Acquire(ctx, other, name, leaderPoll)
		ch <- acquired{l, err}
	}()
	return ch
}

func mustAcquire(t *testing.T, pool *pgxpool.Pool, name string) *Lease {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l, err := Acquire(ctx, pool, name, leaderPoll)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", name, err)
	}
	t.Cleanup(func() { l.Release(context.Background()) })
	return l
}

// waitLeader returns the second contender's lease, failing if it does not
// come within d.
func waitLeader(t *testing.T, ch <-chan acquired, d time.Duration) *Lease {
	t.Helper()
	select {
	case a := <-ch:
		if a.err != nil {
			t.Fatalf("second Acquire: %v", a.err)
		}
		t.Cleanup(func() { a.lease.Release(context.Background()) })
		return a.lease
	case <-time.After(d):
		t.Fatalf("second Acquire did not get the lock within %v", d)
	}
	return nil
}

func assertWaiting(t *testing.T, ch <-chan acquired, d time.Duration) {
	t.Helper()
	select {
	case a := <-ch:
		t.Fatalf("second Acquire returned (%v, %v) while the first holds the lock", a.lease, a.err)
	case <-time.After(d):
	}
}

func testLeaderRelease(t *testing.T, pool *pgxpool.Pool) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	first := mustAcquire(t, pool, t.Name()+"ws-1")
	second := acquireAsync(ctx, t, pool, t.Name()+"ws-1")
	other := mustAcquire(t, pool, t.Name()+"ws-2") // another lock name is independent

	assertWaiting(t, second, 5*leaderPoll)
	if err := first.Release(ctx); err != nil {
		t.Fatalf("Release: %v", err)
	}
	if err := first.Release(ctx); err != nil {
		t.Errorf("second Release = %v, want nil", err)
	}
	select {
	case <-first.Lost():
	default:
		t.Error("Lost() not closed after Release")
	}
	start := time.Now()
	waitLeader(t, second, 2*time.Second)
	t.Logf("second leader after %v (poll %v)", time.Since(start), leaderPoll)
	select {
	case <-other.Lost():
		t.Error("the other lease was lost")
	default:
	}
}

func testLeaderConnectionKilled(t *testing.T, pool *pgxpool.Pool) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	first := mustAcquire(t, pool, t.Name()+"ws")
	second := acquireAsync(ctx, t, pool, t.Name()+"ws")
	assertWaiting(t, second, 3*leaderPoll)

	var killed bool
	pid := first.conn.PgConn().PID()
	if err := pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	waitLeader(t, second, 2*time.Second)
	select {
	case <-first.Lost():
	case <-time.After(3 * leaderPing):
		t.Fatal("Lost() not closed after the lock's connection was killed")
	}
	if err := first.Release(ctx); err != nil {
		t.Errorf("Release of a lost lease = %v, want nil", err)
	}
}

func testAcquireLeaderCancelled(t *testing.T, pool *pgxpool.Pool) {
	mustAcquire(t, pool, t.Name()+"ws")
	ctx, cancel := context.WithTimeout(context.Background(), 3*leaderPoll)
	defer cancel()
	l, err := Acquire(ctx, pool, t.Name()+"ws", leaderPoll)
	if !errors.Is(err, context.DeadlineExceeded) || l != nil {
		t.Errorf("Acquire while held = (%v, %v), want DeadlineExceeded", l, err)
	}
}

// TestLeader runs the lock's tests on one database, in parallel; each
// isolates itself by lock name. Advisory locks need no schema.
func TestLeader(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), testkit.MustPostgres(t))
	if err != nil {
		t.Fatalf("pool: %v", err)
	}
	t.Cleanup(pool.Close)
	testkit.RunParallel(t, pool, map[string]func(*testing.T, *pgxpool.Pool){
		"LeaderRelease":          testLeaderRelease,
		"LeaderConnectionKilled": testLeaderConnectionKilled,
		"AcquireLeaderCancelled": testAcquireLeaderCancelled,
	})
}
