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
