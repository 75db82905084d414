package main

import (
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

const hecToken = "hec-token-5d6c1f0a-9b7e"

// splunkEnv is the environment of a forwarder writing to hec.
func splunkEnv(d *deployment, hec *sinktest.HEC, overrides map[string]string) testkit.Env {
	return d.env("splunk", map[string]string{
		"SPLUNK_HEC_URL": hec.URL(), "SPLUNK_HEC_TOKEN": hecToken, "SPLUNK_HEC_GZIP": "true",
	}).With(overrides)
}

// newSplunk is a deployment of n events and a HEC receiver that takes
// hecToken, with opts.
func newSplunk(t *testing.T, n int, opts sinktest.HECOptions) (*deployment, *sinktest.HEC) {
	t.Helper()
	opts.Token = hecToken
	return newDeployment(t, n), sinktest.NewHEC(t, opts)
}

func hecSeen(hec *sinktest.HEC) func(string) bool {
	return func(id string) bool { return hec.Seen(id) > 0 }
}

// Every event reaches HEC once, its "event" the original JSON byte for
// byte, with the documented source and sourcetype.
func TestSplunkDeliversEveryEventUnchanged(t *testing.T) {
	t.Parallel()
	d, hec := newSplunk(t, 3000, sinktest.HECOptions{})
	recs := d.records(t)
	p := forwardUntil(t, d, splunkEnv(d, hec, nil), recs, func() bool { return hec.Unique() == len(d.ids) })

	checkAllDelivered(t, d.ids, hecSeen(hec))
	if n := hec.Count(); n != len(d.ids) {
		t.Errorf("HEC indexed %d events, want %d (one each, no fault injected)", n, len(d.ids))
	}
	events := hec.Events()
	for _, raw := range events {
		var got struct {
			Event      json.RawMessage `json:"event"`
			Sourcetype string          `json:"sourcetype"`
			Source     string          `json:"source"`
			Time       json.Number     `json:"time"`
		}
		if err := json.Unmarshal(raw, &got); err != nil {
			t.Fatalf("HEC event %s: %v", raw, err)
		}
		var id struct {
			EventID string `json:"eventId"`
		}
		_ = json.Unmarshal(got.Event, &id)
		if want, ok := d.raw[id.EventID]; !ok || !bytes.Equal(got.Event, want) {
			t.Fatalf("HEC event of %q = %s\nwant the original record %s", id.EventID, got.Event, want)
		}
		if got.Sourcetype != "pigment:audit" || got.Source != "pigment:audit" || got.Time == "" {
			t.Fatalf("HEC event %s: sourcetype %q, source %q, time %q; want pigment:audit twice and a time",
				id.EventID, got.Sourcetype, got.Source, got.Time)
		}
	}
	if !strings.Contains(p.Stderr(), `"forwarding"`) {
		t.Errorf("no JSON \"forwarding\" log line in stderr:\n%s", testkit.Tail(p.Stderr(), 2048))
	}
}

// Busy (503 code 9) and 429 storms, then a receiver down for seconds and
// back on the same address: nothing is lost, and at no time do the
// committed offsets cover a record HEC has not indexed.
func TestSplunkBusyThrottledAndDownLosesNothing(t *testing.T) {
	t.Parallel()
	d, hec := newSplunk(t, 3000, sinktest.HECOptions{})
	hec.Busy(5)
	hec.TooMany(5)
	hec.Slow(30 * time.Millisecond)
	recs := d.records(t)
	env := splunkEnv(d, hec, map[string]string{"FORWARD_BATCH_SIZE": "100"})
	p := startForward(t, env, "run")

	if !testkit.Eventually(30*time.Second, func() bool { return hec.Unique() >= 600 }) {
		t.Fatalf("HEC indexed %d events in 30s, want 600 before taking it down; stderr:\n%s", hec.Unique(), testkit.Tail(p.Stderr(), 4096))
	}
	hec.Down()
	downFor := time.Now().Add(3 * time.Second)
	covered := 0
	for time.Now().Before(downFor) {
		covered = d.checkCommittedDelivered(t, d.group, recs, hecSeen(hec))
		time.Sleep(200 * time.Millisecond)
	}
	// Back-pressure is visible: every sender holds a batch, retrying it or
	// waiting for an earlier one's commit.
	if m := scrape(t, p, "/metrics"); !strings.Contains(m, `pigment_forward_batches_in_flight{sink="splunk"} 4`+"\n") {
		t.Errorf("with HEC down, /metrics does not show the four senders' batches in flight:\n%s", grepLines(m, "in_flight"))
	}
	// At least one batch retries; the others may have got through just
	// before the outage and wait for it, their commit held in order.
	if h := health(t, p); h.RetryingBatches < 1 || h.LastCommit == nil {
		t.Errorf("with HEC down, /healthz says %+v; want retrying batches and the time of the last commit", h)
	}
	if covered == 0 || covered >= len(recs) {
		t.Errorf("while HEC was down the commits covered %d of %d records; want some but not all (the test would prove nothing)", covered, len(recs))
	}
	if p.Exited() {
		t.Fatalf("forward gave up while HEC was down: %v; stderr:\n%s", p.Err(), testkit.Tail(p.Stderr(), 4096))
	}
	hec.Up()
	hec.Slow(0)
	if !testkit.Eventually(60*time.Second, func() bool { return hec.Unique() == len(d.ids) && d.allCommitted(t, d.group, recs) }) {
		t.Fatalf("after Up: %d of %d events indexed, committed %v", hec.Unique(), len(d.ids), d.committed(t, d.group))
	}
	d.checkCommittedDelivered(t, d.group, recs, hecSeen(hec))
	var h forwarder.StatusReport
	if !testkit.Eventually(5*time.Second, func() bool {
		h = health(t, p)
		return h.RetryingBatches == 0 && h.RecordsCommitted == int64(len(d.ids))
	}) {
		t.Errorf("after HEC came back and every record was committed, /healthz says %+v; want 0 retrying, %d committed", h, len(d.ids))
	}
	metrics := scrape(t, p, "/metrics")
	for _, want := range []string{`pigment_forward_delivered_total{sink="splunk"}`, `pigment_forward_retried_total{sink="splunk"}`, "pigment_forward_batch_seconds"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, testkit.Tail(metrics, 2048))
		}
	}
	p.Stop()
	checkAllDelivered(t, d.ids, hecSeen(hec))
	if !strings.Contains(p.Stderr(), "consumption paused") {
		t.Errorf("no retry was logged, though HEC was busy, throttling and down")
	}
	t.Logf("busy/429/down: %d requests, %d duplicates", hec.Requests(), hec.Duplicates())
}

