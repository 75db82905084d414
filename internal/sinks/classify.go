package sinks

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// misconfigured is the fourth class of answers: the sink is configured
// wrong (see ErrMisconfigured). It never appears in a Result: Send returns
// an error instead.
const misconfigured Outcome = Reject + 1

// This file is the one place where answers are classified into Delivered,
// Retry, Reject (this record is bad: dead-letter it) and misconfigured
// (stop delivery, commit nothing, dead-letter nothing). The rule of thumb:
// only the protocol's own success is a delivery; an answer that does not
// come from the service, or that every record would get alike, is a
// misconfiguration, never a bad record.

// statusOutcome classifies a status whose body adds nothing:
//   - 2xx: Delivered (callers that expect a body check it first)
//   - 408, 429 and 5xx: Retry
//   - 3xx (redirects are never followed), 401, 403, 404, 405: misconfigured
//   - other 4xx: Reject
func statusOutcome(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case isRetryStatus(status):
		return Retry
	case status >= 300 && status < 400, isAuthStatus(status),
		status == http.StatusNotFound, status == http.StatusMethodNotAllowed:
		return misconfigured
	}
	return Reject
}

func isRetryStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// isAuthStatus reports whether status means the credentials were refused.
func isAuthStatus(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// hecBadRecord are the HEC codes (answered with 400) that blame the data,
// not the configuration: 5 no data, 6 invalid data format, 12 event field
// required, 13 event field blank, 15 error in handling indexed fields.
// Code 7 (incorrect index), 10, 11, 14 (data channel, acknowledgement)
// and 16 (query-string authorization) would be answered to every record.
var hecBadRecord = map[int]bool{5: true, 6: true, 12: true, 13: true, 15: true}

// hecOutcome classifies an answer of HEC's event endpoint; rep is its body,
// whose Code is nil when the body is not HEC's JSON.
//   - 200 {"text":"Success","code":0}: Delivered (and nothing else is: a
//     200 sign-in page of a proxy, an empty body, another code)
//   - 408, 429, 5xx (503 code 9 server busy): Retry
//   - 400 with a bad-record code (hecBadRecord), and 413 (too large, from
//     HEC or a proxy): Reject, the bad record found by position or bisection
//   - anything else (401/403, 400 code 7 and the other configuration codes,
//     404/405 wrong path, redirects, non-HEC answers): misconfigured
func hecOutcome(a answer, rep hecReply) Outcome {
	hec := rep.Code != nil
	switch s := a.status; {
	case s == http.StatusOK && hec && *rep.Code == 0 && rep.Text == "Success":
		return Delivered
	case isRetryStatus(s):
		return Retry
	case s == http.StatusRequestEntityTooLarge, s == http.StatusBadRequest && hec && hecBadRecord[*rep.Code]:
		return Reject
	}
	return misconfigured
}

// bulkOutcome classifies a whole _bulk answer:
//   - 200: Delivered, meaning: read the items (itemOutcome, bulkBodyOutcome)
//   - 408, 429, 5xx: Retry
//   - 413, and 400 with an Elasticsearch error other than an unknown route:
//     Reject (the batch is bisected down to the bad record)
//   - anything else (401/403, 404, 405, 400 "no handler found for uri",
//     redirects, other 2xx, non-Elasticsearch answers): misconfigured
func bulkOutcome(a answer) Outcome {
	switch s := a.status; {
	case s == http.StatusOK:
		return Delivered
	case isRetryStatus(s):
		return Retry
	case s == http.StatusRequestEntityTooLarge:
		return Reject
	case s == http.StatusBadRequest:
		typ, reason := esError(a.body)
		if typ != "" && !strings.HasPrefix(reason, "no handler found for uri") {
			return Reject
		}
	}
	return misconfigured
}

// bulkBodyOutcome classifies the body of a 200 _bulk answer that is not a
// readable bulk answer with items: Retry if it looks like Elasticsearch's
// (truncated or odd: send again), misconfigured if it is not a bulk answer
// at all (a proxy's page, another service's JSON).
func bulkBodyOutcome(body []byte) Outcome {
	if bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"errors"`)) {
		return Retry
	}
	return misconfigured
}

// esConfigErrors are item error types that every record sent to the same
// index would get: privileges, a missing, closed or misnamed index, a
// cluster block.
var esConfigErrors = map[string]bool{
	"security_exception": true, "index_not_found_exception": true, "index_closed_exception": true,
	"invalid_index_name_exception": true, "cluster_block_exception": true,
}

// itemOutcome classifies one item of a _bulk answer:
//   - 200, 201, and 409 (already there: a re-delivery): Delivered
//   - 408, 429, 5xx: Retry
//   - 401, 403, 404, and the types of esConfigErrors: misconfigured
//   - other 4xx (mapper_parsing_exception, document_parsing_exception, …):
//     Reject
func itemOutcome(status int, typ string) Outcome {
	switch {
	case status == http.StatusConflict, status >= 200 && status < 300:
		return Delivered
	case isRetryStatus(status):
		return Retry
	case isAuthStatus(status), status == http.StatusNotFound, esConfigErrors[typ]:
		return misconfigured
	}
	return Reject
}

// esError reads Elasticsearch's whole-request error {"error":{"type":…,
// "reason":…}}; typ is "" when the body is not one.
func esError(body []byte) (typ, reason string) {
	var rep struct {
		Error struct {
			Type   string `json:"type"`
			Reason string `json:"reason"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &rep) != nil {
		return "", ""
	}
	return rep.Error.Type, rep.Error.Reason
}

// retryAfter reads a Retry-After header given in seconds or as an HTTP
// date, capped at MaxRetryAfter; it returns 0 when absent or unparsable.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		if s > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return min(d, MaxRetryAfter)
		}
	}
	return 0
}

// pgOutcome classifies an error of the archive's Postgres (SQLSTATE
// classes):
//   - connection failures (08, and errors without a SQLSTATE: refused,
//     reset, timeouts), shutdowns and restarts (57: admin_shutdown,
//     cannot_connect_now, query_canceled), resources (53, 58),
//     serialization failures and deadlocks (40), and an insert into a
//     partition dropped meanwhile: Retry
//   - refused credentials (28), a wrong database (3D), a missing table,
//     column or privilege (42), a wrong schema (3F), a wrong role (0L, 0P):
//     misconfigured
//   - data exceptions (22: invalid byte sequence, a value out of range),
//     integrity violations (23) and program limits (54: an index row too
//     large): Reject, since the row's content is refused
//
// Anything else is Retry: a transient state is far likelier than a bad row.
func pgOutcome(err error) Outcome {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return Retry
	}
	if isNoPartition(err) {
		return Retry
	}
	switch pe.Code[:2] {
	case "28", "3D", "42", "3F", "0L", "0P":
		return misconfigured
	case "22", "23", "54":
		return Reject
	}
	return Retry
}

// PostgresMisconfigured reports whether err, from the archive's Postgres
// (the migrations included), shows a misconfiguration (see pgOutcome):
// waiting would not cure it.
func PostgresMisconfigured(err error) bool {
	return errors.Is(err, ErrMisconfigured) || pgOutcome(err) == misconfigured
}
