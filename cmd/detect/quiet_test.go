package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestDecidedWhenNothingMoreArrives runs `extract run` (polling every
// second) and `detect run` on one database, over an API that serves one
// burst of six failed logins by one member, just now, and nothing after.
// The failed-logins rule decides when its window closes (15s windows and
// a lateness of 2s here, so the test need not wait an hour). No later event
// will ever come to move the records' completeBefore (the first catch-up's
// is the start of the 180 days): the alert must come from extract's
// checkpoint, which says after each poll that everything ingested before
// the poll's start is in the topic.
func TestDecidedWhenNothingMoreArrives(t *testing.T) {
	t.Parallel()
	raw := string(detect.DefaultRules())
	for _, r := range []struct{ old, new string }{
		{"lateness: 10m", "lateness: 2s"},
		{"window: 1h\n    share: 0.5", "window: 15s\n    share: 0.5"},
	} {
		if strings.Count(raw, r.old) != 1 {
			t.Fatalf("built-in rules: %q not found once; update the test", r.old)
		}
		raw = strings.Replace(raw, r.old, r.new, 1)
	}
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(rules, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}

	api := testkit.NewFakeAPI(t)
	at := time.Now().UTC().Add(-2 * time.Second)
	for i := range 6 {
		ts := at.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
		id := fmt.Sprintf("failed-%d", i)
		api.AddRaw(id, at.Add(time.Duration(i)*time.Millisecond), `{"eventId":"`+id+`","eventType":"UserLoggedIn","eventTimestamp":"`+ts+
			`","ingestionTimestamp":"`+ts+`","actor":{"memberId":"m-burst"},"metadata":{"outcome":"failure"}}`)
	}
	st := testkit.NewStack(t, nil, simKey)
	st.APIURL = api.URL
	alerts := testkit.Name("alerts")
	extract := testkit.Start(t, extractBin, st.ExtractEnv(map[string]string{
		"PIGMENT_POLL_INTERVAL": "1s", "METRICS_ADDR": "127.0.0.1:0",
	}), "run")
	det := testkit.Start(t, detectBin, st.DetectEnv(testkit.Name("detect"), alerts, map[string]string{"DETECT_RULES_FILE": rules}), "run")

	found := testkit.Eventually(60*time.Second, func() bool {
		for _, m := range testkit.ReadAll(t, st.Brokers, alerts) {
			if testkit.Header(m, "rule") == "failed-logins" && string(m.Key) == "m-burst" {
				return true
			}
		}
		return extract.Exited() || det.Exited()
	})
	if extract.Exited() || det.Exited() {
		t.Fatalf("a process exited: extract %v, detect %v; extract stderr:\n%s\ndetect stderr:\n%s",
			extract.Err(), det.Err(), testkit.Tail(extract.Stderr(), 2048), testkit.Tail(det.Stderr(), 2048))
	}
	if !found {
		t.Fatalf("no failed-logins alert for m-burst within a minute of the burst, with nothing after it; detect stderr:\n%s", testkit.Tail(det.Stderr(), 4096))
	}
	var records int64
	for _, n := range testkit.EndOffsets(t, st.Brokers, st.Topic) {
		records += n
	}
	if records != 6 {
		t.Errorf("the events topic holds %d records, want the burst's 6 alone: the alert must come without a later event", records)
	}
}
