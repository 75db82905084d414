package sinks_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
)

// answering returns the URL of a server that answers every request with
// status, body and content type, as a proxy or another service would.
func answering(tb testing.TB, status int, ctype, body string) string {
	tb.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

const signInPage = `<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login">Sign in to continue</form></body></html>`

// TestHECMisconfigured: answers that are not HEC's success and say the URL,
// token or index is wrong stop delivery with ErrMisconfigured; none is a
// delivery, none a bad record.
func TestHECMisconfigured(t *testing.T) {
	t.Parallel()
	tests := []misconfigured[sinktest.HECOptions, sinks.HECConfig]{
		{name: "proxy sign-in page answered 200", url: func(tb testing.TB) string { return answering(tb, 200, "text/html", signInPage) },
			wantErr: "hec: 200 <!DOCTYPE html>"},
		{name: "200 with an empty body", url: func(tb testing.TB) string { return answering(tb, 200, "", "") }, wantErr: "hec: 200 OK"},
		{name: "200 JSON without code 0", url: func(tb testing.TB) string { return answering(tb, 200, "application/json", `{"status":"ok"}`) },
			wantErr: `{"status":"ok"}`},
		{name: "200 with another code", url: func(tb testing.TB) string {
			return answering(tb, 200, "application/json", `{"text":"HEC is healthy","code":17}`)
		}, wantErr: "HEC is healthy (code 17)"},
		{name: "204 no content", url: func(tb testing.TB) string { return answering(tb, 204, "", "") }, wantErr: "hec: 204"},
		{name: "incorrect index", opts: sinktest.HECOptions{Indexes: []string{"main"}},
			recs: with(hecEvents(5), 2, `{"index":"secret","event":{"eventId":"e-2"}}`), wantErr: "Incorrect index (code 7)"},
		{name: "wrong path", path: "/splunk", wantErr: "404 The requested URL was not found on this server. (code 404)"},
		{name: "method not allowed", url: func(tb testing.TB) string {
			return answering(tb, 405, "text/html", "<html><body>405 Not Allowed</body></html>")
		}, wantErr: "405"},
		{name: "proxy 400 page", url: func(tb testing.TB) string {
			return answering(tb, 400, "text/html", "<html><body>400 Bad Request: request header too large</body></html>")
		}, wantErr: "400 <html>"},
		{name: "ack without a channel", opts: sinktest.HECOptions{RequireAck: true}, wantErr: "Data channel is missing (code 10)"},
		{name: "ack configured, disabled on the token", cfg: sinks.HECConfig{Ack: true}, wantErr: "no ackId"},
		{name: "wrong token", opts: sinktest.HECOptions{Token: "the-right-one"}, wantErr: "403 Invalid token (code 4)"},
		{name: "self-signed certificate", opts: sinktest.HECOptions{TLS: true}, wantErr: "hec: TLS verification"},
	}
	runMisconfigured(t, tests, func(t *testing.T, tt misconfigured[sinktest.HECOptions, sinks.HECConfig]) sender {
		tt.cfg.URL = tt.target(t, hecReceiver(t, tt.opts).URL())
		return mustHEC(t, tt.cfg)
	}, hecEvents(5), hecToken)
}

// TestElasticMisconfigured: privileges, missing or closed indexes, a wrong
// route and answers from something that is not Elasticsearch stop delivery
// with ErrMisconfigured, even when other items of the batch are fine or bad.
func TestElasticMisconfigured(t *testing.T) {
	t.Parallel()
	tests := []misconfigured[sinktest.ElasticOptions, sinks.ElasticConfig]{
		{name: "no index privilege", opts: sinktest.ElasticOptions{WriteIndexes: []string{"logs-other-default"}},
			wantErr: "403 security_exception: action [indices:data/write/bulk[s]] is unauthorized for API key id [key-id]"},
		{name: "no index privilege, basic auth", opts: sinktest.ElasticOptions{Username: "forward", Password: "pw-7c1e", WriteIndexes: []string{"x"}},
			cfg: sinks.ElasticConfig{Username: "forward", Password: "pw-7c1e"}, wantErr: "unauthorized for user [forward]"},
		{name: "index not found", opts: sinktest.ElasticOptions{NoAutoCreate: true},
			wantErr: "404 index_not_found_exception: no such index [logs-pigment.audit-default]"},
		{name: "closed index", opts: sinktest.ElasticOptions{ClosedIndexes: []string{sinks.DefaultDataStream}},
			wantErr: "400 index_closed_exception: closed"},
		{name: "a mapping error beside a refused privilege", opts: sinktest.ElasticOptions{WriteIndexes: []string{"x"}},
			recs: with(ecsDocs(5), 1, `{"@timestamp":"yesterday"}`), wantErr: "security_exception"},
		{name: "wrong route", path: "/es/prod", wantErr: "400 illegal_argument_exception: no handler found for uri [/es/prod/_bulk]"},
		{name: "proxy sign-in page answered 200", url: func(tb testing.TB) string { return answering(tb, 200, "text/html", signInPage) },
			wantErr: "elastic: 200 <!DOCTYPE html>"},
		{name: "JSON that is not a bulk answer", url: func(tb testing.TB) string { return answering(tb, 200, "application/json", `{"ok":true}`) },
			wantErr: `{"ok":true}`},
		{name: "404 page", url: func(tb testing.TB) string { return answering(tb, 404, "text/html", "<html>Not Found</html>") },
			wantErr: "404"},
		{name: "wrong API key", opts: sinktest.ElasticOptions{APIKey: "b3RoZXI6a2V5"}, wantErr: "401 security_exception"},
		{name: "self-signed certificate", opts: sinktest.ElasticOptions{TLS: true}, wantErr: "elastic: TLS verification"},
	}
	runMisconfigured(t, tests, func(t *testing.T, tt misconfigured[sinktest.ElasticOptions, sinks.ElasticConfig]) sender {
		tt.cfg.URL = tt.target(t, esReceiver(t, tt.opts).URL())
		return mustElastic(t, tt.cfg)
	}, ecsDocs(5), "key-secret-value", "pw-7c1e")
}
