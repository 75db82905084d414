package main

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
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
	if !eventually(30*time.Second, func() bool { return hec.Unique() == 500 && d.allCommitted(t, d.group, recs) }) {
		t.Fatalf("delivered %d of 500 events with the alerts topic missing:\n%s", hec.Unique(), tail(p.Stderr(), 3000))
	}
	p.Stop()
}
