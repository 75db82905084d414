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
// one Result per record. It returns an error only when ctx ends or when an
// answer shows the configuration is wrong (ErrMisconfigured, wrapped; ErrAuth
// for refused credentials is one of them); transient failures (network
// errors, timeouts, 5xx, 429, HEC 503 code 9) are Results with Outcome
// Retry, never errors. Every answer is classified in one place
// (classify.go) into delivered, retry, reject (this record is bad) and
// misconfigured.
//
// The HTTP sinks never follow redirects, and never copy their credentials
// into a Reason or an error: text from the peer is redacted first.
package sinks

import (
	"errors"
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

// ErrMisconfigured is returned (wrapped) by Send and Setup when an answer
// shows that the sink is configured wrong rather than that a record is bad:
// the URL does not lead to the service (a proxy's sign-in page, a 404 or
// 405, a redirect, a success status without the protocol's success body),
// the credentials lack a privilege, or the index is wrong, missing or
// closed. Delivery must stop: nothing may be committed and nothing
// dead-lettered, since every record would be refused alike. The wrapping
// message says what was answered and never contains the credentials.
var ErrMisconfigured = errors.New("the sink is misconfigured")

// ErrAuth is returned (wrapped) by Send and Setup when the peer answers
// 401 or 403: the credentials were refused. It is a misconfiguration:
// errors.Is(err, ErrMisconfigured) holds as well. The wrapping message
// never contains the token, API key or password.
var ErrAuth error = authError{}

type authError struct{}

func (authError) Error() string        { return "sinks: authentication refused" }
func (authError) Is(target error) bool { return target == ErrMisconfigured }

// MaxRetryAfter caps the delay a peer may ask for with Retry-After: a
// proxy answering "Retry-After: 31536000" must not park a batch for a year.
const MaxRetryAfter = 5 * time.Minute

// fill sets every element of rs to r and returns rs.
func fill(rs []Result, r Result) []Result {
	for i := range rs {
		rs[i] = r
	}
	return rs
}
