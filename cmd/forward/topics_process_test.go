package main

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// On a cluster that does not create topics on demand, a missing alerts
// topic (before detect first writes) must not stop the events from flowing:
// kafka-go's group would assign nothing at all if forward subscribed to it.
func TestMissingAlertsTopicDoesNotStopTheEvents(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.DefaultNumPartitions(3), kfake.SeedTopics(3, "events-x", "dlq-x"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	d := &deployment{brokers: c.ListenAddrs()[0], topic: "events-x", alerts: "alerts-x", dlq: "dlq-x", group: "g-missing", raw: map[string][]byte{}}
	d.fill(t, 500)
	hec := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken})
	recs := d.records(t)
	p := startForward(t, splunkEnv(d, hec, map[string]string{"FORWARD_ALERTS": "true"}), "run")
	if !testkit.Eventually(30*time.Second, func() bool { return hec.Unique() == 500 && d.allCommitted(t, d.group, recs) }) {
		t.Fatalf("delivered %d of 500 events with the alerts topic missing:\n%s", hec.Unique(), testkit.Tail(p.Stderr(), 3000))
	}
	p.Stop()
}

// A topic that gains partitions while forward runs: records written to a
// new partition are delivered too (the group rebalances onto it).
func TestNewPartitionsAreDelivered(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 200)
	path := filepath.Join(t.TempDir(), "out.ndjson")
	p := startForward(t, d.env("file", map[string]string{"FILE_PATH": path, "FILE_FORMAT": "hec"}), "run")
	if !testkit.Eventually(30*time.Second, func() bool { return len(fileEventIDs(t, path)) == 200 }) {
		t.Fatalf("delivered %d of 200 events before the partitions were added:\n%s", len(fileEventIDs(t, path)), testkit.Tail(p.Stderr(), 3000))
	}

	testkit.AddPartition(t, d.brokers, d.topic, 5, kafka.Message{Value: []byte(
		`{"eventId":"on-a-new-partition","eventType":"UserLoggedIn","eventTimestamp":"2026-11-01T10:00:00Z","actor":{"memberId":"m1"}}`)})
	if !testkit.Eventually(45*time.Second, func() bool { return fileEventIDs(t, path)["on-a-new-partition"] }) {
		t.Fatalf("the record on the new partition 4 was not delivered within 45s:\n%s", testkit.Tail(p.Stderr(), 3000))
	}
	p.Stop()
}
