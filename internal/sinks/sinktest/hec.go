package sinktest

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// HECOptions configures a strict HTTP Event Collector.
type HECOptions struct {
	// Token is the accepted HEC token ("Authorization: Splunk <Token>").
	Token string
	// RequireAck makes the token one with indexer acknowledgement: the
	// X-Splunk-Request-Channel header (or ?channel=) is required and each
	// accepted request is answered with an ackId.
	RequireAck bool
	// AckAfter is how many polls of an ackId answer false before true.
	AckAfter int
	// NeverAck answers every ack poll false (acks lost).
	NeverAck bool
	// LoseAcks are the ordinal numbers (1 for the first) of accepted
	// requests whose ackId is never confirmed, as when the indexer
	// restarts and loses its pending acknowledgements; the events were
	// indexed all the same.
	LoseAcks []int
	// LoseAckFraction of the other accepted requests are never confirmed
	// either, chosen at random from Seed (the same requests each run).
	LoseAckFraction float64
	Seed            uint64
	// Indexes, when set, are the indexes the token may write to; an event
	// naming another is refused with code 7 "Incorrect index".
	Indexes []string
	// MaxContentLength, when > 0, refuses larger (decompressed) bodies
	// with 413.
	MaxContentLength int
	// RetryAfter, when set, is sent as Retry-After with Busy and TooMany.
	RetryAfter string
	// TLS serves HTTPS with a self-signed certificate (see TLSConfig).
	TLS bool
}

// HEC is a strict Splunk HTTP Event Collector on /services/collector/event
// (and /services/collector), /services/collector/ack and
// /services/collector/health. It checks the Authorization header (401 code
// 2 when missing, 401 code 3 when not "Splunk <token>", 403 code 4 for a
// wrong token), gzip bodies, that the body is a sequence of JSON objects
// each with a non-blank "event" (400 code 6, 12 or 13 with
// invalid-event-number, the events before it indexed, as HEC does), a
// numeric "time", flat indexed "fields" (400 code 15, see flatFields),
// allowed indexes, and the data channel when
// acknowledgement is on (400 code 10/11; code 14 on /ack without it).
type HEC struct {
	*server
	opts   HECOptions
	faults faults

	mu       sync.Mutex
	events   [][]byte
	seen     map[string]int
	firstAt  map[string]time.Time // eventId -> when it was first indexed
	nextAck  map[string]int64
	acks     map[string]map[int64]int // channel -> ackId -> polls; forgotten once reported true
	accepted int                      // requests answered with an ackId
	ackPolls int
	mostAcks int // most ackIds asked about in one poll
	lost     map[string]map[int64]bool
	held     map[string]map[int64][2]int // channel -> ackId -> its events in events, until acknowledged
	restarts int
	answerIn time.Duration // DelayAnswers
	rng      *rand.Rand
}

// NewHEC starts a strict HEC receiver, closed by t.Cleanup.
func NewHEC(tb testing.TB, o HECOptions) *HEC {
	tb.Helper()
	h := &HEC{opts: o, seen: map[string]int{}, firstAt: map[string]time.Time{}, nextAck: map[string]int64{}, acks: map[string]map[int64]int{},
		lost: map[string]map[int64]bool{}, held: map[string]map[int64][2]int{}, rng: rand.New(rand.NewPCG(o.Seed, 0x4845432d61636b))}
	h.server = newServer(tb, http.HandlerFunc(h.serve), o.TLS)
	return h
}

// Busy answers the next n event requests 503 {"text":"Server is busy","code":9}.
func (h *HEC) Busy(n int) { h.faults.add("busy", n) }

// TooMany answers the next n event requests 429, as a saturated HEC
// (or its load balancer) does.
func (h *HEC) TooMany(n int) { h.faults.add("toomany", n) }

// RestartIndexer restarts the indexer as Splunk does: the pending
// acknowledgements are forgotten, the events of the requests not yet
// acknowledged are lost (they are no longer in Events, Seen or Count), and
// ackIds start again at 0 on every channel, so an ackId the client still
// waits for is given to a new request.
func (h *HEC) RestartIndexer() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.restart()
}