// SIGTERM while the sink is down: forward stops fetching, gives the batch
// in flight FORWARD_SHUTDOWN_GRACE, exits 0 within that bound, and has
// committed only delivered records; a restart delivers the rest.
func TestSplunkSIGTERMExitsInTimeCommittingOnlyWhatWasDelivered(t *testing.T) {
	t.Parallel()
	d, hec := newSplunk(t, 2000, sinktest.HECOptions{})
	hec.Slow(30 * time.Millisecond)
	recs := d.records(t)
	env := splunkEnv(d, hec, map[string]string{"FORWARD_BATCH_SIZE": "100", "FORWARD_SHUTDOWN_GRACE": "2s"})
	p := startForward(t, env, "run")
	if !testkit.Eventually(30*time.Second, func() bool { return hec.Unique() >= 500 }) {
		t.Fatalf("HEC indexed %d events in 30s, want 500; stderr:\n%s", hec.Unique(), testkit.Tail(p.Stderr(), 4096))
	}
	hec.Down()
	time.Sleep(500 * time.Millisecond) // a batch is now being retried
	p.Signal(syscall.SIGTERM)
	start := time.Now()
	code := p.Wait(2*time.Second + 10*time.Second)
	if code != 0 {
		t.Fatalf("forward exited %d after SIGTERM, want 0; stderr:\n%s", code, testkit.Tail(p.Stderr(), 4096))
	}
	t.Logf("exited %v after SIGTERM (grace 2s)", time.Since(start).Round(time.Millisecond))
	if covered := d.checkCommittedDelivered(t, d.group, recs, hecSeen(hec)); covered == 0 || covered >= len(recs) {
		t.Errorf("after SIGTERM the commits cover %d of %d records; want some but not all", covered, len(recs))
	}

	hec.Up()
	hec.Slow(0)
	forwardUntil(t, d, env, recs, func() bool { return hec.Unique() == len(d.ids) })
	checkAllDelivered(t, d.ids, hecSeen(hec))
}

