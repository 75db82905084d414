package sinks

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/rs/zerolog"
)

// HECConfig configures a Splunk HTTP Event Collector sink.
type HECConfig struct {
	// URL is the collector's base URL (https://splunk:8088); a URL already
	// ending in /services/collector or /services/collector/event is accepted.
	URL string
	// Token is the HEC token, sent as "Authorization: Splunk <token>". It
	// never appears in errors, Results or logs.
	Token string
	// Gzip compresses request bodies (Content-Encoding: gzip).
	Gzip bool
	// GzipLevel is the compression level with Gzip: 1 (the fastest
	// Lempel-Ziv level, the default) to 9, or -2 (Huffman coding only).
	// Level 1 costs the least CPU on both ends for audit JSON: Huffman
	// alone compresses three times faster but to 1.5x instead of 6x, and
	// the receiver then spends more decompressing the larger body.
	GzipLevel int
	// Ack enables indexer acknowledgement: a batch is Delivered only once
	// /services/collector/ack says so; if not within AckTimeout it is Retry.
	Ack bool
	// AckTimeout bounds the wait for an acknowledgement (default 2 minutes).
	AckTimeout time.Duration
	// AckPoll is the first delay between ack polls; it doubles up to 1s
	// (default 50ms).
	AckPoll time.Duration
	// Channel is the X-Splunk-Request-Channel GUID; generated when Ack is
	// set and Channel is empty.
	Channel string
	// TLS is the client TLS configuration; nil verifies against the system
	// roots.
	TLS *tls.Config
	// Timeout bounds each HTTP request (default 30s).
	Timeout time.Duration
	// Logger receives debug events; the zero Logger writes nothing.
	Logger zerolog.Logger
}

// HEC delivers records to Splunk's HTTP Event Collector. It is safe for
// concurrent use. With Ack, Submit returns once HEC accepted a request and
// leaves the acknowledgement to be awaited (Result.Ack), so that more can
// be sent meanwhile; the pending ackIds of all requests are polled together.
type HEC struct {
	cfg      HECConfig
	client   *http.Client
	eventURL string
	ackURL   string
	auth     string
	red      *redactor
	log      zerolog.Logger
	acks     *ackTracker // with Ack
	gzips    *gzipPool   // with Gzip
}

// NewHEC validates cfg and returns a sink. No connection is made until Send.
func NewHEC(cfg HECConfig) (*HEC, error) {
	u, err := parseBaseURL("hec", cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("hec: token is empty")
	}
	cfg.GzipLevel = cmp.Or(cfg.GzipLevel, gzip.BestSpeed)
	if err := CheckGzipLevel(cfg.GzipLevel); err != nil {
		return nil, fmt.Errorf("hec: %w", err)
	}
	// Zero or negative: the default.
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), 30*time.Second)
	cfg.AckTimeout = cmp.Or(max(cfg.AckTimeout, 0), 2*time.Minute)
	cfg.AckPoll = cmp.Or(max(cfg.AckPoll, 0), 50*time.Millisecond)
	if cfg.Ack && cfg.Channel == "" {
		cfg.Channel = newChannel()
	}
	warnPlaintext(cfg.Logger, "hec", u)
	base := strings.TrimRight(u.String(), "/")
	base = strings.TrimSuffix(strings.TrimSuffix(base, "/event"), "/services/collector")
	h := &HEC{
		cfg:      cfg,
		client:   newHTTPClient(cfg.TLS, cfg.Timeout, cfg.Logger, "hec"),
		eventURL: base + "/services/collector/event",
		ackURL:   base + "/services/collector/ack",
		auth:     "Splunk " + cfg.Token,
		red:      newRedactor([]string{cfg.Token}),
		log:      cfg.Logger,
		gzips:    newGzipPool(cfg.GzipLevel),
	}
	h.acks = newAckTracker(h)
	return h, nil
}

// Channel returns the X-Splunk-Request-Channel in use ("" without one).
func (h *HEC) Channel() string { return h.cfg.Channel }

