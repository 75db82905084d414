package main

import (
	"bufio"
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// htmlAnswer starts a server that answers every request 200 with a sign-in
// page, as an authenticating proxy in front of the real service does.
func htmlAnswer(t *testing.T, hits *atomic.Int32) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!DOCTYPE html><html><head><title>Sign in - Corp SSO</title></head><body>Sign in to continue</body></html>`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A sink configured wrong (a proxy's 200 sign-in page instead of HEC, an
// index the token may not write to, a wrong path, an API key without the
// index privilege, a missing index, a redirect) stops forward with a
// non-zero exit naming the cause: nothing is committed, nothing is
// dead-lettered, the secret is never printed.
func TestMisconfiguredSinkStopsWithoutCommittingOrDeadLettering(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		env   func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string
		want  string
		count func() int // what the sink stored, when it is a strict receiver
	}{
		{name: "HEC behind a proxy answering 200 HTML", want: "hec: 200 <!DOCTYPE html>",
			env: func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string {
				return d.env("splunk", map[string]string{"SPLUNK_HEC_URL": htmlAnswer(t, hits), "SPLUNK_HEC_TOKEN": hecToken})
			}},
		{name: "HEC index not allowed for the token", want: "Incorrect index (code 7)",
			env: func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string {
				hec := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken, Indexes: []string{"main"}})
				return splunkEnv(d, hec, map[string]string{"SPLUNK_INDEX": "pigment"})
			}},
		{name: "HEC wrong path", want: "404 The requested URL was not found",
			env: func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string {
				hec := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken})
				return splunkEnv(d, hec, map[string]string{"SPLUNK_HEC_URL": hec.URL() + "/splunk/hec"})
			}},
		{name: "Elasticsearch API key without the index privilege", want: "403 security_exception",
			env: func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string {
				es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey, WriteIndexes: []string{"logs-other-default"}})
				return elasticEnv(d, es, d.group)
			}},
		{name: "Elasticsearch index missing", want: "404 index_not_found_exception",
			env: func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string {
				es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey, NoAutoCreate: true})
				return elasticEnv(d, es, d.group)
			}},
		{name: "Elasticsearch redirect", want: "redirect to http://",
			env: func(t *testing.T, d *deployment, hits *atomic.Int32) map[string]string {
				es := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esAPIKey})
				src := httptest.NewServer(http.RedirectHandler(es.URL()+"/_bulk", http.StatusTemporaryRedirect))
				t.Cleanup(src.Close)
				t.Cleanup(func() {
					if n := es.Requests(); n > 0 {
						t.Errorf("the redirect was followed: Elasticsearch got %d bulk requests", n)
					}
				})
				return d.env("elastic", map[string]string{"ELASTIC_URL": src.URL, "ELASTIC_API_KEY": esAPIKey})
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := newDeployment(t, 300)
			var hits atomic.Int32
			env := tt.env(t, d, &hits)
			p := startForward(t, env, "run")
			code := p.Wait(45 * time.Second)
			stderr := p.Stderr()
			if code == 0 {
				t.Fatalf("forward run exited 0 against a misconfigured sink; stderr:\n%s", testkit.Tail(stderr, 4096))
			}
			if !strings.Contains(stderr, tt.want) || !strings.Contains(stderr, "misconfigured") ||
				!strings.Contains(stderr, "nothing dead-lettered") {
				t.Errorf("stderr does not name the cause (%q, misconfigured) and what was done:\n%s", tt.want, testkit.Tail(stderr, 4096))
			}
			for _, secret := range []string{hecToken, esAPIKey} {
				if strings.Contains(stderr+p.Stdout(), secret) {
					t.Errorf("the secret %q appears in the output", secret)
				}
			}
			if got := d.committed(t, d.group); len(got) > 0 {
				t.Errorf("group %s committed %v against a misconfigured sink, want nothing", d.group, got)
			}
			if dlq := testkit.ReadAll(t, d.brokers, d.dlq); len(dlq) > 0 {
				t.Errorf("%d records were dead-lettered for a misconfiguration (e.g. %q), want none",
					len(dlq), testkit.Header(dlq[0], "dlq.reason"))
			}
		})
	}
}

// echoingHEC is a HEC that refuses the event with eventId bad (code 6,
// invalid-event-number) and echoes the Authorization header in its answer,
// as a debugging proxy might; the other events are accepted.
func echoingHEC(t *testing.T, bad string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		sc := bufio.NewScanner(&body)
		sc.Buffer(nil, 16<<20)
		for i := 0; sc.Scan(); i++ {
			if bytes.Contains(sc.Bytes(), []byte(`"eventId":"`+bad+`"`)) {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"text":"Invalid data format (request ` + r.Header.Get("Authorization") +
					`)","code":6,"invalid-event-number":` + strconv.Itoa(i) + `}`))
				return
			}
		}
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A bad record's dead letter carries HEC's reason without the token, even
// when the answer echoes the Authorization header; nor do the logs show it.
func TestDeadLetterReasonNeverCarriesTheToken(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 300)
	bad := d.ids[len(d.ids)/2]
	env := d.env("splunk", map[string]string{"SPLUNK_HEC_URL": echoingHEC(t, bad), "SPLUNK_HEC_TOKEN": hecToken, "SPLUNK_HEC_GZIP": "false"})
	recs := d.records(t)
	p := forwardUntil(t, d, env, recs, func() bool { return true })
	dlq := testkit.ReadAll(t, d.brokers, d.dlq)
	if len(dlq) != 1 {
		t.Fatalf("the DLQ holds %d records, want the bad one alone", len(dlq))
	}
	reason := testkit.Header(dlq[0], "dlq.reason")
	if !strings.Contains(reason, "Invalid data format") || strings.Contains(reason, hecToken) {
		t.Errorf("dlq.reason = %q, want HEC's reason without the token", reason)
	}
	if strings.Contains(p.Stderr(), hecToken) {
		t.Errorf("the token appears in the logs:\n%s", grepLines(p.Stderr(), hecToken))
	}
}