// kill -9 mid-stream, three times, then a restart run to the end: every
// event is delivered at least once. Three forwarders share the group (the
// documented way to scale out) and are killed one after the other at
// random moments while delivering. (A killed member keeps its partitions
// until its session times out, kafka-go's default 30s: killing forwarders
// in sequence, each followed by a restart, would cost 30s per kill.)
func TestSplunkKill9MidStreamLosesNothing(t *testing.T) {
	t.Parallel()
	d, hec := newSplunk(t, 4000, sinktest.HECOptions{})
	// About 1,000 events/s for three members of four senders each (the
	// default), so the kills land mid-stream with batches in flight.
	hec.Slow(1200 * time.Millisecond)
	recs := d.records(t)
	env := splunkEnv(d, hec, map[string]string{"FORWARD_BATCH_SIZE": "100"})
	procs := []*proc{startForward(t, env, "run"), startForward(t, env, "run"), startForward(t, env, "run")}
	if !testkit.Eventually(30*time.Second, func() bool { return d.members(t, d.group) == 3 && hec.Unique() > 0 }) {
		t.Fatalf("the group has %d members and HEC %d events after 30s, want 3 delivering", d.members(t, d.group), hec.Unique())
	}
	for i, p := range procs {
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		if p.Exited() {
			t.Fatalf("forwarder %d exited before its kill: %v; stderr:\n%s", i, p.Err(), testkit.Tail(p.Stderr(), 4096))
		}
		p.Kill()
		if hec.Unique() >= len(d.ids) {
			t.Fatalf("kill -9 #%d came after the end of the stream: the test would prove nothing", i+1)
		}
		d.checkCommittedDelivered(t, d.group, recs, hecSeen(hec))
		t.Logf("kill -9 #%d: %d of %d events indexed, committed %v", i+1, hec.Unique(), len(d.ids), d.committed(t, d.group))
	}
	hec.Slow(0)
	forwardUntil(t, d, env, recs, func() bool { return hec.Unique() == len(d.ids) })
	checkAllDelivered(t, d.ids, hecSeen(hec))
	t.Logf("after 3 kills mid-stream: %d events indexed for %d distinct, %d duplicates", hec.Count(), hec.Unique(), hec.Duplicates())
}

// A wrong token: forward exits non-zero naming the authentication
// problem, never prints the token, and commits nothing.
func TestSplunkWrongTokenStopsLoudlyWithoutCommitting(t *testing.T) {
	t.Parallel()
	d, hec := newSplunk(t, 500, sinktest.HECOptions{})
	const wrong = "wrong-token-7f3e9a2c-secret"
	env := splunkEnv(d, hec, map[string]string{"SPLUNK_HEC_TOKEN": wrong})
	code, stdout, stderr := testkit.Run(t, forwardBin, env, "run")
	if code == 0 {
		t.Fatalf("forward run with a wrong token exited 0; stderr:\n%s", stderr)
	}
	if !strings.Contains(strings.ToLower(stderr), "authentication") {
		t.Errorf("stderr does not name the authentication problem:\n%s", testkit.Tail(stderr, 2048))
	}
	if strings.Contains(stdout+stderr, wrong) {
		t.Errorf("the token appears in the output:\n%s\n%s", stdout, stderr)
	}
	if got := d.committed(t, d.group); len(got) > 0 {
		t.Errorf("group %s committed %v after the token was refused, want nothing", d.group, got)
	}
	if hec.Count() != 0 {
		t.Errorf("HEC indexed %d events with a wrong token", hec.Count())
	}
}

