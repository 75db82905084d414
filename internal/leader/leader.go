// Package leader keeps one active process per lock name (extract per
// workspace and checkpoint, detect per DETECT_NAME) with a Postgres advisory
// lock: the others stand by until it is free.
package leader

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
)

// leaderPing is how often a Lease checks its connection.
const leaderPing = time.Second

// Lease is leadership held through a session-level advisory lock on a
// dedicated connection (outside the pool). Postgres releases the lock when
// that session ends, so a crashed leader frees it at once. Its methods are
// safe for concurrent use.
//
// A pooler in transaction mode (pgbouncer) breaks session locks: connect to
// Postgres directly or through session pooling.
type Lease struct {
	conn *pgx.Conn
	key  int64
	name string

	mu          sync.Mutex // serializes use of conn
	lost        chan struct{}
	stop        chan struct{}
	done        chan struct{}
	endOnce     sync.Once
	releaseOnce sync.Once
	releaseErr  error
}

// Acquire blocks until this process holds the leader lock lockName,
// trying pg_try_advisory_lock every poll (default 1s) on a dedicated
// connection made with pool's configuration. Connection errors while
// waiting are retried, so a standby survives a Postgres restart. It returns
// ctx.Err() (wrapped, with the last connection error if any) when ctx is
// done first.
func Acquire(ctx context.Context, pool *pgxpool.Pool, lockName string, poll time.Duration) (*Lease, error) {
	if poll <= 0 {
		poll = time.Second
	}
	key := lockKey(lockName)
	var (
		conn    *pgx.Conn
		lastErr error
	)
	for {
		if conn == nil {
			c, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
			if err != nil {
				lastErr = err
			}
			conn = c
		}
		if conn != nil {
			var ok bool
			err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok)
			switch {
			case err == nil && ok:
				return newLease(conn, key, lockName), nil
			case err != nil:
				lastErr = err
				conn.Close(context.Background())
				conn = nil
			}
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			if conn != nil {
				conn.Close(context.Background())
			}
			if lastErr != nil && !errors.Is(lastErr, ctx.Err()) {
				return nil, fmt.Errorf("acquire leader %q: %w (last error: %v)", lockName, ctx.Err(), lastErr)
			}
			return nil, fmt.Errorf("acquire leader %q: %w", lockName, ctx.Err())
		case <-t.C:
		}
	}
}

// lockKey maps a lock name to an advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("pigment-siem/leader:" + name))
	return int64(h.Sum64())
}

func newLease(conn *pgx.Conn, key int64, name string) *Lease {
	l := &Lease{
		conn: conn, key: key, name: name,
		lost: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	go l.watch()
	return l
}

// watch pings the lock's connection every second and closes lost when the
// ping fails.
func (l *Lease) watch() {
	defer close(l.done)
	t := time.NewTicker(leaderPing)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := l.conn.Ping(ctx)
		cancel()
		l.mu.Unlock()
		if err != nil {
			l.end()
			return
		}
	}
}

func (l *Lease) end() { l.endOnce.Do(func() { close(l.lost) }) }

// Lost returns a channel closed when the lease ends: its connection was found
// dead (a failed ping, checked every second; e.g. Postgres restarted or the
// backend was terminated), after which another process may lead, or Release
// was called. A leader stops its work when Lost is closed.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Release unlocks and closes the connection. It returns nil if the lease was
// already lost (the lock went with its session). Calling it again is a no-op.
func (l *Lease) Release(ctx context.Context) error {
	l.releaseOnce.Do(func() { l.releaseErr = l.release(ctx) })
	return l.releaseErr
}

func (l *Lease) release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	defer l.end()
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.conn.Close(context.WithoutCancel(ctx))
	select {
	case <-l.lost:
		return nil
	default:
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, `SELECT pg_advisory_unlock($1)`, l.key).Scan(&ok); err != nil {
		return fmt.Errorf("release leader %q: %w", l.name, err)
	}
	if !ok {
		return fmt.Errorf("release leader %q: lock was not held", l.name)
	}
	return nil
}

// Run runs fn while holding the leader lock lockName, waiting as a
// standby until it can take it. When the lock is lost (Postgres restarted,
// the connection cut) fn's context is cancelled and the process goes back to
// standby, so two processes never work on the same lock at once. It returns
// fn's result when fn returns on its own, or ctx.Err() when ctx ends while
// standing by. onRole, if set, is told "standby" and "leader" as they change.
func Run(ctx context.Context, pool *pgxpool.Pool, lockName string, poll time.Duration, log zerolog.Logger,
	onRole func(role string), fn func(context.Context) error) error {
	if onRole == nil {
		onRole = func(string) {}
	}
	for {
		onRole("standby")
		log.Info().Str("lock", lockName).Msg("waiting for the leader lock (standby)")
		lease, err := Acquire(ctx, pool, lockName, poll)
		if err != nil {
			return fmt.Errorf("acquire leader lock %q: %w", lockName, err)
		}
		onRole("leader")
		log.Info().Str("lock", lockName).Msg("leader: working")
		lctx, cancel := context.WithCancel(ctx)
		lost, watched := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(watched)
			select {
			case <-lease.Lost():
				close(lost)
				cancel()
			case <-lctx.Done():
			}
		}()
		err = fn(lctx)
		cancel()
		<-watched
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		_ = lease.Release(rctx) // a lost lease is already released by Postgres
		rcancel()
		select {
		case <-lost:
			if ctx.Err() == nil {
				log.Warn().Str("lock", lockName).Msg("lost the leader lock (database connection gone); standing by")
				continue
			}
		default:
		}
		return err
	}
}
