// Package daemon is the skeleton every long-running program of the product
// is built on (extract, forward, detect, and new ones): the settings they
// share, embedded in each program's Config; the observability server; the
// Kafka brokers, in-memory for the demo; the Postgres database, migrated;
// and Run, which owns every goroutine the program starts and waits for it.
//
// A program's main only wires: Command loads its Config (Load: the
// program's Check, then the shared settings, every problem at once), builds
// the logger and keeps the database password out of every error; the
// program's dispatch builds its runner and hands the runner and its
// observability server to Run.
package daemon

import (
	"context"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/pigment-siem/pipeline/internal/obs"
)

// Run runs work and, alongside it, the background parts (the observability
// server, watchers), and returns once every one of them has returned.
//
// Background parts get a context of their own that ends when work returns,
// not when ctx does: /metrics and /healthz keep answering while work drains
// after SIGTERM. A background part that fails cancels work's context, and
// its error is what Run returns; otherwise Run returns work's error.
func Run(ctx context.Context, work func(context.Context) error, background ...func(context.Context) error) error {
	wctx, cancelWork := context.WithCancel(ctx)
	defer cancelWork()
	bctx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	var g errgroup.Group
	for _, part := range background {
		g.Go(func() error {
			err := part(bctx)
			if err != nil {
				cancelWork()
			}
			return err
		})
	}
	g.Go(func() error {
		defer stopBackground()
		return work(wctx)
	})
	return g.Wait()
}

// Listen binds the observability server (/metrics of reg, /healthz answered
// by health) at addr, so a taken port is reported at start-up, before any
// work begins, and logs where it serves. Its Run is for Run's background.
func Listen(addr string, reg *prometheus.Registry, health obs.HealthFunc, log zerolog.Logger) (*obs.Server, error) {
	srv, err := obs.Listen(addr, reg, health)
	if err != nil {
		return nil, err
	}
	log.Info().Str("addr", srv.Addr()).Msg("serving /metrics and /healthz")
	return srv, nil
}

// Role is what a process that elects a leader is doing: "starting",
// "standby", "leader" or "stopped". It is safe for concurrent use.
type Role struct{ v atomic.Value }

// NewRole returns a Role "starting".
func NewRole() *Role {
	r := &Role{}
	r.v.Store("starting")
	return r
}

// Set records the role; it is leader.Run's onRole.
func (r *Role) Set(role string) { r.v.Store(role) }

// Get returns the role.
func (r *Role) Get() string { return r.v.Load().(string) }

// Health answers /healthz by role: a standby is healthy, and the leader
// answers with leader(). Details always carry the role and the entries of
// also.
func (r *Role) Health(also map[string]any, leader func() (bool, map[string]any)) obs.HealthFunc {
	return func() (bool, any) {
		role, ok, details := r.Get(), true, map[string]any{}
		if role == "leader" {
			ok, details = leader()
		}
		details["role"] = role
		for k, v := range also {
			details[k] = v
		}
		return ok, details
	}
}