// scrape GETs path on the metrics listener the process logged, and fails
// the test unless it answers 200.
func scrape(t *testing.T, p *proc, path string) string {
	t.Helper()
	addr := p.MetricsAddr()
	// A listener that accepts but never answers must fail the test, not hang it.
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	return string(b)
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// health reads the delivery status on /healthz.
func health(t *testing.T, p *proc) forwarder.StatusReport {
	t.Helper()
	var h struct {
		OK      bool                   `json:"ok"`
		Details forwarder.StatusReport `json:"details"`
	}
	if err := json.Unmarshal([]byte(scrape(t, p, "/healthz")), &h); err != nil || !h.OK {
		t.Fatalf("/healthz: ok %v, %v", h.OK, err)
	}
	return h.Details
}

// With SPLUNK_HEC_ACK=true, an indexer that loses the acknowledgements of
// the 2nd and 9th requests and 1 % of the others costs re-sends, not the
// stream: while a lost ack is awaited, far more batches than the senders
// are sent, and every event is delivered and committed.
func TestSplunkLostAcksDoNotHoldTheStream(t *testing.T) {
	t.Parallel()
	const batch, senders = 50, 2
	d, hec := newSplunk(t, 3000, sinktest.HECOptions{RequireAck: true,
		LoseAcks: []int{2, 9}, LoseAckFraction: 0.01, Seed: 5})
	env := splunkEnv(d, hec, map[string]string{"SPLUNK_HEC_ACK": "true", "SPLUNK_HEC_ACK_TIMEOUT": "2s",
		"FORWARD_BATCH_SIZE": strconv.Itoa(batch), "FORWARD_SENDERS": strconv.Itoa(senders)})
	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return hec.Unique() == len(d.ids) })
	checkAllDelivered(t, d.ids, hecSeen(hec))
	t.Logf("%d requests, %d acks lost, %d duplicates", hec.Requests(), hec.LostAcks(), hec.Duplicates())
	if hec.LostAcks() < 2 {
		t.Fatalf("%d acks lost, want at least the 2nd and 9th requests'", hec.LostAcks())
	}
	if gap, limit := hec.WidestResendGap(), 4*senders*batch; gap <= limit {
		t.Errorf("at most %d events were indexed while a lost ack was awaited, want more than %d: batches waited behind it", gap, limit)
	}
}

// An acknowledgement lost with SPLUNK_HEC_ACK_TIMEOUT at its default (2m):
// every later batch is still sent, nothing past the unconfirmed batch is
// committed, SIGTERM exits within FORWARD_SHUTDOWN_GRACE instead of
// waiting for the timeout, and a restart delivers and commits the rest.
func TestSplunkSIGTERMWhileAnAckIsLost(t *testing.T) {
	t.Parallel()
	d, hec := newSplunk(t, 2000, sinktest.HECOptions{RequireAck: true, LoseAcks: []int{3}})
	recs := d.records(t)
	env := splunkEnv(d, hec, map[string]string{"SPLUNK_HEC_ACK": "true", "FORWARD_BATCH_SIZE": "100", "FORWARD_SHUTDOWN_GRACE": "2s"})
	p := startForward(t, env, "run")
	if !testkit.Eventually(30*time.Second, func() bool { return hec.Unique() == len(d.ids) }) {
		t.Fatalf("HEC indexed %d of %d events in 30s while one ack was lost; stderr:\n%s", hec.Unique(), len(d.ids), testkit.Tail(p.Stderr(), 4096))
	}
	p.Signal(syscall.SIGTERM)
	start := time.Now()
	if code := p.Wait(2*time.Second + 10*time.Second); code != 0 {
		t.Fatalf("forward exited %d after SIGTERM, want 0; stderr:\n%s", code, testkit.Tail(p.Stderr(), 4096))
	}
	t.Logf("exited %v after SIGTERM (grace 2s, ack timeout 2m)", time.Since(start).Round(time.Millisecond))
	if covered := d.checkCommittedDelivered(t, d.group, recs, hecSeen(hec)); covered >= len(recs) {
		t.Errorf("the commits cover all %d records, the unconfirmed batch's included", len(recs))
	}
	forwardUntil(t, d, env, recs, func() bool { return true })
	checkAllDelivered(t, d.ids, hecSeen(hec))
}
