package detector

import (
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"
)

// fakeClock is a settable clock for progress.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// caughtUp returns the progress of a leader that has processed everything
// of a two-partition topic on a broker over TCP, with a settable clock.
func caughtUp(t *testing.T) (*kfake.Cluster, *progress, *fakeClock) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "events"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	clock := &fakeClock{t: time.Now()}
	p := newProgress("events")
	p.now = clock.now
	p.term(&kafka.Client{Addr: kafka.TCP(c.ListenAddrs()...), Timeout: time.Second},
		[]kafka.Partition{{ID: 0}, {ID: 1}}, map[int]int64{0: 0, 1: 0})
	return c, p, clock
}

// TestHealthWhenTheBrokersBecomeUnreachable: a caught-up detector whose
// brokers stop answering must not stay healthy on the end offsets it read
// before: once they are older than DETECT_STUCK_AFTER, the topic's end is
// unknown and, with nothing processed meanwhile, the leader is stuck.
func TestHealthWhenTheBrokersBecomeUnreachable(t *testing.T) {
	t.Parallel()
	c, p, clock := caughtUp(t)
	const stuckAfter = time.Minute
	if ok, d := p.check(stuckAfter); !ok || d["behind"] != int64(0) {
		t.Fatalf("check with the brokers up = %v %v, want ok and 0 behind", ok, d)
	}
	c.Close()
	clock.add(2 * stuckAfter)
	if ok, d := p.check(stuckAfter); ok {
		t.Errorf("check %s after the brokers went away = ok %v, want not ok", 2*stuckAfter, d)
	}
}

// TestHealthWhenAlertsAreNotProduced: alerts saved in the outbox but not yet
// produced (a flush hanging on Kafka) are work not done: past
// DETECT_STUCK_AFTER the leader is stuck even though the state was saved.
func TestHealthWhenAlertsAreNotProduced(t *testing.T) {
	t.Parallel()
	_, p, clock := caughtUp(t)
	if ok, d := p.check(time.Minute); !ok {
		t.Fatalf("check when caught up = not ok %v, want ok", d)
	}
	p.unflushed()
	clock.add(2 * time.Minute)
	if ok, d := p.check(time.Minute); ok {
		t.Errorf("check with alerts unflushed for 2m = ok %v, want not ok", d)
	}
	p.saved()
	if ok, d := p.check(time.Minute); !ok {
		t.Errorf("check after the flush = not ok %v, want ok", d)
	}
}

// TestHealthSurvivesABrokerBlip: an idle leader, caught up, whose brokers
// stop answering for less than DETECT_STUCK_AFTER (a leader election) stays
// healthy on the end offsets it read last; past it, it is stuck.
func TestHealthSurvivesABrokerBlip(t *testing.T) {
	t.Parallel()
	c, p, clock := caughtUp(t)
	const stuckAfter = time.Minute
	clock.add(5 * time.Minute) // a quiet hour: nothing processed, nothing behind
	if ok, d := p.check(stuckAfter); !ok {
		t.Fatalf("check when idle and caught up = not ok %v, want ok", d)
	}
	c.Close()
	clock.add(40 * time.Second)
	if ok, d := p.check(stuckAfter); !ok {
		t.Errorf("check 40s into a broker outage = not ok %v, want ok (less than DETECT_STUCK_AFTER %s)", d, stuckAfter)
	}
	clock.add(time.Minute)
	if ok, d := p.check(stuckAfter); ok {
		t.Errorf("check 100s into a broker outage = ok %v, want not ok", d)
	}
}