// restart is RestartIndexer; h.mu must be held.
func (h *HEC) restart() {
	drop := map[int]bool{}
	for _, ids := range h.held {
		for _, r := range ids {
			for i := r[0]; i < r[1]; i++ {
				drop[i] = true
			}
		}
	}
	kept := h.events[:0:0]
	for i, raw := range h.events {
		if !drop[i] {
			kept = append(kept, raw)
			continue
		}
		if id := eventID(raw); id != "" {
			if h.seen[id]--; h.seen[id] == 0 {
				delete(h.seen, id)
			}
		}
	}
	h.events = kept
	h.nextAck = map[string]int64{}
	h.acks = map[string]map[int64]int{}
	h.lost = map[string]map[int64]bool{}
	h.held = map[string]map[int64][2]int{}
	h.restarts++
}

// Restarts returns how many times the indexer restarted.
func (h *HEC) Restarts() int {
	return locked(&h.mu, func() int { return h.restarts })
}

// DelayAnswers makes the answers of accepted requests come d late from now
// on: the events are indexed and given their ackId at once, and the ack
// endpoint confirms them meanwhile, before the client knows the ackId.
func (h *HEC) DelayAnswers(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answerIn = d
}

// Events returns a copy of every indexed event object, in arrival order.
func (h *HEC) Events() [][]byte {
	return locked(&h.mu, func() [][]byte { return slices.Clone(h.events) })
}

// Arrived returns when each event (by eventId) was first indexed, for
// freshness measurements.
func (h *HEC) Arrived() map[string]time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.firstAt)
}

// Count returns how many events were indexed (duplicates included).
func (h *HEC) Count() int {
	return locked(&h.mu, func() int { return len(h.events) })
}

// Seen returns how many times an event with this eventId (event.eventId,
// or event.id for alerts) was indexed.
func (h *HEC) Seen(id string) int {
	return locked(&h.mu, func() int { return h.seen[id] })
}

// Unique returns how many distinct eventIds were indexed.
func (h *HEC) Unique() int {
	return locked(&h.mu, func() int { return len(h.seen) })
}

// Duplicates returns how many indexed events repeat an eventId indexed
// before (at-least-once re-deliveries).
func (h *HEC) Duplicates() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	d := 0
	for _, n := range h.seen {
		d += n - 1
	}
	return d
}

// LostAcks returns how many accepted requests will never be acknowledged
// (LoseAcks and LoseAckFraction).
func (h *HEC) LostAcks() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, ids := range h.lost {
		n += len(ids)
	}
	return n
}

// WidestResendGap returns the largest number of events indexed between
// the first and the second arrival of one eventId: how much was sent
// while a re-sent request (its ack lost, say) was being waited for.
func (h *HEC) WidestResendGap() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	first := map[string]int{}
	widest := 0
	for i, raw := range h.events {
		var ev struct {
			Event struct {
				EventID string `json:"eventId"`
			} `json:"event"`
		}
		_ = json.Unmarshal(raw, &ev)
		j, seen := first[ev.Event.EventID]
		switch {
		case ev.Event.EventID == "":
		case !seen:
			first[ev.Event.EventID] = i
		case j >= 0:
			widest = max(widest, i-j-1)
			first[ev.Event.EventID] = -1
		}
	}
	return widest
}

// AckPolls returns how many ack requests were answered, and the most
// ackIds one of them asked about.
func (h *HEC) AckPolls() (polls, most int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ackPolls, h.mostAcks
}

