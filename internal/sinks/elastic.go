package sinks

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// DefaultDataStream is where events go unless ElasticConfig.DataStream says
// otherwise; alerts go to logs-pigment.alert-default.
const DefaultDataStream = "logs-pigment.audit-default"

// ElasticConfig configures an Elasticsearch sink.
type ElasticConfig struct {
	// URL is the cluster's base URL (https://es:9200).
	URL string
	// APIKey is the API key in its encoded (base64) form, sent as
	// "Authorization: ApiKey <APIKey>"; an "id:key" pair is encoded for you.
	APIKey string
	// Username and Password are used (basic auth) when APIKey is empty.
	Username, Password string
	// DataStream is the _index of every create action (DefaultDataStream).
	DataStream string
	// TLS is the client TLS configuration; nil verifies against the system
	// roots.
	TLS *tls.Config
	// Timeout bounds each HTTP request (default 30s).
	Timeout time.Duration
	// Logger receives debug events; the zero Logger writes nothing.
	Logger zerolog.Logger
}

// Elastic writes records to a data stream with the _bulk API, one create
// action per record with _id = the record's id, so a re-delivery answers
// 409 and counts as Delivered. It is safe for concurrent use.
type Elastic struct {
	cfg     ElasticConfig
	client  *http.Client
	base    string
	bulkURL string
	auth    string
	red     *redactor
	action  []byte // `{"create":{"_index":"<DataStream>","_id":`
	log     zerolog.Logger
}

