package benchkit

import (
	"syscall"
	"time"
)

// CPU is this process's CPU time so far, user and system: what the
// benchmarks count as their own share (a helper process's is
// testkit.Proc.CPUTime).
func CPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
