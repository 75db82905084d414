package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// `detect rules --export FORMAT` writes the export on stdout and names the
// rules left out on stderr; --rules exports another file's rules.
func TestRulesExport(t *testing.T) {
	t.Parallel()
	edited := strings.Replace(string(detect.DefaultRules()), "threshold: 20\n", "threshold: 35\n", 1)
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args       []string
		wantOut    string
		wantStderr string
	}{
		{[]string{"--export", "elastic"}, `"type":"threshold"`, "deactivated-activity not exported"},
		{[]string{"--export", "splunk"}, "[Pigment - Burst of exports]", "unusual-location not exported"},
		{[]string{"--export", "sigma", "--rules", path}, "gt: 35", "failed-logins not exported"},
	} {
		code, stdout, stderr := testkit.Run(t, detectBin, nil, append([]string{"rules"}, tc.args...)...)
		if code != 0 || !strings.Contains(stdout, tc.wantOut) || !strings.Contains(stderr, tc.wantStderr) {
			t.Errorf("detect rules %v = exit %d, stdout with %q: %v, stderr:\n%s", tc.args, code, tc.wantOut,
				strings.Contains(stdout, tc.wantOut), stderr)
		}
	}
	if code, _, _ := testkit.Run(t, detectBin, nil, "rules", "--export", "qradar"); code == 0 {
		t.Error("detect rules --export qradar exited 0")
	}
}
