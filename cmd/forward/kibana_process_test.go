package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/siem/kibana"
)

// kbnAPIKey is the encoded form of "kbn:secret-77e1"; its secret part must
// never be printed.
const kbnAPIKey = "a2JuOnNlY3JldC03N2Ux"

// setupEnv is forward setup with SINK=elastic and Kibana, the key in a file.
func setupEnv(t *testing.T, es *sinktest.Elastic, kbn *sinktest.Kibana) map[string]string {
	keyFile := filepath.Join(t.TempDir(), "kibana.key")
	if err := os.WriteFile(keyFile, []byte(kbnAPIKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"SINK": "elastic", "ELASTIC_URL": es.URL(), "ELASTIC_API_KEY": esAPIKey,
		"KIBANA_URL": kbn.URL(), "KIBANA_API_KEY_FILE": keyFile, "LOG_FORMAT": "json"}
}

// forward setup installs the template and imports the saved objects; run
// again, it replaces them (same objects, exit 0).
func TestSetupImportsKibanaObjects(t *testing.T) {
	t.Parallel()
	es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
	kbn := sinktest.NewKibana(t, sinktest.KibanaOptions{APIKey: kbnAPIKey})
	env := setupEnv(t, es, kbn)
	want := strings.Count(string(kibana.SavedObjects()), "\n")
	for i := range 2 {
		code, stdout, stderr := testkit.Run(t, forwardBin, env, "setup")
		if code != 0 || !strings.Contains(stdout, "Kibana saved objects imported") {
			t.Fatalf("forward setup #%d = exit %d, stdout %q; stderr:\n%s", i+1, code, stdout, tail(stderr, 2048))
		}
	}
	if got := len(kbn.Objects()); got != want {
		t.Errorf("Kibana holds %d objects, want %d", got, want)
	}
	if kbn.Objects()["dashboard/pigment-siem-overview"] == nil {
		t.Error("no Overview dashboard in Kibana")
	}
}

// A key without the privilege, or an object Kibana refuses, fails setup
// with Kibana's answer and never prints the key.
func TestSetupKibanaFailures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		opts  sinktest.KibanaOptions
		fault func(*sinktest.Kibana)
		want  string
	}{
		{"forbidden", sinktest.KibanaOptions{APIKey: kbnAPIKey, Forbidden: true}, nil, "403 Forbidden"},
		{"wrong key", sinktest.KibanaOptions{APIKey: "b3RoZXI6a2V5"}, nil, "401 Unauthorized"},
		{"object refused", sinktest.KibanaOptions{APIKey: kbnAPIKey},
			func(k *sinktest.Kibana) { k.FailObject("pigment-siem-alerts", "unknown") },
			"dashboard pigment-siem-alerts: unknown"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
			kbn := sinktest.NewKibana(t, tc.opts)
			if tc.fault != nil {
				tc.fault(kbn)
			}
			code, stdout, stderr := testkit.Run(t, forwardBin, setupEnv(t, es, kbn), "setup")
			if code == 0 || !strings.Contains(stderr, tc.want) {
				t.Errorf("forward setup = exit %d, want non-zero with %q; stderr:\n%s", code, tc.want, tail(stderr, 2048))
			}
			if all := stdout + stderr; strings.Contains(all, kbnAPIKey) || strings.Contains(all, "secret-77e1") {
				t.Errorf("the Kibana API key is printed: %s", all)
			}
		})
	}
}
