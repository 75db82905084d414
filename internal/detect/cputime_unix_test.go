//go:build unix

package detect

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user and system) the process has used, so
// the benchmark can report events per CPU-second, which other processes
// on a shared machine do not skew.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
