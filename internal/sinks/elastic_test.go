package sinks_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
)

var esKey = base64.StdEncoding.EncodeToString([]byte("key-id:key-secret-value"))

func mustElastic(tb testing.TB, cfg sinks.ElasticConfig) *sinks.Elastic {
	tb.Helper()
	if cfg.APIKey == "" && cfg.Username == "" {
		cfg.APIKey = esKey
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	e, err := sinks.NewElastic(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// ecsDocs returns n ECS documents for e-0..e-(n-1).
func ecsDocs(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"@timestamp":"2026-01-01T00:00:00.123Z","event":{"id":"e-%d","action":"USER_LOGIN","kind":"event","severity":3},"user":{"email":"a@b.c"},"source":{"ip":"192.0.2.%d"},"related":{"user":["a@b.c"]},"pigment":{"event":{"eventId":"e-%d"}}}`, i, i, i)
	}
	return recs
}

// TestElasticAnswers sends one batch per case to a strict receiver and
// checks every record's outcome and what was stored.
func TestElasticAnswers(t *testing.T) {
	t.Parallel()
	docs := ecsDocs(5)
	tests := []struct {
		name       string
		opts       sinktest.ElasticOptions
		cfg        sinks.ElasticConfig
		setup      bool
		fault      func(testing.TB, *sinktest.Elastic)
		recs       [][]byte
		want       string
		wantStored int
		wantReason string
	}{
		{name: "all created", recs: docs, want: "DDDDD", wantStored: 5},
		{name: "basic auth", opts: sinktest.ElasticOptions{Username: "forward", Password: "pw"},
			cfg: sinks.ElasticConfig{Username: "forward", Password: "pw"}, recs: docs, want: "DDDDD", wantStored: 5},
		{name: "already there (409) counts as delivered", fault: func(tb testing.TB, e *sinktest.Elastic) {
			mustSend(tb, e, docs[1:3], ids(5)[1:3])
		}, recs: docs, want: "DDDDD", wantStored: 5},
		{name: "mapping error in the middle: source.ip", recs: with(docs, 2, `{"@timestamp":"2026-01-01T00:00:00Z","source":{"ip":"not-an-ip"}}`),
			want: "DDXDD", wantStored: 4, wantReason: "400 mapper_parsing_exception: failed to parse field [source.ip] of type [ip]"},
		{name: "mapping error: @timestamp, dotted key", recs: with(docs, 0, `{"@timestamp":"yesterday","event.id":"e-0"}`),
			want: "XDDDD", wantStored: 4, wantReason: "field [@timestamp] of type [date]"},
		{name: "no @timestamp in a data stream", recs: with(docs, 4, `{"event":{"id":"e-4"}}`),
			want: "DDDDX", wantStored: 4, wantReason: "timestamp field [@timestamp] is missing"},
		{name: "template types: event.severity is a long", setup: true, recs: with(docs, 3, `{"@timestamp":1767225600000,"event":{"severity":"high"}}`),
			want: "DDDXD", wantStored: 4, wantReason: "field [event.severity] of type [long]"},
		{name: "raw control character in a string", recs: with(docs, 2, "{\"@timestamp\":\"2026-01-01T00:00:00Z\",\"event\":{\"id\":\"e-2\"},\"user\":{\"name\":\"A\x01B\"}}"),
			want: "DDXDD", wantStored: 4, wantReason: "400 document_parsing_exception: failed to parse: Illegal unquoted character ((CTRL-CHAR, code 1))"},
		{name: "invalid JSON is rejected before sending", recs: with(docs, 1, "{\"@timestamp\":\n"),
			want: "DXDDD", wantStored: 4, wantReason: "not valid JSON"},
		{name: "multi-line JSON is compacted", recs: with(docs, 1, "{\n \"@timestamp\": \"2026-01-01T00:00:00Z\"\n}"),
			want: "DDDDD", wantStored: 5},
		{name: "item 429 retried alone", fault: func(_ testing.TB, e *sinktest.Elastic) { e.RejectItem("e-3", 1) },
			recs: docs, want: "DDDRD", wantStored: 4, wantReason: "429 es_rejected_execution_exception"},
		{name: "whole request 429", fault: func(_ testing.TB, e *sinktest.Elastic) { e.Reject(1) },
			recs: docs, want: "RRRRR", wantReason: "429 es_rejected_execution_exception"},
		{name: "whole request 503", fault: func(_ testing.TB, e *sinktest.Elastic) { e.Unavailable(1) },
			recs: docs, want: "RRRRR", wantReason: "503 unavailable_shards_exception"},
		{name: "413: the big one found by bisection", opts: sinktest.ElasticOptions{MaxContentLength: 1200},
			recs: with(docs, 2, `{"@timestamp":"2026-01-01T00:00:00Z","message":"`+strings.Repeat("x", 1200)+`"}`),
			want: "DDXDD", wantStored: 4, wantReason: "413"},
		{name: "slower than the timeout", cfg: sinks.ElasticConfig{Timeout: 100 * time.Millisecond},
			fault: func(_ testing.TB, e *sinktest.Elastic) { e.Slow(time.Second) }, recs: docs, want: "RRRRR", wantReason: "Timeout"},
		{name: "down", fault: func(_ testing.TB, e *sinktest.Elastic) { e.Down() }, recs: docs, want: "RRRRR", wantReason: "refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcv := esReceiver(t, tt.opts)
			tt.cfg.URL = rcv.URL()
			e := mustElastic(t, tt.cfg)
			if tt.setup {
				if err := e.Setup(context.Background()); err != nil {
					t.Fatalf("Setup() error = %v", err)
				}
			}
			if tt.fault != nil {
				tt.fault(t, rcv)
			}
			sendAll(t, e, tt.recs, tt.want, tt.wantReason, esKey)
			if got := rcv.Count(); got != tt.wantStored {
				t.Errorf("stored %d documents, want %d", got, tt.wantStored)
			}
		})
	}
}

// mustSend delivers docs straight to a receiver with a fresh sink.
func mustSend(tb testing.TB, rcv *sinktest.Elastic, docs [][]byte, ids []string) {
	tb.Helper()
	res, err := mustElastic(tb, sinks.ElasticConfig{URL: rcv.URL()}).Send(context.Background(), docs, ids)
	if err != nil || strings.Trim(outcomes(res), "D") != "" {
		tb.Fatalf("pre-send: %v %+v", err, res)
	}
}

// TestElasticErrors covers what stops delivery: refused credentials (never
// echoed), an untrusted certificate, a cancelled context.
func TestElasticErrors(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		opts    sinktest.ElasticOptions
		ctx     context.Context
		wantErr string
		wantIs  error
	}{
		{name: "wrong API key", opts: sinktest.ElasticOptions{APIKey: "b3RoZXI6a2V5"},
			wantErr: "401 security_exception: unable to authenticate", wantIs: sinks.ErrAuth},
		{name: "self-signed certificate", opts: sinktest.ElasticOptions{APIKey: esKey, TLS: true}, wantErr: "TLS verification"},
		{name: "context cancelled", opts: sinktest.ElasticOptions{APIKey: esKey}, ctx: canceled, wantIs: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := mustElastic(t, sinks.ElasticConfig{URL: sinktest.NewElastic(t, tt.opts).URL()})
			sendFails(t, e, tt.ctx, ecsDocs(3), tt.wantErr, tt.wantIs, esKey, "key-secret-value")
			if tt.wantIs == sinks.ErrAuth {
				if err := e.Setup(context.Background()); !errors.Is(err, sinks.ErrAuth) {
					t.Errorf("Setup() error = %v, want ErrAuth", err)
				}
			}
		})
	}
}

// TestElasticSetup installs the index template twice (idempotent) and
// checks what it maps.
func TestElasticSetup(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esKey, TLS: true})
	e := mustElastic(t, sinks.ElasticConfig{URL: rcv.URL(), TLS: rcv.TLSConfig(), APIKey: "key-id:key-secret-value"})
	for range 2 {
		if err := e.Setup(context.Background()); err != nil {
			t.Fatalf("Setup() error = %v", err)
		}
	}
	var tpl struct {
		IndexPatterns []string        `json:"index_patterns"`
		DataStream    json.RawMessage `json:"data_stream"`
		Template      struct {
			Mappings struct {
				Properties map[string]struct {
					Type       string                     `json:"type"`
					Properties map[string]json.RawMessage `json:"properties"`
				} `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(rcv.Template(sinks.TemplateName), &tpl); err != nil {
		t.Fatalf("installed template: %v", err)
	}
	props := tpl.Template.Mappings.Properties
	got := fmt.Sprintf("%v %s %s %s %s", tpl.IndexPatterns, tpl.DataStream, props["@timestamp"].Type,
		props["source"].Properties["ip"], props["pigment"].Type)
	want := `[logs-pigment.audit-* logs-pigment.alert-*] {} date {"type": "ip"} flattened`
	if got != want {
		t.Errorf("template = %s, want %s", got, want)
	}
}

// TestElasticRecovery: whole-request rejections, item rejections and an
// outage end, and every document is then stored exactly once.
func TestElasticRecovery(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewElastic(t, sinktest.ElasticOptions{APIKey: esKey})
	e := mustElastic(t, sinks.ElasticConfig{URL: rcv.URL()})
	docs, keys := ecsDocs(100), ids(100)
	rcv.Reject(2)
	rcv.RejectItem("e-7", 2)
	rcv.RejectItem("e-70", 1)
	pending := map[int]bool{}
	for i := range docs {
		pending[i] = true
	}
	for round := 0; len(pending) > 0; round++ {
		if round == 3 {
			rcv.Down()
		}
		if round == 4 {
			rcv.Up()
		}
		if round > 10 {
			t.Fatalf("still %d pending after %d rounds", len(pending), round)
		}
		var sd [][]byte
		var si []string
		var idx []int
		for i := range docs {
			if pending[i] {
				sd, si, idx = append(sd, docs[i]), append(si, keys[i]), append(idx, i)
			}
		}
		res, err := e.Send(context.Background(), sd, si)
		if err != nil {
			t.Fatal(err)
		}
		for j, r := range res {
			if r.Outcome == sinks.Delivered {
				delete(pending, idx[j])
			}
		}
	}
	if rcv.Count() != 100 || rcv.Attempts("e-7") != 3 {
		t.Errorf("stored %d documents, e-7 attempted %d times; want 100 and 3", rcv.Count(), rcv.Attempts("e-7"))
	}
}
