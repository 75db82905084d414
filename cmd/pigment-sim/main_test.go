package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// listenAddr waits for the "listening" log line and returns its address.
func listenAddr(t *testing.T, out *testkit.SyncBuffer, done <-chan error) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		for _, l := range testkit.LogLines(out.String()) {
			if addr, _ := l["addr"].(string); l["message"] == "listening" {
				return addr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before listening: %v", err)
		case <-deadline:
			t.Fatalf("no listening log line in %q", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := envconfig.MapLookuper(map[string]string{
		"SIM_ADDR": "127.0.0.1:0", "SIM_API_KEY": "secret-key-value", "SIM_HISTORY_EVENTS": "2000",
		"SIM_SHAPE": "public", "SIM_LOG_LEVEL": "debug",
	})
	out := &testkit.SyncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, nil, env, out) }()
	addr := listenAddr(t, out, done)

	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %v, %v; want 200", resp, err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/audit/v1/events?ingestedSince="+time.Now().Add(-48*time.Hour).UTC().Format(time.RFC3339), nil)
	req.Header.Set("Authorization", "Bearer secret-key-value")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var page struct {
		Events           []json.RawMessage
		NextEventsCursor *string
	}
	err = json.NewDecoder(resp.Body).Decode(&page)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(page.Events) != 1000 || page.NextEventsCursor == nil {
		t.Errorf("first page: status %d, %d events, cursor %v, err %v; want 200, 1000, a cursor", resp.StatusCode, len(page.Events), page.NextEventsCursor, err)
	}

	cancel()
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return after cancel")
	}
	if err != nil {
		t.Errorf("run after cancel = %v, want nil", err)
	}
	if strings.Contains(out.String(), "secret-key-value") {
		t.Errorf("logs contain the API key")
	}
	if !strings.Contains(out.String(), `"message":"stopped"`) {
		t.Errorf("no stopped line in logs %q", out.String())
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SIM_SEED": "abc"}, "SIM_SEED"},
		{map[string]string{"SIM_RATE_WINDOW": "5 minutes"}, "SIM_RATE_WINDOW"},
		{map[string]string{"SIM_SHAPE": "xml"}, "SIM_SHAPE"},
		{map[string]string{"SIM_ORDER": "random"}, "SIM_ORDER"},
		{map[string]string{"SIM_FAULT_RATE": "1.5"}, "SIM_FAULT_RATE"},
		{map[string]string{"SIM_RETRY_AFTER": "maybe"}, "SIM_RETRY_AFTER"},
		{map[string]string{"SIM_ANOMALIES": "maybe"}, "SIM_ANOMALIES"},
		{map[string]string{"SIM_ANOMALIES": "true", "SIM_MEMBERS": "10"}, "SIM_MEMBERS"},
		{map[string]string{"SIM_LOG_LEVEL": "loud"}, "SIM_LOG_LEVEL"},
		{map[string]string{"SIM_ADDR": "256.0.0.1:99999"}, "SIM_ADDR"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			tt.env["SIM_HISTORY_EVENTS"] = "10"
			err := run(context.Background(), nil, envconfig.MapLookuper(tt.env), &testkit.SyncBuffer{})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run with %v = %v, want an error naming %s", tt.env, err, tt.want)
			}
		})
	}
	if err := run(context.Background(), []string{"-x"}, envconfig.MapLookuper(nil), &testkit.SyncBuffer{}); err == nil {
		t.Errorf("run with arguments = nil, want an error")
	}
}

func TestAnomaliesConfig(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"SIM_ANOMALIES": "true"}, true},
	} {
		c, _, err := loadConfig(context.Background(), envconfig.MapLookuper(tt.env))
		if err != nil || c.simConfig().Anomalies != tt.want {
			t.Errorf("loadConfig(%v): Anomalies %v, err %v; want %v", tt.env, c.Anomalies, err, tt.want)
		}
	}
}

// TestScenarioConfig: SIM_SCENARIO=labelled serves the labelled scenario;
// anything else is refused, naming the variable.
func TestScenarioConfig(t *testing.T) {
	c, _, err := loadConfig(context.Background(), envconfig.MapLookuper(map[string]string{"SIM_SCENARIO": "labelled", "SIM_MEMBERS": "300", "SIM_APPLICATIONS": "40"}))
	if err != nil || c.simConfig().Scenario != "labelled" {
		t.Errorf("loadConfig(SIM_SCENARIO=labelled): Scenario %q, err %v; want labelled", c.simConfig().Scenario, err)
	}
	_, _, err = loadConfig(context.Background(), envconfig.MapLookuper(map[string]string{"SIM_SCENARIO": "demo"}))
	if err == nil || !strings.Contains(err.Error(), "SIM_SCENARIO") {
		t.Errorf("loadConfig(SIM_SCENARIO=demo) = %v, want an error naming SIM_SCENARIO", err)
	}
}
