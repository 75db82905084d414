// Package sinks delivers formatted records to SIEMs (Splunk HEC, Elasticsearch,
// syslog, a file) and classifies every answer into one Result per record.
//
// Sinks move bytes; they do not choose formats. Every sink has the same
// contract:
//
//	Send(ctx, records [][]byte, ids []string) ([]Result, error)
//
// records are formatted payloads, one per Kafka record and in the same order;
// ids are the records' eventIds (the Elasticsearch _id). Send returns exactly
// one Result per record. It returns an error only when ctx ends, when the peer
// refuses the credentials (ErrAuth, wrapped) or when the configuration is
// broken; transient failures (network errors, timeouts, 5xx, 429, HEC 503
// code 9) are Results with Outcome Retry, never errors. The decision between
// retryable and permanent HTTP statuses is made in one place: classify.
package sinks

import (
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Outcome is what happened to one record.
type Outcome uint8

const (
	// Delivered: the peer confirmed the record (or already had it). Its
	// offset may be committed.
	Delivered Outcome = iota
	// Retry: a transient failure; send the record again later, honouring
	// Result.RetryAfter when non-zero.
	Retry
	// Reject: the peer refused this record permanently; Result.Reason says
	// why. The record goes to the dead-letter queue.
	Reject
)

// String returns "delivered", "retry" or "reject".
func (o Outcome) String() string {
	switch o {
	case Delivered:
		return "delivered"
	case Retry:
		return "retry"
	case Reject:
		return "reject"
	}
	return "outcome(" + strconv.Itoa(int(o)) + ")"
}

// Result is the fate of one record in a Send.
type Result struct {
	Outcome Outcome
	// Reason explains a Reject (or a Retry) in the peer's words. It never
	// contains credentials.
	Reason string
	// RetryAfter is the delay the peer asked for (Retry-After header), or 0.
	RetryAfter time.Duration
	// Ack, on a Delivered result of HEC.Submit, is the indexer
	// acknowledgement still owed for the record: it counts as delivered
	// only once Ack.Wait reports true, and must be sent again when it
	// reports false. Nil everywhere else.
	Ack *Ack
}

// ErrAuth is returned (wrapped) by Send and Setup when the peer answers
// 401 or 403: delivery must stop loudly and nothing may be committed. The
// wrapping message never contains the token, API key or password.
var ErrAuth = errors.New("sinks: authentication refused")

// classify maps an HTTP status to an Outcome. It is the single place where
// retryable and permanent statuses are told apart:
//   - 2xx: Delivered
//   - 408, 429 and 5xx: Retry
//   - other 4xx (and anything unexpected below 500): Reject
//
// 401 and 403 must be checked first with isAuthStatus: they are neither
// retryable nor a per-record rejection.
func classify(status int) Outcome {
	switch {
	case status >= 200 && status < 300:
		return Delivered
	case status == http.StatusRequestTimeout, status == http.StatusTooManyRequests, status >= 500:
		return Retry
	}
	return Reject
}

// isAuthStatus reports whether status means the credentials were refused.
func isAuthStatus(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// retryAfter reads a Retry-After header given in seconds or as an HTTP
// date; it returns 0 when absent or unparsable.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// fill sets every element of rs to r and returns rs.
func fill(rs []Result, r Result) []Result {
	for i := range rs {
		rs[i] = r
	}
	return rs
}
