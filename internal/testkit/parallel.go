package testkit

import "testing"

// RunParallel runs each of tests as a parallel subtest of t, named by its
// key and given fixture: the tests of a package that isolate themselves (by
// checkpoint, key or lock name) share one database this way and run at
// once.
func RunParallel[F any](t *testing.T, fixture F, tests map[string]func(*testing.T, F)) {
	t.Helper()
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			fn(t, fixture)
		})
	}
}
