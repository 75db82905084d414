package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// The budget comes from FORWARD_MEMORY_LIMIT, else the container's cgroup
// limit, else 100 MiB; fetches and batches shrink with it, and never grow
// past the consumer's and FORWARD_BATCH_BYTES's defaults.
func TestMemoryBudget(t *testing.T) {
	t.Parallel()
	v2, v2max, v1none := mustCgroupFile(t, "268435456\n"), mustCgroupFile(t, "max\n"), mustCgroupFile(t, "9223372036854771712\n")
	missing := filepath.Join(t.TempDir(), "missing")
	for _, tc := range []struct {
		name      string
		text      string
		files     []string
		wantLimit int64
		wantFrom  string
		wantFetch int
		wantBatch int // with FORWARD_BATCH_BYTES at its default, 4 MiB
	}{
		{"default", "", []string{missing}, 100 << 20, "default", 100 << 20 / 16, 100 << 20 / 32},
		{"cgroup v2", "", []string{missing, v2}, 256 << 20, "cgroup", 16 << 20, 4 << 20},
		{"cgroup v2 without a limit", "", []string{v2max, v1none}, 100 << 20, "default", 100 << 20 / 16, 100 << 20 / 32},
		{"explicit wins", "64MiB", []string{v2}, 64 << 20, "FORWARD_MEMORY_LIMIT", 4 << 20, 2 << 20},
		{"explicit in G", "2G", nil, 2 << 30, "FORWARD_MEMORY_LIMIT", 16 << 20, 4 << 20},
		{"explicit in bytes", "33554432", nil, 32 << 20, "FORWARD_MEMORY_LIMIT", 2 << 20, 1 << 20},
	} {
		b, err := resolveMemoryBudget(tc.text, tc.files...)
		if err != nil {
			t.Fatalf("%s: resolveMemoryBudget(%q) error %v", tc.name, tc.text, err)
		}
		if b.limit != tc.wantLimit || b.from != tc.wantFrom {
			t.Errorf("%s: budget = %d from %s, want %d from %s", tc.name, b.limit, b.from, tc.wantLimit, tc.wantFrom)
		}
		if got := b.fetchBytes(); got != tc.wantFetch {
			t.Errorf("%s: fetchBytes = %d, want %d", tc.name, got, tc.wantFetch)
		}
		if got := b.batchBytes(4 << 20); got != tc.wantBatch {
			t.Errorf("%s: batchBytes = %d, want %d", tc.name, got, tc.wantBatch)
		}
		if got := b.goLimit(); got != tc.wantLimit*7/10 {
			t.Errorf("%s: goLimit = %d, want %d", tc.name, got, tc.wantLimit*7/10)
		}
	}
	for _, bad := range []string{"lots", "-1MiB", "16MiB", "0"} {
		if _, err := resolveMemoryBudget(bad); err == nil {
			t.Errorf("resolveMemoryBudget(%q) = nil error, want one", bad)
		}
	}
}

// mustCgroupFile writes a cgroup limit file of its own and returns its path.
func mustCgroupFile(tb testing.TB, content string) string {
	tb.Helper()
	p := filepath.Join(tb.TempDir(), "memory.max")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

// forward run logs its memory budget at start: the limit, where it came
// from, and the fetch and batch sizes it sets.
func TestMemoryBudgetLoggedAtStart(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 10)
	env := d.env("file", map[string]string{"FILE_PATH": filepath.Join(t.TempDir(), "out"), "FORWARD_MEMORY_LIMIT": "64MiB"})
	p := startForward(t, env, "run")
	want := []string{`"memory_limit":67108864`, `"from":"FORWARD_MEMORY_LIMIT"`, `"go_memory_limit":46976204`,
		`"fetch_max_bytes":4194304`, `"batch_bytes":2097152`}
	budgetLine := func() string {
		return grepLines(p.Stderr(), `"memory budget"`)
	}
	if !testkit.Eventually(30*time.Second, func() bool { return budgetLine() != "" || p.Exited() }) || budgetLine() == "" {
		t.Fatalf("no memory budget logged at start; stderr:\n%s", testkit.Tail(p.Stderr(), 4096))
	}
	for _, w := range want {
		if !strings.Contains(budgetLine(), w) {
			t.Errorf("memory budget log line = %s, want %s in it", budgetLine(), w)
		}
	}
	p.Stop()
}

// An operator's GOMEMLIMIT is Go's own setting: forward keeps it rather
// than replacing it with seven tenths of the budget, and says so; "off"
// (the runtime's no limit) is kept too, as the README says.
func TestMemoryBudgetKeepsOperatorsGOMEMLIMIT(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		gomemlimit, want string
		warned           bool // above the 64 MiB budget: the heap may outgrow the container
	}{
		{"200MiB", `"go_memory_limit":209715200`, true},
		{"off", `"go_memory_limit":9223372036854775807`, true},
		{"40MiB", `"go_memory_limit":41943040`, false},
	} {
		t.Run(tc.gomemlimit, func(t *testing.T) {
			t.Parallel()
			d := newDeployment(t, 10)
			env := d.env("file", map[string]string{"FILE_PATH": filepath.Join(t.TempDir(), "out"), "FORWARD_MEMORY_LIMIT": "64MiB", "GOMEMLIMIT": tc.gomemlimit})
			p := startForward(t, env, "run")
			budgetLine := func() string { return grepLines(p.Stderr(), `"memory budget"`) }
			if !testkit.Eventually(30*time.Second, func() bool { return budgetLine() != "" || p.Exited() }) || budgetLine() == "" {
				t.Fatalf("no memory budget logged at start; stderr:\n%s", testkit.Tail(p.Stderr(), 4096))
			}
			for _, w := range []string{tc.want, `"go_memory_limit_from":"GOMEMLIMIT"`, `"fetch_max_bytes":4194304`} {
				if !strings.Contains(budgetLine(), w) {
					t.Errorf("memory budget log line = %s, want %s in it", budgetLine(), w)
				}
			}
			if warned := grepLines(p.Stderr(), "above the memory budget") != ""; warned != tc.warned {
				t.Errorf("warned that GOMEMLIMIT is above the budget: %v, want %v; stderr:\n%s", warned, tc.warned, testkit.Tail(p.Stderr(), 4096))
			}
			p.Stop()
		})
	}
}