func hecAnswer(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func hecError(w http.ResponseWriter, status int, text string, code int) {
	hecAnswer(w, status, `{"text":"`+text+`","code":`+strconv.Itoa(code)+`}`)
}

func (h *HEC) serve(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if path == "/services/collector/health" {
		hecError(w, http.StatusOK, "HEC is healthy", 17)
		return
	}
	if path != "/services/collector/event" && path != "/services/collector" && path != "/services/collector/ack" {
		hecError(w, http.StatusNotFound, "The requested URL was not found on this server.", 404)
		return
	}
	if r.Method != http.MethodPost {
		hecError(w, http.StatusMethodNotAllowed, "Method Not Allowed", 405)
		return
	}
	if !h.authorized(w, r) {
		return
	}
	channel := r.Header.Get("X-Splunk-Request-Channel")
	if channel == "" {
		channel = r.URL.Query().Get("channel")
	}
	if path == "/services/collector/ack" {
		h.ack(w, r, channel)
		return
	}
	h.arrived()
	body, ok := h.body(w, r)
	if !ok || !h.wait(r.Context()) {
		return
	}
	switch {
	case h.faults.take("busy"):
		h.retryAfter(w)
		hecError(w, http.StatusServiceUnavailable, "Server is busy", 9)
		return
	case h.faults.take("toomany"):
		h.retryAfter(w)
		hecError(w, http.StatusTooManyRequests, "Server is busy", 9)
		return
	}
	if h.opts.RequireAck && channel == "" {
		hecError(w, http.StatusBadRequest, "Data channel is missing", 10)
		return
	}
	if h.opts.RequireAck && !guid.MatchString(channel) {
		hecError(w, http.StatusBadRequest, "Invalid data channel", 11)
		return
	}
	h.index(w, body, channel)
}

var guid = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func (h *HEC) retryAfter(w http.ResponseWriter) {
	if h.opts.RetryAfter != "" {
		w.Header().Set("Retry-After", h.opts.RetryAfter)
	}
}

// authorized checks "Authorization: Splunk <token>" as HEC does.
func (h *HEC) authorized(w http.ResponseWriter, r *http.Request) bool {
	a := r.Header.Get("Authorization")
	switch {
	case a == "":
		hecError(w, http.StatusUnauthorized, "Token is required", 2)
	case !strings.HasPrefix(a, "Splunk "):
		hecError(w, http.StatusUnauthorized, "Invalid authorization", 3)
	case strings.TrimPrefix(a, "Splunk ") != h.opts.Token:
		hecError(w, http.StatusForbidden, "Invalid token", 4)
	default:
		return true
	}
	return false
}

// body reads (and gunzips) the request body.
func (h *HEC) body(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	var rd io.Reader = r.Body
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			hecError(w, http.StatusBadRequest, "Invalid data format", 6)
			return nil, false
		}
		rd = zr
	default:
		hecError(w, http.StatusUnsupportedMediaType, "Unsupported content encoding "+enc, 415)
		return nil, false
	}
	b, err := io.ReadAll(rd)
	if err != nil {
		hecError(w, http.StatusBadRequest, "Invalid data format", 6)
		return nil, false
	}
	if h.opts.MaxContentLength > 0 && len(b) > h.opts.MaxContentLength {
		hecError(w, http.StatusRequestEntityTooLarge, "Content length too large", 413)
		return nil, false
	}
	return b, true
}

// index parses the concatenated events; those before the first invalid
// one are indexed.
func (h *HEC) index(w http.ResponseWriter, body []byte, channel string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	var good [][]byte
	bad, text, code := -1, "", 0
	for i := 0; ; i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			break
		} else if err != nil {
			bad, text, code = i, "Invalid data format", 6
			break
		}
		if text, code = h.check(raw); code != 0 {
			bad = i
			break
		}
		good = append(good, bytes.Clone(raw))
	}
	accepted := h.opts.RequireAck && bad < 0 && len(good) > 0
	id, delay := h.record(good, accepted, channel)
	switch {
	case bad >= 0:
		hecAnswer(w, http.StatusBadRequest, fmt.Sprintf(`{"text":%q,"code":%d,"invalid-event-number":%d}`, text, code, bad))
	case len(good) == 0:
		hecError(w, http.StatusBadRequest, "No data", 5)
	case accepted:
		time.Sleep(delay)
		hecAnswer(w, http.StatusOK, `{"text":"Success","code":0,"ackId":`+strconv.FormatInt(id, 10)+`}`)
	default:
		hecError(w, http.StatusOK, "Success", 0)
	}
}

// check validates one event object; code 0 means valid.
func (h *HEC) check(raw json.RawMessage) (string, int) {
	var ev map[string]json.RawMessage
	if json.Unmarshal(raw, &ev) != nil {
		return "Invalid data format", 6
	}
	e, ok := ev["event"]
	switch {
	case !ok:
		return "Event field is required", 12
	case string(e) == `""` || string(e) == "null":
		return "Event field cannot be blank", 13
	}
	if t, ok := ev["time"]; ok {
		var f float64
		var s string
		if json.Unmarshal(t, &f) != nil && (json.Unmarshal(t, &s) != nil || !numeric(s)) {
			return "Invalid data format", 6
		}
	}
	if f, ok := ev["fields"]; ok && !flatFields(f) {
		return "Error in handling indexed fields", 15
	}
	if ix, ok := ev["index"]; ok && len(h.opts.Indexes) > 0 {
		var s string
		if json.Unmarshal(ix, &s) != nil || !slices.Contains(h.opts.Indexes, s) {
			return "Incorrect index", 7
		}
	}
	return "", 0
}

