package sinks_test

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// redirecting returns the URL of a server that redirects every request to
// target with status, and a count of the requests target received.
func redirecting(tb testing.TB, status int) (string, *atomic.Int32, *atomic.Value) {
	tb.Helper()
	var hits atomic.Int32
	var auth atomic.Value
	auth.Store("")
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		auth.Store(r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	tb.Cleanup(target.Close)
	// The Location carries a query secret: it must not be repeated.
	loc := strings.Replace(target.URL, "127.0.0.1", "localhost", 1) + "/services/collector/event?token=loc-secret"
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, loc, status)
	}))
	tb.Cleanup(src.Close)
	return src.URL, &hits, &auth
}

// sendTo sends three records to url with each HTTP sink's default test
// configuration.
var sendTo = map[string]func(tb testing.TB, url string) ([]sinks.Result, error){
	"hec": func(tb testing.TB, url string) ([]sinks.Result, error) {
		return mustHEC(tb, sinks.HECConfig{URL: url}).Send(context.Background(), hecEvents(3), ids(3))
	},
	"elastic": func(tb testing.TB, url string) ([]sinks.Result, error) {
		return mustElastic(tb, sinks.ElasticConfig{URL: url}).Send(context.Background(), ecsDocs(3), ids(3))
	},
}

// TestRedirectsAreRefused: a redirect is never followed (the credentials
// never go elsewhere); it is a misconfiguration naming the Location's
// host, without its path or query.
func TestRedirectsAreRefused(t *testing.T) {
	t.Parallel()
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		for sink, send := range sendTo {
			t.Run(sink+" "+http.StatusText(status), func(t *testing.T) {
				t.Parallel()
				u, hits, auth := redirecting(t, status)
				res, err := send(t, u)
				if hits.Load() != 0 {
					t.Errorf("the redirect was followed (%d requests, Authorization %q)", hits.Load(), auth.Load())
				}
				if !errors.Is(err, sinks.ErrMisconfigured) || !strings.Contains(err.Error(), "redirect") ||
					!strings.Contains(err.Error(), "localhost:") {
					t.Errorf("Send() = %s, %v; want ErrMisconfigured naming the redirect to localhost", outcomes(res), err)
				}
				noSecret(t, "loc-secret", res, err)
			})
		}
	}
}

// TestPlainHTTPWarning: a secret sent over plain http to another host is
// warned about at start; loopback and https are not.
func TestPlainHTTPWarning(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url  string
		want bool
	}{
		{"http://splunk.example.com:8088", true},
		{"http://10.1.2.3:9200", true},
		{"https://splunk.example.com:8088", false},
		{"http://localhost:8088", false},
		{"http://127.0.0.1:8088", false},
		{"http://[::1]:9200", false},
	}
	newSink := map[string]func(url string, l zerolog.Logger) error{
		"hec": func(url string, l zerolog.Logger) error {
			_, err := sinks.NewHEC(sinks.HECConfig{URL: url, Token: hecToken, Logger: l})
			return err
		},
		"elastic": func(url string, l zerolog.Logger) error {
			_, err := sinks.NewElastic(sinks.ElasticConfig{URL: url, APIKey: esKey, Logger: l})
			return err
		},
	}
	for _, tt := range tests {
		for sink, newSink := range newSink {
			var log testkit.SyncBuffer
			if err := newSink(tt.url, zerolog.New(&log)); err != nil {
				t.Fatal(err)
			}
			got := strings.Contains(log.String(), "plain http")
			if got != tt.want {
				t.Errorf("New %s(%s) warned %v, want %v: %s", sink, tt.url, got, tt.want, log.String())
			}
			if strings.Contains(log.String(), hecToken) || strings.Contains(log.String(), esKey) {
				t.Errorf("the warning shows the secret: %s", log.String())
			}
		}
	}
}

// TestRetryAfterIsCapped: a Retry-After of years (seconds or a date) is cut
// to sinks.MaxRetryAfter; a small one is kept.
func TestRetryAfterIsCapped(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"7", 7 * time.Second},
		{"315360000", sinks.MaxRetryAfter},
		{"99999999999999999", sinks.MaxRetryAfter},
		{time.Now().Add(24 * 365 * time.Hour).UTC().Format(http.TimeFormat), sinks.MaxRetryAfter},
	}
	for _, tt := range tests {
		u := answeringWith(t, 503, "Retry-After", tt.header, `{"text":"Server is busy","code":9}`)
		res, err := mustHEC(t, sinks.HECConfig{URL: u}).Send(context.Background(), hecEvents(2), ids(2))
		if err != nil {
			t.Fatal(err)
		}
		if res[0].RetryAfter != tt.want || res[0].Outcome != sinks.Retry {
			t.Errorf("Retry-After %s: result %+v, want Retry after %v", tt.header, res[0], tt.want)
		}
	}
}

