package sinks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
)

// Requests accepted one after the other are acknowledged through one
// shared poll: every pending ackId of the channel in each ack request. A
// lost acknowledgement (the 2nd request's) times out alone; the others are
// confirmed meanwhile, and none is polled again once confirmed.
func TestHECSubmitPollsPendingAcksTogether(t *testing.T) {
	t.Parallel()
	const n = 6
	rcv := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken, RequireAck: true, AckAfter: 1, LoseAcks: []int{2}})
	h := mustHEC(t, sinks.HECConfig{URL: rcv.URL(), Ack: true, AckPoll: 5 * time.Millisecond, AckTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	acks := make([]*sinks.Ack, n)
	for i := range acks {
		res, err := h.Submit(ctx, hecEvents(3), ids(3))
		if err != nil {
			t.Fatal(err)
		}
		if got := outcomes(res); got != "DDD" || res[0].Ack == nil || res[2].Ack != res[0].Ack {
			t.Fatalf("Submit %d = %s (ack %v), want DDD sharing one ack", i, got, res[0].Ack)
		}
		acks[i] = res[0].Ack
	}
	got := make([]bool, n)
	var wg sync.WaitGroup
	for i, a := range acks {
		wg.Go(func() {
			ok, err := a.Wait(ctx)
			if err != nil {
				t.Errorf("Wait(ack %d) = %v", a.ID(), err)
			}
			got[i] = ok
		})
	}
	wg.Wait()
	for i, ok := range got {
		if want := i != 1; ok != want {
			t.Errorf("request %d acknowledged = %v, want %v", i+1, ok, want)
		}
	}
	if polls, most := rcv.AckPolls(); most < n {
		t.Errorf("%d ack polls, at most %d ackIds in one; want all %d pending ones polled together", polls, most, n)
	}
}

// submitOne sends three events and returns the acknowledgement they owe.
func submitOne(tb testing.TB, h *sinks.HEC) *sinks.Ack {
	tb.Helper()
	res, err := h.Submit(context.Background(), hecEvents(3), ids(3))
	if err != nil {
		tb.Fatal(err)
	}
	if res[0].Ack == nil {
		tb.Fatalf("Submit = %s with no ack", outcomes(res))
	}
	return res[0].Ack
}

// An indexer that restarts forgets the pending acknowledgements, loses
// their events and gives their ackIds to new requests. The older request
// holding a reused ackId is not acknowledged (its records are sent again)
// at once, and the newer one is acknowledged on its own; neither waits
// past AckTimeout, and nothing spins.
func TestHECReusedAckIDSendsTheOlderRequestAgain(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken, RequireAck: true, AckAfter: 1})
	const timeout = 300 * time.Millisecond
	h := mustHEC(t, sinks.HECConfig{URL: rcv.URL(), Ack: true, AckPoll: 5 * time.Millisecond, AckTimeout: timeout})
	old := submitOne(t, h)
	rcv.RestartIndexer()
	renewed := submitOne(t, h)
	if old.ID() != renewed.ID() {
		t.Fatalf("ackIds %d and %d, want the restarted indexer to reuse %d", old.ID(), renewed.ID(), old.ID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if ok, err := old.Wait(ctx); ok || err != nil {
		t.Errorf("Wait(older ack %d) = %v, %v, want false (send again), nil", old.ID(), ok, err)
	}
	if ok, err := renewed.Wait(ctx); !ok || err != nil {
		t.Errorf("Wait(newer ack %d) = %v, %v, want true, nil", renewed.ID(), ok, err)
	}
	if took := time.Since(start); took > 2*timeout {
		t.Errorf("waits took %v, want at most the ack timeout %v", took, timeout)
	}
	if polls, _ := rcv.AckPolls(); polls == 0 || polls > 50 {
		t.Errorf("%d ack polls, want a few (the newer ack polled, without spinning)", polls)
	}
}

// A request HEC accepted but answered late gets its ackId after an ack
// poll may already have reported that ackId true: after a restart, the
// answer is then the new request's, not the older request still pending
// under the same ackId. The older one must not be taken as acknowledged:
// its events died in the restart.
func TestHECAckOfARequestInFlightIsNotCreditedToAnOlderOne(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken, RequireAck: true})
	h := mustHEC(t, sinks.HECConfig{URL: rcv.URL(), Ack: true, AckPoll: 5 * time.Millisecond, AckTimeout: time.Second})
	old := submitOne(t, h)
	rcv.RestartIndexer()
	rcv.DelayAnswers(300 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type waited struct {
		ok  bool
		err error
	}
	oldDone := make(chan waited, 1)
	go func() {
		ok, err := old.Wait(ctx)
		oldDone <- waited{ok, err}
	}()
	renewed := submitOne(t, h) // answered 300ms late, polled meanwhile
	if renewed.ID() != old.ID() {
		t.Fatalf("ackIds %d and %d, want the restarted indexer to reuse %d", old.ID(), renewed.ID(), old.ID())
	}
	if got := <-oldDone; got.ok || got.err != nil {
		t.Errorf("Wait(older ack %d) = %v, %v, want false (its events were lost in the restart), nil", old.ID(), got.ok, got.err)
	}
	if _, err := renewed.Wait(ctx); err != nil {
		t.Errorf("Wait(newer ack %d) = %v", renewed.ID(), err)
	}
	if polls, _ := rcv.AckPolls(); polls == 0 {
		t.Errorf("no ack poll while the newer request was answered late; the test proves nothing")
	}
}
