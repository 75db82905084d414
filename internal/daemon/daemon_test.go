package daemon_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

// TestRunKeepsBackgroundUntilWorkReturns: after ctx ends, background parts
// keep running while work drains, and stop once it returned.
func TestRunKeepsBackgroundUntilWorkReturns(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	drained := make(chan struct{})
	var backgroundSawDrain bool
	err := daemon.Run(ctx, func(ctx context.Context) error {
		cancel()
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // draining
		close(drained)
		return nil
	}, func(ctx context.Context) error {
		<-ctx.Done()
		select {
		case <-drained:
			backgroundSawDrain = true
		default:
		}
		return nil
	})
	if err != nil || !backgroundSawDrain {
		t.Errorf("Run = %v, background stopped after work drained: %v; want nil, true", err, backgroundSawDrain)
	}
}

// TestRunBackgroundFailureStopsWork: a failing background part cancels
// work, and its error is Run's.
func TestRunBackgroundFailureStopsWork(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	err := daemon.Run(t.Context(), func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}, func(context.Context) error { return boom })
	if !errors.Is(err, boom) {
		t.Errorf("Run = %v, want %v", err, boom)
	}
}

// TestRoleHealth: a standby is healthy whatever the leader would say.
func TestRoleHealth(t *testing.T) {
	t.Parallel()
	r := daemon.NewRole()
	h := r.Health(map[string]any{"checkpoint": "ws/live"}, func() (bool, map[string]any) {
		return false, map[string]any{"why": "stuck"}
	})
	for _, tc := range []struct {
		role string
		ok   bool
	}{{"starting", true}, {"standby", true}, {"leader", false}, {"stopped", true}} {
		r.Set(tc.role)
		ok, d := h()
		m := d.(map[string]any)
		if ok != tc.ok || m["role"] != tc.role || m["checkpoint"] != "ws/live" {
			t.Errorf("Health() as %s = %v, %v; want %v with the role and checkpoint", tc.role, ok, m, tc.ok)
		}
	}
}
