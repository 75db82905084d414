package splunkapp

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestDashboardsValidateWithSplunkSchema runs validate/validate.js, which
// checks every view against Splunk's own schemas from npm
// (@splunk/dashboard-definition, @splunk/visualization-schemas). The
// packages are installed by .ci/run (npm ci --prefix siem/splunk/validate);
// without them the test fails rather than skipping.
func TestDashboardsValidateWithSplunkSchema(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node is needed to validate the dashboards: %v", err)
	}
	if _, err := os.Stat(filepath.Join("validate", "node_modules", "@splunk", "dashboard-definition")); err != nil {
		t.Fatalf("Splunk's schema packages are not installed: run npm ci --prefix siem/splunk/validate (.ci/run does): %v", err)
	}
	views, err := filepath.Glob(filepath.Join(appDir, viewsDir, "*.xml"))
	if err != nil || len(views) == 0 {
		t.Fatalf("no views: %v", err)
	}
	cmd := exec.CommandContext(t.Context(), node, append([]string{filepath.Join("validate", "validate.js")}, views...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("validate.js: %v\n%s", err, out)
	}
}
