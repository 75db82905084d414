package sinks

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Ack is the indexer acknowledgement HEC owes for one accepted request
// (its ackId). Until Wait reports true, the request's events may still be
// lost by the indexer.
type Ack struct {
	id       int64
	t        *ackTracker
	deadline time.Time
	done     chan struct{} // closed once acked, err or timed out are final
	acked    bool
	err      error
}

// ID returns the ackId HEC gave the request.
func (a *Ack) ID() int64 { return a.id }

// Wait blocks until HEC confirms the request (true), AckTimeout passes
// since it was accepted (false: send its records again), or ctx ends or the
// ack endpoint refuses the credentials (error). It is safe for concurrent
// use: the waiters of one HEC take turns polling /services/collector/ack
// for every pending ackId of the channel in one request, so a lost
// acknowledgement delays only its own request.
func (a *Ack) Wait(ctx context.Context) (bool, error) {
	for {
		select {
		case <-a.done:
			return a.acked, a.err
		default:
		}
		select {
		case <-a.done:
			return a.acked, a.err
		case <-ctx.Done():
			a.t.forget(a)
			return false, ctx.Err()
		case <-a.t.token:
			err := a.t.poll(ctx, a)
			a.t.token <- struct{}{}
			if err != nil {
				a.t.forget(a)
				return false, err
			}
		}
	}
}

// ackTracker holds the ackIds of one channel not yet confirmed. Whoever
// holds token polls for all of them; there is no goroutine of its own.
type ackTracker struct {
	h     *HEC
	token chan struct{}

	mu      sync.Mutex
	pending map[int64]*Ack
}

func newAckTracker(h *HEC) *ackTracker {
	t := &ackTracker{h: h, token: make(chan struct{}, 1), pending: map[int64]*Ack{}}
	t.token <- struct{}{}
	return t
}

// add registers an ackId HEC just gave.
func (t *ackTracker) add(id int64) *Ack {
	a := &Ack{id: id, t: t, deadline: time.Now().Add(t.h.cfg.AckTimeout), done: make(chan struct{})}
	t.mu.Lock()
	t.pending[id] = a
	t.mu.Unlock()
	return a
}

// forget stops polling for a, whose waiter gave up.
func (t *ackTracker) forget(a *Ack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[a.id] == a {
		delete(t.pending, a.id)
	}
}

// settle makes a's fate final; t.mu must be held.
func (t *ackTracker) settle(a *Ack, acked bool, err error) {
	delete(t.pending, a.id)
	a.acked, a.err = acked, err
	close(a.done)
}

// snapshot returns the pending ackIds, sorted, and the earliest deadline.
func (t *ackTracker) snapshot() ([]int64, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := make([]int64, 0, len(t.pending))
	var first time.Time
	for id, a := range t.pending {
		ids = append(ids, id)
		if first.IsZero() || a.deadline.Before(first) {
			first = a.deadline
		}
	}
	slices.Sort(ids)
	return ids, first
}

// poll queries every pending ackId until self is settled, ctx ends (its
// error) or the credentials are refused (the error, given to every waiter).
// The delay between polls starts at AckPoll and doubles, up to a second,
// while no acknowledgement arrives.
func (t *ackTracker) poll(ctx context.Context, self *Ack) error {
	delay := t.h.cfg.AckPoll
	for {
		select {
		case <-self.done:
			return nil
		default:
		}
		ids, first := t.snapshot()
		timer := time.NewTimer(max(min(delay, time.Until(first)), 0))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		acked, err := t.query(ctx, ids)
		if err != nil {
			if ctx.Err() == nil {
				t.failAll(err)
			}
			return err
		}
		if t.record(acked, time.Now()) > 0 {
			delay = t.h.cfg.AckPoll
		} else {
			delay = min(delay*2, time.Second)
		}
	}
}

// record settles the acknowledged ackIds and those past their deadline;
// it returns how many were acknowledged.
func (t *ackTracker) record(acked map[string]bool, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for id, a := range t.pending {
		switch {
		case acked[strconv.FormatInt(id, 10)]:
			t.settle(a, true, nil)
			n++
		case !now.Before(a.deadline):
			t.settle(a, false, nil)
		}
	}
	return n
}

// failAll settles every pending ackId with err.
func (t *ackTracker) failAll(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, a := range t.pending {
		t.settle(a, false, err)
	}
}

// query asks HEC about ids in one request: {"acks":[1,2]} answered
// {"acks":{"1":true,"2":false}} (an ackId reported true is forgotten by
// HEC). A transient failure reads as nothing acknowledged; refused
// credentials or an unverifiable certificate are errors.
func (t *ackTracker) query(ctx context.Context, ids []int64) (map[string]bool, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var body strings.Builder
	body.WriteString(`{"acks":[`)
	for i, id := range ids {
		if i > 0 {
			body.WriteByte(',')
		}
		body.WriteString(strconv.FormatInt(id, 10))
	}
	body.WriteString(`]}`)
	h := t.h
	ans, err := h.request(ctx, h.ackURL+"?channel="+url.QueryEscape(h.cfg.Channel), []byte(body.String()), false)
	switch {
	case err != nil:
		_, err := transportResult(ctx, "hec ack", err)
		return nil, err
	case isAuthStatus(ans.status):
		return nil, fmt.Errorf("hec ack: %s: %w", hecReason(ans, hecReply{}), ErrAuth)
	case ans.status != http.StatusOK:
		h.log.Debug().Str("answer", hecReason(ans, hecReply{})).Msg("hec: ack poll failed; polling again")
		return nil, nil
	}
	var rep struct {
		Acks map[string]bool `json:"acks"`
	}
	_ = json.Unmarshal(ans.body, &rep) // an unreadable answer acknowledges nothing
	return rep.Acks, nil
}

// awaitAcks waits for the acknowledgements of the Delivered results that
// carry one: each stays Delivered (Ack cleared) once acknowledged and
// becomes Retry when its ackId timed out.
func awaitAcks(ctx context.Context, res []Result, timeout time.Duration) error {
	for i := 0; i < len(res); {
		a := res[i].Ack
		j := i + 1
		for j < len(res) && res[j].Ack == a {
			j++
		}
		if a != nil {
			ok, err := a.Wait(ctx)
			if err != nil {
				return err
			}
			r := Result{Outcome: Delivered}
			if !ok {
				r = Result{Outcome: Retry, Reason: "hec: ackId " + strconv.FormatInt(a.id, 10) +
					" not acknowledged within " + timeout.String()}
			}
			fill(res[i:j], r)
		}
		i = j
	}
	return nil
}
