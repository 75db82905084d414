package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

var inventoryBin, extractBin string

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, testkit.RunNoLeaks, testkit.Binary{Dir: ".", Path: &inventoryBin},
		testkit.Binary{Dir: "../extract", Path: &extractBin}))
}

// writePolicy writes the built-in policy with from replaced by to (once)
// and returns its path.
func writePolicy(t *testing.T, from, to string) string {
	t.Helper()
	raw := string(inventory.DefaultPolicy())
	if strings.Count(raw, from) != 1 {
		t.Fatalf("built-in policy: %q not found once; update the test", from)
	}
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(raw, from, to, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTestCommand: the built-in policy's cases pass (exit 0); a policy
// whose case expects the wrong finding exits 1 naming that case.
func TestTestCommand(t *testing.T) {
	t.Parallel()
	out := testkit.MustRun(t, inventoryBin, nil, "test")
	if !regexp.MustCompile(`(?m)^[1-9]\d* passed, 0 failed$`).MatchString(out) {
		t.Errorf("inventory test: want every case passing, got:\n%s", out)
	}
	// Nine dimensions are no longer too many: the complex-metric case fails.
	path := writePolicy(t, "maxDimensions: 8", "maxDimensions: 9")
	code, out, stderr := testkit.Run(t, inventoryBin, nil, "test", "--policy", path)
	if code != 1 || !strings.Contains(out, "FAIL nine dimensions make a complex metric") ||
		!strings.Contains(out, "- complex-metric block:app-1/b1") || !regexp.MustCompile(`(?m)^\d+ passed, 1 failed$`).MatchString(out) {
		t.Errorf("inventory test --policy (maxDimensions 9) exited %d, stdout:\n%s\nstderr:\n%s\nwant 1, the complex-metric case failing", code, out, stderr)
	}
}

// TestBadPolicyStopsAtStart: a policy file with a mistake stops every
// command at start, before any database or broker, naming the file and
// the line.
func TestBadPolicyStopsAtStart(t *testing.T) {
	t.Parallel()
	path := writePolicy(t, "severity: high", "severity: severe")
	for _, args := range [][]string{{"once"}, {"run"}, {"show"}, {"test"}} {
		code, _, stderr := testkit.Run(t, inventoryBin, map[string]string{"INVENTORY_POLICY_FILE": path,
			"KAFKA_BROKERS": "127.0.0.1:1", "PIGMENT_METADATA_API_KEY": "k", "DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"}, args...)
		if code != 1 || !strings.Contains(stderr, "INVENTORY_POLICY_FILE "+path) || !strings.Contains(stderr, "line 33") ||
			!strings.Contains(stderr, `"severe"`) {
			t.Errorf("inventory %v with a bad policy exited %d, stderr:\n%s\nwant 1, naming the file, line 33 and the value", args, code, stderr)
		}
	}
}

// TestPolicyCommand prints the built-in policy as is.
func TestPolicyCommand(t *testing.T) {
	t.Parallel()
	if out := testkit.MustRun(t, inventoryBin, nil, "policy"); out != string(inventory.DefaultPolicy()) {
		t.Errorf("inventory policy printed %d bytes, want the built-in policy's %d", len(out), len(inventory.DefaultPolicy()))
	}
}
