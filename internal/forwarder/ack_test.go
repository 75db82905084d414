package forwarder_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/transform"
)

const ackToken = "ack-token-0c41"

// hecFormat renders records as HEC events, as forward run does.
func hecFormat(dst []byte, ev *event.Event) []byte {
	return transform.AppendHEC(dst, ev, transform.HECOptions{Host: "h"})
}

// hecWithAcks returns a strict HEC with indexer acknowledgement on (opts
// say which acks it loses) and an HEC sink with Ack to it, polling every
// 10ms.
func hecWithAcks(t *testing.T, opts sinktest.HECOptions, ackTimeout time.Duration) (*sinktest.HEC, *sinks.HEC) {
	t.Helper()
	opts.Token, opts.RequireAck = ackToken, true
	hec := sinktest.NewHEC(t, opts)
	sink, err := sinks.NewHEC(sinks.HECConfig{URL: hec.URL(), Token: ackToken, Ack: true,
		AckTimeout: ackTimeout, AckPoll: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return hec, sink
}

// wantEveryEvent fails unless all n offsets were committed and every event
// was indexed: none lost, whether its ack or its indexing was (it was sent
// again).
func wantEveryEvent(t *testing.T, s setup, hec *sinktest.HEC, n int) {
	t.Helper()
	if got := s.committed(t); got != n {
		t.Fatalf("%d offsets committed, want %d", got, n)
	}
	for _, id := range s.ids {
		if hec.Seen(id) == 0 {
			t.Fatalf("event %s lost: never indexed, or lost in a restart and never sent again", id)
		}
	}
}

// An indexer that loses the acknowledgements of the 2nd and 9th requests
// and of 1 % of the others (it restarted) costs re-sends, not the stream:
// while a lost ack is awaited, later batches keep being sent (far more than
// the senders could hold), every event arrives (the re-sent ones twice, with
// the same eventId), every offset is committed, and each re-sent record is
// counted.
func TestLostAcksAreResentWithoutHoldingTheStream(t *testing.T) {
	t.Parallel()
	const n, batch, senders = 4000, 50, 2
	s := newSetup(t, n)
	hec, sink := hecWithAcks(t, sinktest.HECOptions{LoseAcks: []int{2, 9}, LoseAckFraction: 0.01, Seed: 11}, 2*time.Second)
	reg := prometheus.NewRegistry()
	metrics := forwarder.NewMetrics(reg)
	s.senders = senders
	s.format = hecFormat
	s.tune = func(c *forwarder.Config) {
		c.Sink, c.BatchSize, c.AckPendingBytes, c.Metrics = "splunk", batch, 64<<20, metrics
	}
	start := time.Now()
	if err := s.forward(t, sink, n); err != nil {
		t.Fatalf("Run = %v", err)
	}
	t.Logf("%d events in %v; %d requests, %d acks lost, %d duplicates", n, time.Since(start).Round(time.Millisecond),
		hec.Requests(), hec.LostAcks(), hec.Duplicates())
	wantEveryEvent(t, s, hec, n)
	if hec.LostAcks() < 2 {
		t.Fatalf("%d acks lost, want at least the 2nd and 9th requests'", hec.LostAcks())
	}
	// Between an event's first arrival (its ack then lost) and its re-send,
	// a forwarder that holds a sender per pending ack indexes at most its
	// other senders' batches: fewer than (senders+1) batches.
	if gap, limit := hec.WidestResendGap(), 4*senders*batch; gap <= limit {
		t.Errorf("at most %d events were indexed while a lost ack was awaited, want more than %d: batches waited behind it", gap, limit)
	}
	dups := hec.Duplicates()
	if got := int(counter(t, reg, "pigment_forward_ack_resent_total")); got != dups || got < 2*batch {
		t.Errorf("pigment_forward_ack_resent_total = %d, want the %d duplicates HEC indexed (at least two batches)", got, dups)
	}
}

// counter returns the value of a counter of reg (summed over its labels).
func counter(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() == name {
			for _, m := range mf.GetMetric() {
				sum += m.GetCounter().GetValue()
			}
		}
	}
	return sum
}

// A batch confirmed while an earlier one's acknowledgement is lost keeps
// only its offsets until its commit: the byte bound covers batches not yet
// confirmed, so a small one still lets the stream run far past the lost
// ack instead of filling up behind it.
func TestConfirmedBatchesDoNotHoldTheByteBound(t *testing.T) {
	t.Parallel()
	const n, batch = 4000, 50
	s := newSetup(t, n)
	hec, sink := hecWithAcks(t, sinktest.HECOptions{LoseAcks: []int{2}}, 2*time.Second)
	s.senders = 2
	s.format = hecFormat
	const bound = 128 << 10 // a few batches of 50 (~40 KB each)
	s.tune = func(c *forwarder.Config) { c.Sink, c.BatchSize, c.AckPendingBytes = "splunk", batch, bound }
	if err := s.forward(t, sink, n); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if got := s.committed(t); got != n {
		t.Fatalf("%d offsets committed, want %d", got, n)
	}
	if gap := hec.WidestResendGap(); gap <= 20*batch {
		t.Errorf("%d events were indexed while the lost ack was awaited, want more than %d: confirmed batches held the byte bound", gap, 20*batch)
	}
}

// An indexer that restarts loses the events it has not acknowledged yet
// and gives their ackIds to new requests: every event still arrives (the
// lost ones sent again), every offset is committed, and no batch waits for
// a reused ackId past the ack timeout.
func TestIndexerRestartsReusingAckIDsLoseNothing(t *testing.T) {
	t.Parallel()
	const n, batch, timeout, restarts = 4000, 50, time.Second, 5
	s := newSetup(t, n)
	hec, sink := hecWithAcks(t, sinktest.HECOptions{AckAfter: 1}, timeout)
	s.senders = 2
	s.format = hecFormat
	s.tune = func(c *forwarder.Config) { c.Sink, c.BatchSize, c.AckPendingBytes = "splunk", batch, 64<<20 }
	// Answers take 20ms, so the 80 requests of two senders last at least
	// 800ms however fast the machine: room for the restarts below.
	hec.DelayAnswers(20 * time.Millisecond)
	// The indexer restarts every 100ms once the first requests are in,
	// until it has restarted five times.
	stop := make(chan struct{})
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		for hec.Requests() < 3 {
			time.Sleep(time.Millisecond)
		}
		for range restarts {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			hec.RestartIndexer()
		}
	}()
	start := time.Now()
	err := s.forward(t, sink, n)
	took := time.Since(start)
	close(stop)
	<-restarted
	if err != nil {
		t.Fatalf("Run = %v; %d committed", err, s.committed(t))
	}
	t.Logf("%d events in %v; %d requests, %d restarts, %d duplicates", n, took.Round(time.Millisecond),
		hec.Requests(), hec.Restarts(), hec.Duplicates())
	wantEveryEvent(t, s, hec, n)
	if hec.Restarts() < 2 {
		t.Fatalf("%d indexer restarts while forwarding, want at least 2", hec.Restarts())
	}
	// The acks a restart forgot (not given again) time out together: each
	// restart costs at most one ack timeout, and nothing waits longer (a
	// margin for a loaded machine; a batch held by a reused ackId used to
	// hold the stream for good).
	if limit := time.Duration(hec.Restarts()+5) * timeout; took > limit {
		t.Errorf("forwarding took %v, want under %v: a batch waited past the ack timeout", took, limit)
	}
}
