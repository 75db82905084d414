package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

const secretKey = "pk_live_S3CRET-7f3a9c1e"

// TestBadConfigurationNamesTheVariable calls run in-process with one bad
// setting at a time: each error names the variable at fault and never holds
// the key.
func TestBadConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	keyFile := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(keyFile, []byte(secretKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := testkit.Env{
		"PIGMENT_API_URL":       "http://127.0.0.1:1",
		"PIGMENT_AUDIT_API_KEY": secretKey,
		"KAFKA_BROKERS":         "127.0.0.1:1",
		"DATABASE_URL":          testkit.MustPostgres(t), // "once" without a key migrates first
	}
	tests := []struct {
		name    string
		set     map[string]string
		wantVar string
	}{
		{"rate limit not N/window", map[string]string{"PIGMENT_RATE_LIMIT": "abc"}, "PIGMENT_RATE_LIMIT"},
		{"negative poll interval", map[string]string{"PIGMENT_POLL_INTERVAL": "-1s"}, "PIGMENT_POLL_INTERVAL"},
		{"poll interval not a duration", map[string]string{"PIGMENT_POLL_INTERVAL": "often"}, "PIGMENT_POLL_INTERVAL"},
		{"API URL not http", map[string]string{"PIGMENT_API_URL": "ftp://x"}, "PIGMENT_API_URL"},
		{"DLQ topic is the topic", map[string]string{"KAFKA_TOPIC": "audit", "KAFKA_DLQ_TOPIC": "audit"}, "KAFKA_DLQ_TOPIC"},
		{"key and key file", map[string]string{"PIGMENT_AUDIT_API_KEY_FILE": keyFile}, "PIGMENT_AUDIT_API_KEY_FILE"},
		{"no key", map[string]string{"PIGMENT_AUDIT_API_KEY": ""}, "PIGMENT_AUDIT_API_KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := base.With(tt.set)
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), []string{"once"}, envconfig.MapLookuper(env), &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.wantVar) {
				t.Errorf("run(once) with %v = %v, want an error naming %s", tt.set, err, tt.wantVar)
			}
			if err != nil && strings.Contains(err.Error()+stdout.String()+stderr.String(), secretKey) {
				t.Errorf("run(once) with %v: the key appears in the error or the output: %v", tt.set, err)
			}
		})
	}
}

// TestSecretsStayOutOfOutput runs the binary where it fails, with a key and
// a database password of its own: it exits non-zero, and neither secret
// appears on stdout or stderr.
func TestSecretsStayOutOfOutput(t *testing.T) {
	t.Parallel()
	const dbPassword = "s3cretpw"
	s := newStack(t, pigmentsim.Config{Seed: 55, History: time.Hour, HistoryEvents: 100})
	noDB := "postgres://postgres:" + dbPassword + "@127.0.0.1:5432/" + strings.ReplaceAll(testkit.Name("nodb"), "-", "_") + "?sslmode=disable"
	tests := []struct {
		name     string
		set      map[string]string
		wantText string // in stderr
	}{
		{"wrong key (401)", map[string]string{"PIGMENT_AUDIT_API_KEY": secretKey}, "PIGMENT_AUDIT_API_KEY"},
		{"unreachable API", map[string]string{"PIGMENT_AUDIT_API_KEY": secretKey, "PIGMENT_API_URL": "http://127.0.0.1:1", "PIGMENT_MAX_ATTEMPTS": "2"}, "127.0.0.1:1"},
		{"missing database", map[string]string{"PIGMENT_AUDIT_API_KEY": secretKey, "DATABASE_URL": noDB}, "database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			own := testkit.Env{"LOG_LEVEL": "debug", "DATABASE_URL": testkit.MustPostgres(t)}
			code, stdout, stderr := testkit.Run(t, extractBin, s.ExtractEnv(own.With(tt.set)), "once")
			if code == 0 {
				t.Errorf("extract once exited 0, want a failure; stderr:\n%s", stderr)
			}
			if !strings.Contains(stderr, tt.wantText) {
				t.Errorf("extract once stderr does not mention %q:\n%s", tt.wantText, stderr)
			}
			for _, secret := range []string{secretKey, dbPassword} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("secret %q appears in the output:\nstdout:\n%s\nstderr:\n%s", secret, stdout, stderr)
				}
			}
		})
	}
}
