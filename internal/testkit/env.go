package testkit

import (
	"maps"
	"time"
)

// Env is the environment of a program under test (Start gives it exactly
// this, plus PATH and HOME).
type Env map[string]string

// With returns a copy of e with overrides applied; an empty value removes
// the variable.
func (e Env) With(overrides map[string]string) Env {
	out := maps.Clone(e)
	if out == nil {
		out = Env{}
	}
	for k, v := range overrides {
		if v == "" {
			delete(out, k)
			continue
		}
		out[k] = v
	}
	return out
}

// Eventually polls cond every 50ms until it holds or d passes, and reports
// whether it held.
func Eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}