// flatFields reports whether raw is what HEC indexes as "fields": an
// object whose values are scalars (strings; numbers, booleans and null are
// taken too) or flat arrays of them (a multivalue field). A nested object
// or array is refused with code 15, the whole event with it.
func flatFields(raw json.RawMessage) bool {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return false
	}
	for _, v := range fields {
		var vals []json.RawMessage
		if json.Unmarshal(v, &vals) != nil {
			vals = []json.RawMessage{v}
		}
		for _, x := range vals {
			if c := bytes.TrimLeft(x, " \t\r\n"); len(c) > 0 && (c[0] == '{' || c[0] == '[') {
				return false
			}
		}
	}
	return true
}

func numeric(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// record stores indexed events and counts them by eventId. An accepted
// request (acknowledgement on) is given its ackId; record returns it and
// how long to delay the answer (DelayAnswers).
func (h *HEC) record(evs [][]byte, accepted bool, channel string) (int64, time.Duration) {
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	first := len(h.events)
	for _, raw := range evs {
		h.events = append(h.events, raw)
		if id := eventID(raw); id != "" {
			if h.seen[id] == 0 {
				h.firstAt[id] = now
			}
			h.seen[id]++
		}
	}
	if !accepted {
		return 0, 0
	}
	id := h.nextAck[channel]
	h.nextAck[channel]++
	if h.acks[channel] == nil {
		h.acks[channel] = map[int64]int{}
		h.lost[channel] = map[int64]bool{}
		h.held[channel] = map[int64][2]int{}
	}
	h.acks[channel][id] = 0
	h.held[channel][id] = [2]int{first, len(h.events)}
	h.accepted++
	if slices.Contains(h.opts.LoseAcks, h.accepted) || h.rng.Float64() < h.opts.LoseAckFraction {
		h.lost[channel][id] = true
	}
	return id, h.answerIn
}

// eventID is an indexed event's event.eventId, or event.id for alerts.
func eventID(raw []byte) string {
	var ev struct {
		Event struct {
			EventID string `json:"eventId"`
			ID      string `json:"id"`
		} `json:"event"`
	}
	_ = json.Unmarshal(raw, &ev)
	if ev.Event.EventID != "" {
		return ev.Event.EventID
	}
	return ev.Event.ID
}

// ack answers {"acks":{"<id>":bool}} for the polled ids of the channel.
// As Splunk does, an ackId reported true is forgotten: polled again, it
// is false (unknown).
func (h *HEC) ack(w http.ResponseWriter, r *http.Request, channel string) {
	switch {
	case !h.opts.RequireAck:
		hecError(w, http.StatusBadRequest, "ACK is disabled", 14)
		return
	case channel == "":
		hecError(w, http.StatusBadRequest, "Data channel is missing", 10)
		return
	}
	var req struct {
		Acks []int64 `json:"acks"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Acks == nil {
		hecError(w, http.StatusBadRequest, "Invalid data format", 6)
		return
	}
	out := make(map[string]bool, len(req.Acks))
	h.mu.Lock()
	h.ackPolls++
	h.mostAcks = max(h.mostAcks, len(req.Acks))
	for _, id := range req.Acks {
		polls, known := h.acks[channel][id]
		ok := known && !h.opts.NeverAck && !h.lost[channel][id] && polls >= h.opts.AckAfter
		out[strconv.FormatInt(id, 10)] = ok
		switch {
		case ok:
			delete(h.acks[channel], id)
			delete(h.held[channel], id)
		case known:
			h.acks[channel][id] = polls + 1
		}
	}
	h.mu.Unlock()
	b, _ := json.Marshal(map[string]any{"acks": out})
	hecAnswer(w, http.StatusOK, string(b))
}