func answeringWith(tb testing.TB, status int, key, value, body string) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(key, value)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// echoing returns the URL of a server that answers status with body, where
// AUTH is replaced by the request's Authorization header (and AUTH64 by its
// credentials decoded, for basic and API key auth), as careless proxies and
// debug pages do.
func echoing(tb testing.TB, status int, body string) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(a, " ")
		dec, _ := base64.StdEncoding.DecodeString(cred)
		b := strings.ReplaceAll(body, "AUTH64", string(dec))
		b = strings.ReplaceAll(b, "AUTH", a)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(b))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// TestSecretsNeverInReasons: answers that echo the credentials (raw,
// encoded, decoded, escaped) give reasons and errors without them.
func TestSecretsNeverInReasons(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 290) // an excerpt must not cut a secret in two
	hecBodies := []struct {
		status int
		body   string
	}{
		{400, `{"text":"Invalid data format: AUTH","code":6,"invalid-event-number":0}`},
		{500, `<html>` + long + ` debug: Authorization: AUTH</html>`},
		{503, `{"text":"Server is busy (AUTH)","code":9}`},
		{400, `{"text":"Incorrect index for AUTH","code":7}`},
		{200, `<html>` + long + `AUTH</html>`},
	}
	for _, b := range hecBodies {
		res, err := mustHEC(t, sinks.HECConfig{URL: echoing(t, b.status, b.body)}).Send(context.Background(), hecEvents(1), ids(1))
		noSecret(t, hecToken, res, err)
		if err == nil && res[0].Outcome == sinks.Delivered {
			t.Errorf("HEC %d %s: delivered", b.status, b.body)
		}
	}
	apiID := "key-id:key-secret-value"
	creds := []struct {
		name    string
		cfg     sinks.ElasticConfig
		secrets []string
	}{
		{"encoded API key", sinks.ElasticConfig{APIKey: esKey}, []string{esKey, "key-secret-value"}},
		{"id:key API key", sinks.ElasticConfig{APIKey: apiID}, []string{esKey, "key-secret-value"}},
		{"basic auth", sinks.ElasticConfig{Username: "forward", Password: "pa/ss+w0rd"},
			[]string{"pa/ss+w0rd", `pa\/ss+w0rd`, base64.StdEncoding.EncodeToString([]byte("forward:pa/ss+w0rd"))}},
	}
	esBodies := []struct {
		status int
		body   string
	}{
		{200, `{"errors":true,"items":[{"create":{"status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse [AUTH] [AUTH64]"}}}]}`},
		{502, `<html>` + long + ` Authorization: AUTH (AUTH64)</html>`},
		{400, `{"error":{"type":"x_content_parse_exception","reason":"AUTH AUTH64"},"status":400}`},
		{404, `{"error":"AUTH"}`},
	}
	for _, c := range creds {
		for _, b := range esBodies {
			c.cfg.URL = echoing(t, b.status, b.body)
			res, err := mustElastic(t, c.cfg).Send(context.Background(), ecsDocs(1), ids(1))
			for _, s := range c.secrets {
				noSecret(t, s, res, err)
			}
			if err == nil && res[0].Outcome == sinks.Delivered {
				t.Errorf("%s, %d %s: delivered", c.name, b.status, b.body)
			}
		}
	}
}

// TestShortSecretsDoNotChangeAnswers: redaction applies to text copied out
// of an answer, never to the answer being read: a secret that happens to
// be a word of the protocol ("t", "status") changes no outcome.
func TestShortSecretsDoNotChangeAnswers(t *testing.T) {
	t.Parallel()
	hec := sinktest.NewHEC(t, sinktest.HECOptions{Token: "t"})
	res, err := mustHEC(t, sinks.HECConfig{URL: hec.URL(), Token: "t"}).Send(context.Background(), hecEvents(3), ids(3))
	if got := outcomes(res); err != nil || got != "DDD" {
		t.Errorf("HEC with token %q: Send() = %s, %v; want DDD", "t", got, err)
	}
	es := sinktest.NewElastic(t, sinktest.ElasticOptions{Username: "u", Password: "status"})
	res, err = mustElastic(t, sinks.ElasticConfig{URL: es.URL(), Username: "u", Password: "status"}).
		Send(context.Background(), with(ecsDocs(3), 1, `{"@timestamp":"yesterday"}`), ids(3))
	if got := outcomes(res); err != nil || got != "DXD" {
		t.Errorf("Elasticsearch with password %q: Send() = %s, %v; want DXD", "status", got, err)
	}
}
