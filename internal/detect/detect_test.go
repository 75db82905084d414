package detect

import (
	"testing"
)

// TestDefaultRules runs the inline tests of the default rules file.
func TestDefaultRules(t *testing.T) {
	rs, err := LoadRules(DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	results := RunTests(rs)
	if len(results) < len(rs.Rules) {
		t.Errorf("RunTests ran %d cases for %d rules, want at least one per rule", len(results), len(rs.Rules))
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("rule %s, test %q failed:\n%s", r.Rule, r.Name, r.Diff)
		}
	}
}
