package main

// Helpers for the process-level tests: the real forward binary, built once
// in TestMain, run as a subprocess against an in-test kfake broker over TCP
// whose topic holds simulator events, and the strict receivers of
// internal/sinks/sinktest and syslogtest.

import (
	"context"
	"errors"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// forwardBin is the path of the binary built by TestMain.
var forwardBin string

func TestMain(m *testing.M) {
	os.Exit(testkit.BuildAndRun(m, testkit.RunNoLeaks, testkit.Binary{Dir: ".", Path: &forwardBin}))
}

// deployment is one isolated setup: a broker with an events topic full of
// simulator events, and names of its own for the other topics and group.
type deployment struct {
	brokers string
	topic   string
	alerts  string // never created; the tests read the events topic only (FORWARD_ALERTS=false)
	dlq     string
	group   string
	ids     []string          // eventIds of the topic, in production order
	raw     map[string][]byte // eventId -> the record's value
}

// newDeployment starts a broker (with opts) and fills a fresh topic with n
// events.
func newDeployment(t testing.TB, n int, opts ...kfake.Opt) *deployment {
	t.Helper()
	_, brokers := testkit.MustKafka(t, opts...)
	d := &deployment{
		brokers: brokers, topic: testkit.Name("events"), alerts: testkit.Name("alerts"),
		dlq: testkit.Name("dlq"), group: testkit.Name("forward"), raw: map[string][]byte{},
	}
	d.fill(t, n)
	return d
}

// fill writes n simulator events (realistic shapes and sizes) to the topic.
func (d *deployment) fill(t testing.TB, n int) {
	t.Helper()
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: time.Now().UnixNano(), APIKey: "k",
		History: 7 * 24 * time.Hour, HistoryEvents: n, LateFraction: -1})
	if err != nil {
		t.Fatal(err)
	}
	client, err := pigment.New(pigment.Config{BaseURL: testkit.Serve(t, sim.Handler()), APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cursor, since := "", time.Now().Add(-8*24*time.Hour)
	var msgs []kafka.Message
	for {
		page, err := client.FetchPage(ctx, since, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range page.Events {
			msgs = append(msgs, record.Event(d.topic, ev))
			d.ids = append(d.ids, ev.ID)
			d.raw[ev.ID] = ev.Raw
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(msgs) != n || len(d.raw) != n {
		t.Fatalf("simulator gave %d events (%d distinct ids), want %d", len(msgs), len(d.raw), n)
	}
	d.write(t, msgs...)
}

// write produces records to Kafka with acks=all.
func (d *deployment) write(t testing.TB, msgs ...kafka.Message) {
	t.Helper()
	w, err := publish.New(publish.Config{Brokers: []string{d.brokers}, Transport: testkit.Transport(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
}

// env is the environment of a forward process on this deployment, with
// overrides applied (an empty value removes the variable).
func (d *deployment) env(sink string, overrides map[string]string) testkit.Env {
	return testkit.Env{
		"SINK":                   sink,
		"KAFKA_BROKERS":          d.brokers,
		"KAFKA_TOPIC":            d.topic,
		"KAFKA_ALERTS_TOPIC":     d.alerts,
		"FORWARD_ALERTS":         "false",
		"KAFKA_DLQ_TOPIC":        d.dlq,
		"KAFKA_GROUP_ID":         d.group,
		"METRICS_ADDR":           "127.0.0.1:0",
		"LOG_FORMAT":             "json",
		"LOG_LEVEL":              "info",
		"FORWARD_BATCH_SIZE":     "250",
		"FORWARD_BATCH_WAIT":     "50ms",
		"FORWARD_RETRY_MAX":      "1s",
		"FORWARD_SHUTDOWN_GRACE": "3s",
	}.With(overrides)
}

// placed is where one record of the topic is: its eventId and position.
type placed struct {
	id        string
	partition int
	offset    int64
}

// records returns every record of the topic with its position.
func (d *deployment) records(t testing.TB) []placed {
	t.Helper()
	var out []placed
	for _, m := range testkit.ReadAll(t, d.brokers, d.topic) {
		out = append(out, placed{id: testkit.Header(m, record.HeaderEventID), partition: m.Partition, offset: m.Offset})
	}
	if len(out) == 0 {
		t.Fatal("the topic is empty: the test would prove nothing")
	}
	return out
}

// committed returns the group's committed offset (the next record to read)
// of each partition of the topic; partitions without a commit are absent.
func (d *deployment) committed(t testing.TB, group string) map[int]int64 {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(d.brokers), Timeout: 10 * time.Second}
	resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{
		GroupID: group, Topics: map[string][]int{d.topic: {0, 1, 2}}})
	if err != nil {
		t.Fatalf("fetch the offsets of group %s: %v", group, err)
	}
	if errors.Is(resp.Error, kafka.GroupIdNotFound) {
		return map[int]int64{} // the group has not been created yet
	}
	if resp.Error != nil {
		t.Fatalf("fetch the offsets of group %s: %v", group, resp.Error)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[d.topic] {
		if p.Error != nil {
			t.Fatalf("fetch the offset of %s/%d for group %s: %v", d.topic, p.Partition, group, p.Error)
		}
		if p.CommittedOffset >= 0 {
			out[p.Partition] = p.CommittedOffset
		}
	}
	return out
}

// members returns how many members of the group have partitions assigned
// in a stable generation.
func (d *deployment) members(t testing.TB, group string) int {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(d.brokers), Timeout: 10 * time.Second}
	resp, err := c.DescribeGroups(context.Background(), &kafka.DescribeGroupsRequest{GroupIDs: []string{group}})
	if err != nil || len(resp.Groups) != 1 || resp.Groups[0].GroupState != "Stable" {
		return 0
	}
	n := 0
	for _, m := range resp.Groups[0].Members {
		if len(m.MemberAssignments.Topics) > 0 {
			n++
		}
	}
	return n
}

// allCommitted reports whether the group committed the end of every
// partition of the topic.
func (d *deployment) allCommitted(t testing.TB, group string, recs []placed) bool {
	t.Helper()
	end := map[int]int64{}
	for _, r := range recs {
		end[r.partition] = max(end[r.partition], r.offset+1)
	}
	got := d.committed(t, group)
	for p, e := range end {
		if got[p] < e {
			return false
		}
	}
	return true
}

// checkCommittedDelivered fails the test if an offset committed by the
// group covers a record the sink does not have, and returns how many
// records the commits cover.
func (d *deployment) checkCommittedDelivered(t testing.TB, group string, recs []placed, delivered func(id string) bool) int {
	t.Helper()
	got := d.committed(t, group)
	covered := 0
	var missing []placed
	for _, r := range recs {
		if r.offset < got[r.partition] {
			covered++
			if !delivered(r.id) {
				missing = append(missing, r)
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("committed offsets %v cover %d records the sink never confirmed, e.g. %+v", got, len(missing), missing[0])
	}
	return covered
}

// proc is a running forward process.
type proc = testkit.Proc

// startForward starts the binary with exactly env (plus PATH and HOME) and
// args. The process is killed when the test ends, if still running.
func startForward(t testing.TB, env map[string]string, args ...string) *proc {
	t.Helper()
	return testkit.Start(t, forwardBin, env, args...)
}

// forwardUntil runs `forward run` until done holds and the group has
// committed every record, then stops it with SIGTERM (exit 0 expected).
func forwardUntil(t *testing.T, d *deployment, env map[string]string, recs []placed, done func() bool) *proc {
	t.Helper()
	p := startForward(t, env, "run")
	ok := testkit.Eventually(60*time.Second, func() bool {
		return p.Exited() || (done() && d.allCommitted(t, env["KAFKA_GROUP_ID"], recs))
	})
	if p.Exited() {
		t.Fatalf("forward run exited early (%v); stderr:\n%s", p.Err(), testkit.Tail(p.Stderr(), 4096))
	}
	if !ok {
		t.Fatalf("forward run did not deliver and commit everything within a minute; committed %v; stderr:\n%s",
			d.committed(t, env["KAFKA_GROUP_ID"]), testkit.Tail(p.Stderr(), 4096))
	}
	p.Stop()
	return p
}

// missingIDs returns the ids for which seen is false.
func missingIDs(ids []string, seen func(id string) bool) []string {
	var out []string
	for _, id := range ids {
		if !seen(id) {
			out = append(out, id)
		}
	}
	return out
}

// checkAllDelivered fails the test when an id of want was not delivered,
// or when want is empty (the test would prove nothing).
func checkAllDelivered(t testing.TB, want []string, seen func(id string) bool) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no events expected: the test would prove nothing")
	}
	if m := missingIDs(want, seen); len(m) > 0 {
		slices.Sort(m)
		t.Fatalf("%d of %d events never delivered, e.g. %v", len(m), len(want), m[:min(len(m), 3)])
	}
}

// Short names of testkit's helpers, which the archive's tests use.
var (
	eventually = testkit.Eventually
	tail       = testkit.Tail
)

// runForward runs the binary to completion (at most a minute) and returns
// its exit code and output.
func runForward(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return testkit.Run(t, forwardBin, env, args...)
}
