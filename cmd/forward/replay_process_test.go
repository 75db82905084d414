package main

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// writeDeadLetters writes one dead letter of this sink per given event,
// the i-th to DLQ partition parts[i], as forward run writes them.
func (d *deployment) writeDeadLetters(t *testing.T, ids []string, parts []int) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(d.brokers), Topic: d.dlq, RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true,
		Balancer: kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { n, _ := strconv.Atoi(string(m.Key)); return n })}
	defer w.Close()
	var msgs []kafka.Message
	for i, id := range ids {
		msgs = append(msgs, kafka.Message{Key: []byte(strconv.Itoa(parts[i])), Value: d.raw[id], Headers: []kafka.Header{
			{Key: record.HeaderEventID, Value: []byte(id)},
			{Key: "dlq.reason", Value: []byte("hec: 400 Incorrect index (code 7)")},
			{Key: "dlq.stage", Value: []byte("forward:splunk")},
			{Key: "dlq.source.topic", Value: []byte(d.topic)},
		}})
	}
	if err := w.WriteMessages(context.Background(), msgs...); err != nil {
		t.Fatalf("write dead letters: %v", err)
	}
}

// A dead-letter topic holding one record in some partitions and none in
// another is replayed whole, within the memory budget as forward run; a
// second replay finds nothing left and exits
// at once saying so, instead of waiting for a new dead letter.
func TestReplayDLQOneRecordPerPartitionThenNothing(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 10)
	dead := d.ids[:2]
	d.writeDeadLetters(t, dead, []int{0, 1}) // partition 2 stays empty
	hec := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken})
	env := splunkEnv(d, hec, nil)

	code, stdout, stderr := testkit.Run(t, forwardBin, env, "replay-dlq")
	if code != 0 {
		t.Fatalf("forward replay-dlq exited %d; stderr:\n%s", code, testkit.Tail(stderr, 4096))
	}
	if want := "replayed 2 dead letters"; !strings.Contains(stdout, want) {
		t.Errorf("replay-dlq printed %q, want a summary with %q", stdout, want)
	}
	checkAllDelivered(t, dead, hecSeen(hec))
	if !strings.Contains(stderr, `"memory budget"`) {
		t.Errorf("replay-dlq logged no memory budget (its batches and fetches are sized by it, Go's soft limit too); stderr:\n%s",
			testkit.Tail(stderr, 4096))
	}

	p := startForward(t, env, "replay-dlq")
	if code := p.Wait(30 * time.Second); code != 0 {
		t.Fatalf("second forward replay-dlq exited %d (or did not exit within 30s); stdout %q; stderr:\n%s",
			code, p.Stdout(), testkit.Tail(p.Stderr(), 4096))
	}
	if want := "nothing to replay"; !strings.Contains(p.Stdout(), want) {
		t.Errorf("second replay-dlq printed %q, want %q", p.Stdout(), want)
	}
	if n := hec.Count(); n != len(dead) {
		t.Errorf("HEC indexed %d events after two replays, want the %d dead letters once", n, len(dead))
	}
}
