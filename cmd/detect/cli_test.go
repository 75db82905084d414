package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestTestCommandBuiltIn runs `detect test` on the built-in rules: every
// inline case passes, exit 0.
func TestTestCommandBuiltIn(t *testing.T) {
	t.Parallel()
	p := testkit.Start(t, detectBin, nil, "test")
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Fatalf("detect test exited %d; stdout:\n%s\nstderr:\n%s", code, p.Stdout(), p.Stderr())
	}
	m := regexp.MustCompile(`(?m)^(\d+) passed, 0 failed$`).FindStringSubmatch(p.Stdout())
	if m == nil {
		t.Fatalf("detect test stdout has no %q line:\n%s", "N passed, 0 failed", p.Stdout())
	}
	if n, _ := strconv.Atoi(m[1]); n < 13 {
		t.Errorf("detect test: %d passed, want at least one case per built-in rule (13)", n)
	}
}

// TestTestCommandFailingRule raises the export-burst threshold in a copy of
// the built-in rules, so that its inline case (21 exports) no longer
// alerts: `detect test --rules` exits 1 and names the rule.
func TestTestCommandFailingRule(t *testing.T) {
	t.Parallel()
	raw := string(defaultRules())
	const before = "threshold: 20\n    window: 1h\n    mitre: T1567"
	if strings.Count(raw, before) != 1 {
		t.Fatalf("built-in rules: export-burst threshold %q not found once; update the test", before)
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(strings.Replace(raw, before, "threshold: 100\n    window: 1h\n    mitre: T1567", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	p := testkit.Start(t, detectBin, nil, "test", "--rules", path)
	if code := p.Wait(30 * time.Second); code != 1 {
		t.Fatalf("detect test --rules (export-burst threshold 100) exited %d, want 1; stdout:\n%s\nstderr:\n%s", code, p.Stdout(), p.Stderr())
	}
	if !regexp.MustCompile(`(?m)^FAIL export-burst / `).MatchString(p.Stdout()) {
		t.Errorf("detect test stdout does not name export-burst as failing:\n%s", p.Stdout())
	}
	if !regexp.MustCompile(`(?m)^\d+ passed, 1 failed$`).MatchString(p.Stdout()) {
		t.Errorf("detect test stdout: want %q, got:\n%s", "N passed, 1 failed", p.Stdout())
	}
	if strings.Contains(p.Stdout(), "FAIL off-hours") {
		t.Errorf("detect test: unchanged rule off-hours fails:\n%s", p.Stdout())
	}
}

// TestRulesRoundTrip: what `detect rules` prints, `detect test --rules`
// accepts, and all its cases pass.
func TestRulesRoundTrip(t *testing.T) {
	t.Parallel()
	p := testkit.Start(t, detectBin, nil, "rules")
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Fatalf("detect rules exited %d; stderr:\n%s", code, p.Stderr())
	}
	if !strings.Contains(p.Stdout(), "rules:") {
		t.Fatalf("detect rules printed no rules:\n%s", p.Stdout())
	}
	path := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(path, []byte(p.Stdout()), 0o600); err != nil {
		t.Fatal(err)
	}
	q := testkit.Start(t, detectBin, nil, "test", "--rules", path)
	if code := q.Wait(30 * time.Second); code != 0 {
		t.Fatalf("detect test --rules <detect rules> exited %d; stdout:\n%s\nstderr:\n%s", code, q.Stdout(), q.Stderr())
	}
	if !regexp.MustCompile(`(?m)^[1-9]\d* passed, 0 failed$`).MatchString(q.Stdout()) {
		t.Errorf("detect test --rules <detect rules>: want %q, got:\n%s", "N passed, 0 failed", q.Stdout())
	}
}

// TestConfigErrors calls run with bad settings: each error names the
// variable at fault.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	missing := filepath.Join(t.TempDir(), "no-such-rules.yaml")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"zero save interval", []string{"run"}, map[string]string{"DETECT_SAVE_INTERVAL": "0"}, "DETECT_SAVE_INTERVAL"},
		{"negative save interval", []string{"run"}, map[string]string{"DETECT_SAVE_INTERVAL": "-1s"}, "DETECT_SAVE_INTERVAL"},
		{"unparsable save interval", []string{"run"}, map[string]string{"DETECT_SAVE_INTERVAL": "soon"}, "DETECT_SAVE_INTERVAL"},
		{"alerts topic is the events topic", []string{"run"}, map[string]string{"KAFKA_TOPIC": "ev", "KAFKA_ALERTS_TOPIC": "ev"}, "KAFKA_ALERTS_TOPIC"},
		{"default alerts topic set as events topic", []string{"run"}, map[string]string{"KAFKA_TOPIC": "pigment.audit.alerts"}, "KAFKA_ALERTS_TOPIC"},
		{"unreadable rules file, run", []string{"run"}, map[string]string{"DETECT_RULES_FILE": missing}, "DETECT_RULES_FILE"},
		{"unreadable rules file, test", []string{"test"}, map[string]string{"DETECT_RULES_FILE": missing}, "DETECT_RULES_FILE"},
		{"empty name", []string{"run"}, map[string]string{"DETECT_NAME": ""}, "DETECT_NAME"},
		{"empty workspace", []string{"run"}, map[string]string{"PIGMENT_WORKSPACE": ""}, "PIGMENT_WORKSPACE"},
		{"brokers unset", []string{"run"}, map[string]string{"KAFKA_BROKERS": ""}, "KAFKA_BROKERS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// An unreachable database: a run that got past the
			// configuration would fail on it, not hang.
			env := map[string]string{"DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", "METRICS_ADDR": "127.0.0.1:0",
				"KAFKA_BROKERS": "127.0.0.1:1"}
			for k, v := range tt.env {
				env[k] = v
			}
			var out, errb bytes.Buffer
			err := run(t.Context(), tt.args, envconfig.MapLookuper(env), &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%v, %v) = %v, want an error naming %s", tt.args, tt.env, err, tt.want)
			}
		})
	}
}