// Send posts records (complete HEC event JSON objects) in one request and
// returns one Result per record. ids are not used by HEC.
//
//   - 200 {"text":"Success","code":0}: all Delivered (with Ack: once
//     acknowledged; Retry when not acknowledged within AckTimeout). No
//     other answer is a delivery.
//   - 400 with a bad-record code (6 invalid data format, 12, 13, …) and
//     invalid-event-number N (0-based): HEC indexed the events before N,
//     so they are Delivered (with Ack too: a refused request gets no
//     ackId); N is Rejected with HEC's reason; the events after N are sent
//     again within this call.
//   - 400 with a bad-record code but no position, and 413: the bad record
//     is found by bisection; a single record so answered is Rejected.
//   - 503 code 9, 429, 5xx, network errors and timeouts: Retry, with the
//     Retry-After delay (at most MaxRetryAfter) when given.
//   - 401/403: ErrAuth (wrapped). Every other answer (a 200 that is not
//     HEC's success, 400 code 7 incorrect index, the data-channel codes
//     10, 11, 14, 404/405 wrong path, a redirect) is ErrMisconfigured
//     (wrapped), as is an unverifiable certificate.
func (h *HEC) Send(ctx context.Context, records [][]byte, ids []string) ([]Result, error) {
	res, err := h.Submit(ctx, records, ids)
	if err != nil {
		return nil, err
	}
	if err := awaitAcks(ctx, res, h.cfg.AckTimeout); err != nil {
		return nil, err
	}
	return res, nil
}

// Submit is Send without waiting for indexer acknowledgements: with Ack,
// the records HEC accepted are Delivered with Result.Ack set, to be awaited
// by the caller (Ack.Wait), so that the caller can send more meanwhile.
// The acknowledgements of every pending request are polled together.
func (h *HEC) Submit(ctx context.Context, records [][]byte, _ []string) ([]Result, error) {
	res := make([]Result, len(records))
	if len(records) == 0 {
		return res, nil
	}
	if err := h.send(ctx, records, res); err != nil {
		return nil, err
	}
	return res, nil
}

// hecReply is HEC's JSON answer.
type hecReply struct {
	Text    string `json:"text"`
	Code    *int   `json:"code"` // nil: not HEC's JSON
	Invalid *int   `json:"invalid-event-number"`
	AckID   *int64 `json:"ackId"`
}

func (h *HEC) send(ctx context.Context, recs [][]byte, res []Result) error {
	answered := func() {}
	if h.cfg.Ack {
		// Ack answers are held while this request may hold an ackId
		// not known here yet (ackTracker).
		answered = h.acks.begin()
	}
	defer answered()
	ans, err := h.post(ctx, recs)
	if err != nil {
		return transportFailed(ctx, "hec", h.red, err, res)
	}
	var rep hecReply
	_ = json.Unmarshal(ans.body, &rep) // a proxy's non-JSON answer leaves rep.Code nil
	reason := hecReason(ans, rep)
	switch hecOutcome(ans, rep) {
	case Delivered:
		return h.delivered(ctx, rep, res)
	case Retry:
		fill(res, Result{Outcome: Retry, Reason: reason, RetryAfter: ans.retryAfter})
		return nil
	case misconfigured:
		return hecMisconfigured(ans, rep, reason)
	}
	// Reject: a bad record, found by its position or by bisection.
	switch {
	case rep.Invalid != nil && *rep.Invalid >= 0 && *rep.Invalid < len(recs):
		n := *rep.Invalid
		fill(res[:n], Result{Outcome: Delivered})
		res[n] = Result{Outcome: Reject, Reason: reason}
		if n+1 == len(recs) {
			return nil
		}
		answered()
		return h.send(ctx, recs[n+1:], res[n+1:])
	case len(recs) == 1:
		res[0] = Result{Outcome: Reject, Reason: reason}
		return nil
	}
	h.log.Debug().Int("records", len(recs)).Str("answer", reason).Msg("hec: bisecting a refused batch")
	answered()
	m := len(recs) / 2
	if err := h.send(ctx, recs[:m], res[:m]); err != nil {
		return err
	}
	return h.send(ctx, recs[m:], res[m:])
}

