package testkit

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build compiles the main package in dir into a temporary directory and
// returns the binary's path and a cleanup. Process-level tests call it
// from TestMain, so every test runs the real program.
func Build(dir, name string) (bin string, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", name+"-bin-")
	if err != nil {
		return "", nil, fmt.Errorf("temp dir: %w", err)
	}
	bin = filepath.Join(tmp, name)
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir, build.Stdout, build.Stderr = dir, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("go build %s: %w", dir, err)
	}
	return bin, func() { os.RemoveAll(tmp) }, nil
}

// Proc is a running program under test.
type Proc struct {
	tb     testing.TB
	cmd    *exec.Cmd
	stdout SyncBuffer
	stderr SyncBuffer
	done   chan struct{}
	err    error // set when done is closed
}

// Start runs bin with exactly env (plus PATH and HOME) and args. The process
// is killed when the test ends, if still running; its stderr is logged if
// the test failed.
func Start(tb testing.TB, bin string, env map[string]string, args ...string) *Proc {
	tb.Helper()
	p := &Proc{tb: tb, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		p.cmd.Env = append(p.cmd.Env, k+"="+v)
	}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		tb.Fatalf("start %s %v: %v", filepath.Base(bin), args, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Kill()
		if tb.Failed() && p.Stderr() != "" {
			tb.Logf("%s %v stderr (last 4 KiB):\n%s", filepath.Base(bin), args, Tail(p.Stderr(), 4096))
		}
	})
	return p
}

// Run runs bin to completion (at most a minute) and returns its exit code
// and output.
func Run(tb testing.TB, bin string, env map[string]string, args ...string) (code int, stdout, stderr string) {
	tb.Helper()
	p := Start(tb, bin, env, args...)
	code = p.Wait(time.Minute)
	return code, p.Stdout(), p.Stderr()
}

// MustRun runs bin to completion and fails the test unless it exits 0; it
// returns stdout.
func MustRun(tb testing.TB, bin string, env map[string]string, args ...string) string {
	tb.Helper()
	code, stdout, stderr := Run(tb, bin, env, args...)
	if code != 0 {
		tb.Fatalf("%s %v exited %d; stderr:\n%s", filepath.Base(bin), args, code, Tail(stderr, 4096))
	}
	return stdout
}

// Kill sends SIGKILL and waits for the process to be gone.
func (p *Proc) Kill() {
	if p.Exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Signal sends sig to the process.
func (p *Proc) Signal(sig os.Signal) {
	p.tb.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.tb.Fatalf("signal %v: %v", p.cmd.Args, err)
	}
}

// Stop sends SIGTERM and fails the test unless the process exits 0 within
// a generous bound.
func (p *Proc) Stop() {
	p.tb.Helper()
	p.Signal(syscall.SIGTERM)
	if code := p.Wait(30 * time.Second); code != 0 {
		p.tb.Fatalf("%v exited %d after SIGTERM, want 0; stderr:\n%s", p.cmd.Args, code, Tail(p.Stderr(), 4096))
	}
}

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to d for the process to end and returns its exit code.
func (p *Proc) Wait(d time.Duration) int {
	p.tb.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		p.Kill()
		p.tb.Fatalf("%v still running after %v; stderr:\n%s", p.cmd.Args, d, Tail(p.Stderr(), 4096))
	}
	var exit *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exit) {
		p.tb.Fatalf("wait for %v: %v", p.cmd.Args, p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// Err is the process's exit error, once it has exited.
func (p *Proc) Err() error { return p.err }

// State is the exited process's state (exit code, resource usage).
func (p *Proc) State() *os.ProcessState { return p.cmd.ProcessState }

func (p *Proc) Stdout() string { return p.stdout.String() }

// Pid is the process's id, for reading /proc.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// CPUTime is the process's CPU time so far, user and system (from
// /proc/PID/stat).
func (p *Proc) CPUTime() (time.Duration, error) {
	user, sys, err := p.CPUTimes()
	return user + sys, err
}

// CPUTimes is the process's CPU time so far in user space and in the
// kernel on its behalf (system calls: writing files and sockets), apart.
func (p *Proc) CPUTimes() (user, sys time.Duration, err error) {
	return CPUTimesOf(p.cmd.Process.Pid)
}

// CPUTimesOf is CPUTimes for any process of this machine (a server's
// backend, say), from /proc/PID/stat.
func CPUTimesOf(pid int) (user, sys time.Duration, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// Fields after the parenthesised command name: state is field 3,
	// utime and stime are fields 14 and 15, in clock ticks (USER_HZ, 100
	// on Linux).
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields))
	}
	var ticks [2]int64
	for i, f := range fields[11:13] {
		if ticks[i], err = strconv.ParseInt(f, 10, 64); err != nil {
			return 0, 0, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
		}
	}
	return time.Duration(ticks[0]) * 10 * time.Millisecond, time.Duration(ticks[1]) * 10 * time.Millisecond, nil
}

func (p *Proc) Stderr() string { return p.stderr.String() }

// Tail is the last n bytes of s, for failure messages.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers (exec's copying
// goroutine, a logger's goroutines) and a reading test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (n int, err error) {
	b.mu.Lock()
	n, err = b.b.Write(p)
	b.mu.Unlock()
	return n, err
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
