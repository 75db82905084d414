package inventory_test

import (
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/inventory"
)

// TestDefaultPolicyPassesItsTests: the built-in policy loads and every
// inline case passes.
func TestDefaultPolicyPassesItsTests(t *testing.T) {
	t.Parallel()
	p, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		t.Fatalf("LoadPolicy(default) = %v", err)
	}
	results := p.RunTests()
	if len(results) < 5 {
		t.Errorf("RunTests(default) ran %d cases, want at least 5", len(results))
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("case %q failed:\n%s", r.Name, r.Diff)
		}
	}
	if p.ComplexMetric.MaxDimensions != 8 || p.AverageDimensions.Target != 6 || p.LargeApplication.MaxBlocks != 200 ||
		p.LargeApplication.WarningBlocks != 300 || p.Thresholds.DailyChanges != 500 || p.Thresholds.DailySecurityEvents != 20 || p.Thresholds.FailedLoginShare != 0.05 || p.Thresholds.APIErrorRate != 0.01 {
		t.Errorf("default thresholds = %+v %+v %+v %+v; want 8, 6, 200/300, 500, 20, 5 %% and 1 %%",
			p.ComplexMetric, p.AverageDimensions, p.LargeApplication, p.Thresholds)
	}
}

// TestFailingCaseFails: a case expecting the wrong findings fails with a
// diff naming what is missing and what is extra.
func TestFailingCaseFails(t *testing.T) {
	t.Parallel()
	raw := strings.Replace(string(inventory.DefaultPolicy()), "{rule: complex-metric, key: block:app-1/b1}", "{rule: complex-metric, key: block:app-1/b2}", 1)
	p, err := inventory.LoadPolicy([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range p.RunTests() {
		if !r.Pass {
			failed++
			if !strings.Contains(r.Diff, "- complex-metric block:app-1/b2") || !strings.Contains(r.Diff, "+ complex-metric block:app-1/b1") {
				t.Errorf("diff = %q, want the missing b2 and the extra b1", r.Diff)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d cases failed, want 1", failed)
	}
}

// TestBadPolicyNamesTheLine: every kind of mistake is refused with the
// line it is on.
func TestBadPolicyNamesTheLine(t *testing.T) {
	t.Parallel()
	def := string(inventory.DefaultPolicy())
	for _, tc := range []struct{ name, from, to, want string }{
		{"bad pattern", `Metric: '^[A-Z][a-z]+(_[A-Z][a-z]+)*$'`, `Metric: '^[A-Z'`, "line 9"},
		{"bad severity", "severity: medium\n  maxDimensions", "severity: urgent\n  maxDimensions", "line 15"},
		{"zero threshold", "maxDimensions: 8", "maxDimensions: 0", "line 16"},
		{"unknown key", "maxDimensions: 8", "maxDimension: 8", "line 16"},
		{"not YAML", "naming:\n", "naming: [\n", "line"},
		{"share over 1", "apiErrorRate: 0.01", "apiErrorRate: 1.5", "line 41"},
	} {
		raw := strings.Replace(def, tc.from, tc.to, 1)
		if raw == def {
			t.Fatalf("%s: %q not in the default policy", tc.name, tc.from)
		}
		_, err := inventory.LoadPolicy([]byte(raw))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: LoadPolicy = %v, want an error naming %q", tc.name, err, tc.want)
		}
	}
}