// NewElastic validates cfg and returns a sink. No connection is made until
// Send or Setup.
func NewElastic(cfg ElasticConfig) (*Elastic, error) {
	u, err := parseBaseURL("elastic", cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.DataStream == "" {
		cfg.DataStream = DefaultDataStream
	}
	// Zero or negative: the default.
	cfg.Timeout = cmp.Or(max(cfg.Timeout, 0), 30*time.Second)
	var scheme, cred string
	switch {
	case cfg.APIKey != "" && strings.Contains(cfg.APIKey, ":"):
		scheme, cred = "ApiKey ", base64.StdEncoding.EncodeToString([]byte(cfg.APIKey))
	case cfg.APIKey != "":
		scheme, cred = "ApiKey ", cfg.APIKey
	case cfg.Username != "":
		scheme, cred = "Basic ", base64.StdEncoding.EncodeToString([]byte(cfg.Username+":"+cfg.Password))
	default:
		return nil, errors.New("elastic: no credentials: set an API key or a username and password")
	}
	urlPassword, _ := u.User.Password()
	warnPlaintext(cfg.Logger, "elastic", u)
	base := strings.TrimRight(u.String(), "/")
	action := jsonenc.AppendString([]byte(`{"create":{"_index":`), cfg.DataStream)
	return &Elastic{
		cfg:    cfg,
		client: newHTTPClient(cfg.TLS, cfg.Timeout, cfg.Logger, "elastic"),
		base:   base,
		// filter_path keeps the answer to what is read.
		bulkURL: base + "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason",
		auth:    scheme + cred,
		red:     newRedactor([]string{cfg.APIKey, cfg.Password, urlPassword}, cred),
		action:  append(action, `,"_id":`...),
		log:     cfg.Logger,
	}, nil
}

// Send writes records (one ECS document each, ids[i] its _id) with one
// _bulk request and returns one Result per record:
//
//   - item 200/201, and 409 (already there): Delivered;
//   - item 429 and 5xx: Retry (the others are unaffected);
//   - item 401/403/404 or a configuration error type (security_exception,
//     index_not_found_exception, index_closed_exception, …):
//     ErrMisconfigured (wrapped), for the whole batch: nothing is Rejected;
//   - other item 4xx (mapper_parsing_exception, document_parsing_exception):
//     Reject with "type: reason";
//   - whole request 429/5xx, network errors, timeouts: Retry all, after
//     Retry-After (at most MaxRetryAfter) when given;
//   - 413, or a whole-request 400 with an Elasticsearch error: the batch is
//     split in halves until the offending record is alone, and that one is
//     Rejected;
//   - 401/403: ErrAuth (wrapped); any other answer (404, 405, a redirect,
//     400 "no handler found for uri", a 200 that is not a bulk answer):
//     ErrMisconfigured (wrapped).
//
// A record that is not valid JSON is Rejected without being sent.
func (e *Elastic) Send(ctx context.Context, records [][]byte, ids []string) ([]Result, error) {
	if len(ids) != len(records) {
		return nil, fmt.Errorf("elastic: %d records but %d ids", len(records), len(ids))
	}
	res := make([]Result, len(records))
	if !irregular(records) {
		if err := e.send(ctx, records, ids, res); err != nil {
			return nil, err
		}
		return res, nil
	}
	// Documents must be single lines: compact the rare one that is not, and
	// reject what is not JSON at all. The others are sent, in order.
	recs, sub, pos := make([][]byte, 0, len(records)), make([]string, 0, len(ids)), make([]int, 0, len(records))
	for i, r := range records {
		if len(r) == 0 || bytes.IndexByte(r, '\n') >= 0 {
			var c bytes.Buffer
			if err := json.Compact(&c, r); err != nil || c.Len() == 0 {
				res[i] = Result{Outcome: Reject, Reason: "elastic: document is not valid JSON"}
				continue
			}
			r = c.Bytes()
		}
		recs, sub, pos = append(recs, r), append(sub, ids[i]), append(pos, i)
	}
	subRes := make([]Result, len(recs))
	if err := e.send(ctx, recs, sub, subRes); err != nil {
		return nil, err
	}
	for j, p := range pos {
		res[p] = subRes[j]
	}
	return res, nil
}

// irregular reports whether a record is empty or spans lines.
func irregular(records [][]byte) bool {
	for _, r := range records {
		if len(r) == 0 || bytes.IndexByte(r, '\n') >= 0 {
			return true
		}
	}
	return false
}

// bulkReply is the part of a _bulk answer that is read.
type bulkReply struct {
	Errors bool `json:"errors"`
	Items  []map[string]struct {
		Status int `json:"status"`
		Error  *struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
	} `json:"items"`
}

func (e *Elastic) send(ctx context.Context, recs [][]byte, ids []string, res []Result) error {
	if len(recs) == 0 {
		return nil
	}
	ans, err := e.bulk(ctx, recs, ids)
	if err != nil {
		return transportFailed(ctx, "elastic", e.red, err, res)
	}
	switch bulkOutcome(ans) {
	case Delivered:
		return e.items(ans, res)
	case Retry:
		fill(res, Result{Outcome: Retry, Reason: esReason(ans), RetryAfter: ans.retryAfter})
		return nil
	case misconfigured:
		return esMisconfigured(ans, esReason(ans))
	}
	// Reject: a bad record, found by bisection.
	switch {
	case len(recs) == 1:
		res[0] = Result{Outcome: Reject, Reason: esReason(ans)}
		return nil
	}
	e.log.Debug().Int("records", len(recs)).Int("status", ans.status).Msg("elastic: bisecting a refused bulk request")
	m := len(recs) / 2
	if err := e.send(ctx, recs[:m], ids[:m], res[:m]); err != nil {
		return err
	}
	return e.send(ctx, recs[m:], ids[m:], res[m:])
}

// items reads the per-item results of a 200 _bulk answer.
func (e *Elastic) items(ans answer, res []Result) error {
	// Fast path: no item failed and there is one status per action.
	head := ans.body[:min(len(ans.body), 64)]
	if bytes.Contains(head, []byte(`"errors":false`)) && bytes.Count(ans.body, []byte(`"status":`)) == len(res) {
		fill(res, Result{Outcome: Delivered})
		return nil
	}
	var rep bulkReply
	if err := json.Unmarshal(ans.body, &rep); err != nil || len(rep.Items) == 0 {
		// Not a bulk answer: a proxy's page, another service, a truncation.
		reason := esReason(ans) + ": not a bulk answer with items"
		if bulkBodyOutcome(ans.body) == misconfigured {
			return esMisconfigured(ans, reason)
		}
		fill(res, Result{Outcome: Retry, Reason: reason})
		return nil
	}
	if len(rep.Items) != len(res) {
		fill(res, Result{Outcome: Retry, Reason: "elastic: bulk answer has " +
			strconv.Itoa(len(rep.Items)) + " items for " + strconv.Itoa(len(res)) + " actions"})
		return nil
	}
	for i, it := range rep.Items {
		for _, item := range it { // one key: the action
			reason, typ := "", ""
			if item.Error != nil {
				typ = item.Error.Type
				reason = ans.red.string("elastic: " + strconv.Itoa(item.Status) + " " + typ + ": " + item.Error.Reason)
			}
			switch o := itemOutcome(item.Status, typ); o {
			case misconfigured:
				// Every record of the index would be refused alike: none
				// of this batch is a bad record.
				return fmt.Errorf("%s: %w", reason, esHint(ErrMisconfigured))
			case Delivered:
				res[i] = Result{Outcome: Delivered}
			default:
				res[i] = Result{Outcome: o, Reason: reason}
			}
		}
	}
	return nil
}

// esMisconfigured returns the error of a whole answer classified as
// misconfigured, with what to check.
func esMisconfigured(a answer, reason string) error {
	switch {
	case isAuthStatus(a.status):
		return fmt.Errorf("%s: %w", reason, ErrAuth) // reason starts with "elastic: "
	case a.redirect != "":
		return fmt.Errorf("%s: redirects are not followed (the credentials are sent to the configured host only): %w", reason, ErrMisconfigured)
	}
	return fmt.Errorf("%s: %w", reason, esHint(ErrMisconfigured))
}

// esHint says what to check, wrapping err.
func esHint(err error) error {
	return fmt.Errorf("neither a delivery nor a bad record: check the URL (Elasticsearch's, not a proxy's), "+
		"the credentials' privileges on the data stream and the data stream itself: %w", err)
}

// bulk sends one NDJSON _bulk request.
func (e *Elastic) bulk(ctx context.Context, recs [][]byte, ids []string) (answer, error) {
	b := getBuf()
	defer putBuf(b)
	line := make([]byte, 0, 128)
	for i, r := range recs {
		line = append(jsonenc.AppendString(append(line[:0], e.action...), ids[i]), "}}\n"...)
		b.Write(line)
		b.Write(r)
		b.WriteByte('\n')
	}
	return e.request(ctx, http.MethodPost, e.bulkURL, "application/x-ndjson", b.Bytes())
}

func (e *Elastic) request(ctx context.Context, method, u, ctype string, body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", e.auth)
	req.Header.Set("Content-Type", ctype)
	return do(e.client, req, e.red)
}

// esReason renders a whole-request answer: status, error type and reason.
// It never includes the request, and it is redacted: it never contains the
// credentials.
func esReason(a answer) string {
	s := "elastic: " + strconv.Itoa(a.status)
	if a.redirect != "" {
		s += " redirect to " + a.redirect
	}
	typ, reason := esError(a.body)
	switch {
	case typ != "":
		return a.red.string(s + " " + typ + ": " + reason)
	case len(a.body) > 0:
		return s + " " + a.excerpt()
	}
	return s + " " + http.StatusText(a.status)
}
