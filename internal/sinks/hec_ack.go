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
// ack endpoint refuses the credentials (error). It is also false, at once,
// when HEC gives the same ackId to a newer request on the channel (an
// indexer restarted, or another node behind a load balancer answered):
// HEC can no longer tell the two apart, so the older one is sent again.
// It is safe for concurrent use: the waiters of one HEC take turns polling
// /services/collector/ack for every pending ackId of the channel in one
// request, so a lost acknowledgement delays only its own request.
func (a *Ack) Wait(ctx context.Context) (bool, error) {
	expiry := time.NewTimer(time.Until(a.deadline))
	defer expiry.Stop()
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
		case <-expiry.C:
			a.t.expire(a)
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
//
// An ack answer is credited only to the request that held the ackId when
// HEC answered. A request still in flight may already hold, at HEC, an
// ackId that this side still files under an older request (HEC restarted
// and reuses ackIds): an answer that comes while requests are in flight is
// held until they have their ackIds, and dropped for an ackId one of them
// took (both requests are then sent again once their ack times out).
type ackTracker struct {
	h     *HEC
	token chan struct{}

	mu       sync.Mutex
	pending  map[int64]*Ack
	posts    map[uint64]struct{} // event requests in flight, by number
	nextPost uint64
	held     []heldAcks
}

// heldAcks are acknowledgements HEC reported while the requests numbered
// below upTo were in flight.
type heldAcks struct {
	upTo uint64
	acks []*Ack
}

func newAckTracker(h *HEC) *ackTracker {
	t := &ackTracker{h: h, token: make(chan struct{}, 1), pending: map[int64]*Ack{}, posts: map[uint64]struct{}{}}
	t.token <- struct{}{}
	return t
}

// begin registers an event request about to be sent; the function it
// returns (idempotent) is called once its answer is handled, after add
// for an accepted one.
func (t *ackTracker) begin() func() {
	t.mu.Lock()
	n := t.nextPost
	t.nextPost++
	t.posts[n] = struct{}{}
	t.mu.Unlock()
	return sync.OnceFunc(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.posts, n)
		t.release()
	})
}

// release credits the held acknowledgements whose requests in flight have
// all been answered, to the Acks that still hold their ackIds; t.mu must
// be held.
func (t *ackTracker) release() {
	oldest := t.nextPost
	for n := range t.posts {
		oldest = min(oldest, n)
	}
	kept := t.held[:0]
	for _, h := range t.held {
		if h.upTo > oldest {
			kept = append(kept, h)
			continue
		}
		for _, a := range h.acks {
			if t.pending[a.id] == a {
				t.settle(a, true, nil)
			}
		}
	}
	clear(t.held[len(kept):])
	t.held = kept
}

// add registers an ackId HEC just gave. An older request still waiting
// under the same ackId is settled as not acknowledged: it is sent again.
func (t *ackTracker) add(id int64) *Ack {
	a := &Ack{id: id, t: t, deadline: time.Now().Add(t.h.cfg.AckTimeout), done: make(chan struct{})}
	t.mu.Lock()
	defer t.mu.Unlock()
	if old := t.pending[id]; old != nil {
		t.h.log.Warn().Int64("ack_id", id).Str("channel", t.h.cfg.Channel).
			Msg("hec: ackId given again (indexer restarted, or another node answered); sending the older request again")
		t.settle(old, false, nil)
	}
	t.pending[id] = a
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

// expire settles a as not acknowledged if it is still open: its deadline
// passed.
func (t *ackTracker) expire(a *Ack) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.settle(a, false, nil)
}

// settle makes a's fate final, unless it already is; t.mu must be held.
func (t *ackTracker) settle(a *Ack, acked bool, err error) {
	if t.pending[a.id] == a {
		delete(t.pending, a.id)
	}
	select {
	case <-a.done:
		return
	default:
	}
	a.acked, a.err = acked, err
	close(a.done)
}

// snapshot returns the pending ackIds, sorted, the Ack each stands for,
// and the earliest deadline. self, when no longer filed under its ackId,
// is settled as not acknowledged (sent again) rather than waited for.
func (t *ackTracker) snapshot(self *Ack) ([]int64, map[int64]*Ack, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pending[self.id] != self {
		t.settle(self, false, nil)
	}
	ids := make([]int64, 0, len(t.pending))
	acks := make(map[int64]*Ack, len(t.pending))
	var first time.Time
	for id, a := range t.pending {
		ids = append(ids, id)
		acks[id] = a
		if first.IsZero() || a.deadline.Before(first) {
			first = a.deadline
		}
	}
	slices.Sort(ids)
	return ids, acks, first
}

// poll queries every pending ackId until self is settled, ctx ends (its
// error) or the credentials are refused (the error, given to every waiter).
// The delay between polls starts at AckPoll and doubles, up to a second,
// while no acknowledgement arrives; it never exceeds the time left to the
// earliest deadline.
func (t *ackTracker) poll(ctx context.Context, self *Ack) error {
	delay := t.h.cfg.AckPoll
	for {
		ids, acks, first := t.snapshot(self)
		select {
		case <-self.done:
			return nil
		default:
		}
		timer := time.NewTimer(max(min(delay, time.Until(first)), 0)) // first is set: self is pending
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-self.done:
			timer.Stop()
			return nil
		case <-timer.C:
		}
		acked, err := t.query(ctx, ids)
		if err != nil {
			if ctx.Err() == nil {
				t.failAll(err)
			}
			return err
		}
		if t.record(acked, acks, time.Now()) > 0 {
			delay = t.h.cfg.AckPoll
		} else {
			delay = min(delay*2, time.Second)
		}
	}
}

// record settles the acknowledged ackIds of a poll that asked about acks,
// and those past their deadline; it returns how many were acknowledged.
// An ackId acknowledged is credited only to the Ack it was asked for, and
// only once the requests in flight have their ackIds (see ackTracker).
func (t *ackTracker) record(acked map[string]bool, acks map[int64]*Ack, now time.Time) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	var confirmed []*Ack
	for id, a := range acks {
		if acked[strconv.FormatInt(id, 10)] && t.pending[id] == a {
			confirmed = append(confirmed, a)
		}
	}
	if len(t.posts) > 0 && len(confirmed) > 0 {
		t.held = append(t.held, heldAcks{upTo: t.nextPost, acks: confirmed})
	} else {
		for _, a := range confirmed {
			t.settle(a, true, nil)
		}
	}
	for _, a := range t.pending {
		if !now.Before(a.deadline) {
			t.settle(a, false, nil)
		}
	}
	return len(confirmed)
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
