package testkit

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Stack is one isolated deployment for process tests: the audit API at
// APIURL, a Kafka broker, a database and an events topic of its own, and
// the environment each program needs to run on it.
type Stack struct {
	APIURL, APIKey string
	Brokers        string
	Topic          string
	DBURL          string
}

// NewStack serves api over HTTP (it answers apiKey; nil for none, or one
// served already at the APIURL the test sets) and starts a broker and a
// database, all for the test's duration.
func NewStack(tb testing.TB, api http.Handler, apiKey string) *Stack {
	tb.Helper()
	_, brokers := MustKafka(tb)
	s := &Stack{APIKey: apiKey, Brokers: brokers, Topic: Name("events"), DBURL: MustPostgres(tb)}
	if api != nil {
		s.APIURL = Serve(tb, api)
	}
	return s
}

// Serve serves h over HTTP for the test's duration and returns its URL.
func Serve(tb testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	return srv.URL
}

// ExtractEnv is the environment of an extract process on s (no client-side
// rate limit, dead letters to the topic's "-dlq"), with overrides applied
// (an empty value removes the variable).
func (s *Stack) ExtractEnv(overrides map[string]string) Env {
	return Env{
		"PIGMENT_API_URL":       s.APIURL,
		"PIGMENT_AUDIT_API_KEY": s.APIKey,
		"PIGMENT_RATE_LIMIT":    "off",
		"KAFKA_BROKERS":         s.Brokers,
		"KAFKA_TOPIC":           s.Topic,
		"KAFKA_DLQ_TOPIC":       s.Topic + "-dlq",
		"DATABASE_URL":          s.DBURL,
		"LOG_LEVEL":             "warn",
		"LOG_FORMAT":            "json",
	}.With(overrides)
}

// DetectEnv is the environment of a detector called name on s, writing
// alerts to the topic alerts (saving every 200ms, /metrics on a free
// port), with overrides applied (an empty value removes the variable).
func (s *Stack) DetectEnv(name, alerts string, overrides map[string]string) Env {
	return Env{
		"KAFKA_BROKERS":        s.Brokers,
		"KAFKA_TOPIC":          s.Topic,
		"KAFKA_ALERTS_TOPIC":   alerts,
		"KAFKA_DLQ_TOPIC":      s.Topic + "-detect-dlq",
		"DETECT_NAME":          name,
		"DETECT_SAVE_INTERVAL": "200ms",
		"DATABASE_URL":         s.DBURL,
		"METRICS_ADDR":         "127.0.0.1:0",
		"LOG_LEVEL":            "warn",
	}.With(overrides)
}