// delivered handles a 200 answer: Delivered; with Ack, carrying the
// acknowledgement still owed.
func (h *HEC) delivered(_ context.Context, rep hecReply, res []Result) error {
	if !h.cfg.Ack {
		fill(res, Result{Outcome: Delivered})
		return nil
	}
	if rep.AckID == nil {
		return fmt.Errorf("hec: ack requested but the answer has no ackId: indexer acknowledgement is disabled on the token: %w", ErrMisconfigured)
	}
	fill(res, Result{Outcome: Delivered, Ack: h.acks.add(*rep.AckID)})
	return nil
}

// hecMisconfigured returns the error of an answer classified as
// misconfigured, with what to check.
func hecMisconfigured(a answer, rep hecReply, reason string) error {
	switch {
	case isAuthStatus(a.status):
		return fmt.Errorf("%s: %w", reason, ErrAuth) // reason starts with "hec: "
	case rep.Code != nil && (*rep.Code == 10 || *rep.Code == 11 || *rep.Code == 14):
		return fmt.Errorf("%s: check SPLUNK_HEC_ACK against the token's indexer acknowledgement setting: %w", reason, ErrMisconfigured)
	case a.redirect != "":
		return fmt.Errorf("%s: redirects are not followed (the token is sent to the configured host only): %w", reason, ErrMisconfigured)
	}
	return fmt.Errorf("%s: neither a delivery nor a bad record: check that the URL is Splunk HEC's (not a proxy's), the token and the index: %w",
		reason, ErrMisconfigured)
}

// post sends the records, one per line, to the event endpoint. With Gzip
// they are compressed straight from the batch into the request body: no
// uncompressed copy of the batch is made.
func (h *HEC) post(ctx context.Context, recs [][]byte) (answer, error) {
	body := getBuf()
	defer putBuf(body)
	if h.cfg.Gzip {
		if err := h.gzips.compressLines(body, recs); err != nil {
			return answer{}, fmt.Errorf("hec: gzip: %w", err)
		}
	} else {
		for _, r := range recs {
			body.Write(r)
			body.WriteByte('\n')
		}
	}
	return h.request(ctx, h.eventURL, body.Bytes(), h.cfg.Gzip)
}

// request POSTs body, compressed already when gz, to u with HEC's headers.
func (h *HEC) request(ctx context.Context, u string, body []byte, gz bool) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", h.auth)
	req.Header.Set("Content-Type", "application/json")
	if gz {
		req.Header.Set("Content-Encoding", "gzip")
	}
	if h.cfg.Channel != "" {
		req.Header.Set("X-Splunk-Request-Channel", h.cfg.Channel)
	}
	return do(h.client, req, h.red)
}

// hecReason renders an answer for a Result or error: status, HEC text and
// code. It never includes the request, and it is redacted: it never
// contains the token.
func hecReason(a answer, rep hecReply) string {
	s := "hec: " + strconv.Itoa(a.status)
	switch {
	case rep.Text != "" && rep.Code != nil:
		s += " " + rep.Text + " (code " + strconv.Itoa(*rep.Code) + ")"
	case len(a.body) > 0:
		s += " " + a.excerpt()
	default:
		s += " " + http.StatusText(a.status)
	}
	if a.redirect != "" {
		s += " redirect to " + a.redirect
	}
	if rep.Invalid != nil {
		s += " invalid-event-number " + strconv.Itoa(*rep.Invalid)
	}
	return a.red.string(s)
}

// newChannel returns a random (version 4) GUID for X-Splunk-Request-Channel.
func newChannel() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	out := make([]byte, 0, 36)
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out = append(out, '-')
		}
		out = append(out, hex[c>>4], hex[c&0xf])
	}
	return string(out)
}
