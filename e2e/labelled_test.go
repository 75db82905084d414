package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

const simKey = "sim-key-e2e-labelled"

// TestLabelledEndToEnd is issue 9's proof: the labelled scenario (three
// weekdays, 300 members, both envelopes, an anomaly of every rule, near
// misses, controls) served newest first by the simulator, read by a live
// `extract run` and judged by `detect run` with a team's rules file. Every
// planted anomaly must be alerted within a minute of extract catching up,
// with nothing new arriving; no alert may name a control member, none of a
// near miss's rule its member; and the same alert IDs must come out of the
// same records fed oldest first, newest first and newest first per poll
// window, and out of a detector killed with SIGKILL mid-stream.
func TestLabelledEndToEnd(t *testing.T) {
	sim, err := pigmentsim.New(pigmentsim.Config{APIKey: simKey, Seed: 9, Scenario: pigmentsim.ScenarioLabelled,
		Members: 300, Applications: 40})
	if err != nil {
		t.Fatal(err)
	}
	st := testkit.NewStack(t, sim.Handler(), simKey)
	brokers, dbURL, topic := st.Brokers, st.DBURL, st.Topic
	rules := userRules(t)
	total := len(sim.VisibleIDs(time.Now()))

	live := newDetector(t, st, rules, topic)
	testkit.Start(t, extractBin, st.ExtractEnv(map[string]string{"PIGMENT_POLL_INTERVAL": "1s", "METRICS_ADDR": freeAddr(t)}), "run")
	live.start(t)

	// Extract has caught up when its saved watermark is past every event's
	// ingestion and the topic holds them all.
	caughtUp := time.Time{}
	for deadline := time.Now().Add(60 * time.Second); caughtUp.IsZero(); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("extract did not catch up within 60s: watermark %v", extractWatermark(t, dbURL))
		}
		records := dedupe(testkit.ReadAll(t, brokers, topic))
		if len(records) >= total && !extractWatermark(t, dbURL).Before(ingestion(byIngestion(records)[len(records)-1])) {
			caughtUp = time.Now()
		}
	}
	t.Logf("extract caught up: %d events", total)

	// Every planted anomaly within a minute, nothing new arriving.
	labels := sim.Labels()
	found := map[int]time.Duration{}
	for time.Since(caughtUp) < time.Minute && len(found) < countExpected(labels) {
		alerts := decode(t, testkit.ReadAll(t, brokers, live.alerts))
		for i, l := range labels {
			if _, ok := found[i]; !ok && l.Expect && slices.ContainsFunc(alerts, func(a detect.Alert) bool { return matches(a, l) }) {
				found[i] = time.Since(caughtUp)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	liveMsgs, err := live.settle(t, brokers, 3*time.Second, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	alerts := decode(t, liveMsgs)
	for i, l := range labels {
		if _, ok := found[i]; l.Expect && !ok {
			t.Errorf("planted %s %s (%s, %s): no alert within a minute of extract catching up", l.Rule, l.Key, l.Email, l.What)
		}
	}
	checkQuiet(t, sim, labels, alerts)
	t.Logf("%d alerts; %d of %d planted found (at most %v after extract caught up); by rule: %v",
		len(alerts), len(found), countExpected(labels), maxDur(found), byRule(alerts))

	// The same records in three orders, and a detector killed mid-stream.
	want, _ := testkit.HeaderSet(liveMsgs, "alertId")
	records := dedupe(testkit.ReadAll(t, brokers, topic))
	watermark := extractWatermark(t, dbURL)
	orders := map[string][]kafka.Message{
		"oldest first":                     oldestFirst(records, watermark),
		"newest first":                     newestFirst(records, watermark),
		"newest first per 5-minute window": newestPerWindow(records, 5*time.Minute, watermark),
	}
	var wg sync.WaitGroup
	got := map[string]map[string]bool{}
	var mu sync.Mutex            // guards got and seen
	seen := slices.Clone(alerts) // every run's alerts, to describe differences
	for name, msgs := range orders {
		copyTopic := testkit.Name("events-" + strings.ReplaceAll(name, " ", "-"))
		writeTopic(t, brokers, copyTopic, msgs)
		d := newDetector(t, st, rules, copyTopic)
		d.start(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs, err := d.settle(t, brokers, 3*time.Second, 60*time.Second)
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			mu.Lock()
			got[name], _ = testkit.HeaderSet(msgs, "alertId")
			seen = append(seen, decode(t, msgs)...)
			mu.Unlock()
		}()
	}
	killed := newDetector(t, st, rules, topic)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	var kills []string
	for range 3 { // each time once it leads, a moment later: mid-stream
		killed.start(t)
		began := time.Now()
		for killed.behind() < 0 && !killed.p.Exited() && time.Since(began) < 10*time.Second {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(150)) * time.Millisecond)
		kills = append(kills, fmt.Sprintf("after %v with %d records behind", time.Since(began).Round(time.Millisecond), killed.behind()))
		killed.p.Kill()
	}
	killed.start(t)
	msgs, err := killed.settle(t, brokers, 3*time.Second, 60*time.Second)
	if err != nil {
		t.Error(err)
	}
	t.Logf("kill -9 %v", kills)
	wg.Wait()
	got["after kill -9 and restart"], _ = testkit.HeaderSet(msgs, "alertId")
	seen = append(seen, decode(t, msgs)...)
	for name, ids := range got {
		if missing, extra := testkit.SetDiff(want, ids), testkit.SetDiff(ids, want); len(missing) > 0 || len(extra) > 0 {
			t.Errorf("%s vs live: %d alert IDs missing %v, %d unexpected %v", name, len(missing), describe(missing, seen), len(extra), describe(extra, seen))
		}
	}
}

// checkQuiet fails for any alert naming a control member, and any alert of a
// near miss's rule for its key or member.
func checkQuiet(t *testing.T, sim *pigmentsim.Sim, labels []pigmentsim.Label, alerts []detect.Alert) {
	t.Helper()
	controls := sim.ControlActors()
	for _, a := range alerts {
		for _, c := range controls {
			if a.Actor == c || strings.Contains(a.Description, c) {
				t.Errorf("alert %s (%s) names control member %s: %s", a.ID, a.Rule, c, a.Description)
			}
		}
		for _, l := range labels {
			if !l.Expect && matches(a, l) {
				t.Errorf("near miss %s %s (%s, %s) alerted: %s", l.Rule, l.Key, l.Email, l.What, a.Description)
			}
		}
	}
}

// matches reports whether alert a is of label l's rule and for its key:
// the application for application keys, else the member as actor or named
// in the description.
func matches(a detect.Alert, l pigmentsim.Label) bool {
	if a.Rule != l.Rule {
		return false
	}
	if strings.HasPrefix(l.Key, "application:") {
		return a.Application == l.Application
	}
	return a.Actor == l.Member || strings.Contains(a.Description, l.Member) || strings.Contains(a.Description, l.Email)
}

func countExpected(labels []pigmentsim.Label) int {
	n := 0
	for _, l := range labels {
		if l.Expect {
			n++
		}
	}
	return n
}

func maxDur(m map[int]time.Duration) time.Duration {
	var d time.Duration
	for _, v := range m {
		d = max(d, v)
	}
	return d.Round(100 * time.Millisecond)
}

func byRule(alerts []detect.Alert) map[string]int {
	out := map[string]int{}
	for _, a := range alerts {
		out[a.Rule]++
	}
	return out
}

func decode(t *testing.T, msgs []kafka.Message) []detect.Alert {
	t.Helper()
	out := make([]detect.Alert, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m.Value, &out[i]); err != nil {
			t.Fatalf("alert record %d: %v", i, err)
		}
	}
	return out
}

// describe names the rule and actor of the given alert IDs.
func describe(ids []string, alerts []detect.Alert) []string {
	var out []string
	for _, id := range ids[:min(len(ids), 12)] {
		for _, a := range alerts {
			if a.ID == id {
				out = append(out, fmt.Sprintf("%s/%s@%s", a.Rule, a.Actor, a.Window.Start.Format(time.RFC3339)))
				break
			}
		}
	}
	return out
}

// dedupe keeps the first record of each eventId.
func dedupe(msgs []kafka.Message) []kafka.Message {
	seen := map[string]bool{}
	out := msgs[:0:0]
	for _, m := range msgs {
		id := testkit.Header(m, record.HeaderEventID)
		if !seen[id] {
			seen[id] = true
			out = append(out, m)
		}
	}
	return out
}
