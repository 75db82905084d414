package sinks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
)

const hecToken = "11111111-2222-3333-4444-555555555555"

func mustHEC(tb testing.TB, cfg sinks.HECConfig) *sinks.HEC {
	tb.Helper()
	if cfg.Token == "" {
		cfg.Token = hecToken
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	h, err := sinks.NewHEC(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// TestHECAnswers sends one batch per case to a strict receiver and checks
// every record's outcome and what was indexed.
func TestHECAnswers(t *testing.T) {
	t.Parallel()
	recs := hecEvents(5)
	tests := []struct {
		name        string
		opts        sinktest.HECOptions
		cfg         sinks.HECConfig
		fault       func(*sinktest.HEC)
		recs        [][]byte
		want        string
		wantIndexed int
		wantReason  string // in the first non-delivered result
		wantAfter   time.Duration
	}{
		{name: "all delivered", recs: recs, want: "DDDDD", wantIndexed: 5},
		{name: "gzip", cfg: sinks.HECConfig{Gzip: true}, recs: recs, want: "DDDDD", wantIndexed: 5},
		{name: "gzip, Huffman only", cfg: sinks.HECConfig{Gzip: true, GzipLevel: -2}, recs: recs, want: "DDDDD", wantIndexed: 5},
		{name: "gzip, best compression", cfg: sinks.HECConfig{Gzip: true, GzipLevel: 9}, recs: recs, want: "DDDDD", wantIndexed: 5},
		{name: "invalid JSON in the middle", recs: with(recs, 2, `{"time":1,"event":{"eventId":"bad"`),
			want: "DDXDD", wantIndexed: 4, wantReason: "Invalid data format (code 6)"},
		{name: "raw control character in a string", recs: with(recs, 3, "{\"time\":1,\"event\":{\"eventId\":\"e-3\",\"name\":\"A\x1fB\"}}"),
			want: "DDDXD", wantIndexed: 4, wantReason: "Invalid data format (code 6)"},
		{name: "event field missing", recs: with(recs, 1, `{"time":1,"fields":{}}`),
			want: "DXDDD", wantIndexed: 4, wantReason: "Event field is required (code 12)"},
		{name: "nested indexed field", recs: with(recs, 1, `{"time":1,"event":{"eventId":"e-n"},"fields":{"user":{"id":"u-1"}}}`),
			want: "DXDDD", wantIndexed: 4, wantReason: "Error in handling indexed fields (code 15)"},
		{name: "indexed field array of arrays", recs: with(recs, 2, `{"time":1,"event":{"eventId":"e-a"},"fields":{"wins":["a",["b"]]}}`),
			want: "DDXDD", wantIndexed: 4, wantReason: "Error in handling indexed fields (code 15)"},
		{name: "indexed fields not an object", recs: with(recs, 3, `{"time":1,"event":{"eventId":"e-o"},"fields":["a"]}`),
			want: "DDDXD", wantIndexed: 4, wantReason: "Error in handling indexed fields (code 15)"},
		{name: "flat indexed fields, one multivalue", recs: with(recs, 0, `{"time":1,"event":{"eventId":"e-f"},"fields":{"club":"glee","wins":["regionals","nationals"],"n":1.5,"ok":true}}`),
			want: "DDDDD", wantIndexed: 5},
		{name: "blank event, last", recs: with(recs, 4, `{"event":""}`),
			want: "DDDDX", wantIndexed: 4, wantReason: "Event field cannot be blank (code 13)"},
		{name: "two poisons", recs: with(with(recs, 0, `not json`), 3, `{"time":"soon","event":{}}`),
			want: "XDDXD", wantIndexed: 3, wantReason: "Invalid data format"},
		{name: "server busy", opts: sinktest.HECOptions{RetryAfter: "3"}, fault: func(h *sinktest.HEC) { h.Busy(1) },
			recs: recs, want: "RRRRR", wantReason: "503 Server is busy (code 9)", wantAfter: 3 * time.Second},
		{name: "too many requests", fault: func(h *sinktest.HEC) { h.TooMany(1) },
			recs: recs, want: "RRRRR", wantReason: "429"},
		{name: "slower than the timeout", cfg: sinks.HECConfig{Timeout: 100 * time.Millisecond},
			fault: func(h *sinktest.HEC) { h.Slow(time.Second) }, recs: recs, want: "RRRRR", wantReason: "Timeout"},
		{name: "down", fault: func(h *sinktest.HEC) { h.Down() }, recs: recs, want: "RRRRR", wantReason: "refused"},
		{name: "too large: the big one found by bisection", opts: sinktest.HECOptions{MaxContentLength: 600},
			recs: with(recs, 3, `{"event":"`+strings.Repeat("x", 700)+`"}`),
			want: "DDDXD", wantIndexed: 4, wantReason: "413"},
		{name: "ack", opts: sinktest.HECOptions{RequireAck: true, AckAfter: 3},
			cfg: sinks.HECConfig{Ack: true, AckPoll: 5 * time.Millisecond}, recs: recs, want: "DDDDD", wantIndexed: 5},
		{name: "ack never comes", opts: sinktest.HECOptions{RequireAck: true, NeverAck: true},
			cfg:  sinks.HECConfig{Ack: true, AckPoll: 5 * time.Millisecond, AckTimeout: 150 * time.Millisecond},
			recs: recs, want: "RRRRR", wantIndexed: 5, wantReason: "not acknowledged within 150ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rcv := hecReceiver(t, tt.opts)
			tt.cfg.URL = rcv.URL()
			h := mustHEC(t, tt.cfg)
			if tt.fault != nil {
				tt.fault(rcv)
			}
			res := sendAll(t, h, tt.recs, tt.want, tt.wantReason, hecToken)
			if got := rcv.Count(); got != tt.wantIndexed {
				t.Errorf("indexed %d events, want %d", got, tt.wantIndexed)
			}
			if got := rcv.Duplicates(); got != 0 {
				t.Errorf("indexed %d duplicates, want 0", got)
			}
			if _, after := firstProblem(res); after != tt.wantAfter {
				t.Errorf("RetryAfter = %v, want %v", after, tt.wantAfter)
			}
		})
	}
}

func firstProblem(rs []sinks.Result) (string, time.Duration) {
	for _, r := range rs {
		if r.Outcome != sinks.Delivered {
			return r.Reason, r.RetryAfter
		}
	}
	return "", 0
}

// TestHECErrors covers the answers that stop delivery: refused credentials
// (never echoing the token), channel misconfiguration, an untrusted
// certificate, a cancelled context.
func TestHECErrors(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		opts    sinktest.HECOptions
		cfg     sinks.HECConfig
		ctx     context.Context
		wantErr string
		wantIs  error
	}{
		{name: "wrong token", opts: sinktest.HECOptions{Token: "the-right-one"}, wantErr: "403 Invalid token (code 4)", wantIs: sinks.ErrAuth},
		{name: "ack needed, none configured", opts: sinktest.HECOptions{RequireAck: true}, wantErr: "Data channel is missing (code 10)"},
		{name: "ack configured, disabled on the token", cfg: sinks.HECConfig{Ack: true}, wantErr: "no ackId"},
		{name: "self-signed certificate", opts: sinktest.HECOptions{TLS: true}, wantErr: "TLS verification"},
		{name: "context cancelled", ctx: canceled, wantIs: context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.cfg.URL = hecReceiver(t, tt.opts).URL()
			sendFails(t, mustHEC(t, tt.cfg), tt.ctx, hecEvents(3), tt.wantErr, tt.wantIs, hecToken)
		})
	}
}

// TestHECRecovery: a busy storm, a slow spell and an outage end, and every
// event is then indexed exactly once.
func TestHECRecovery(t *testing.T) {
	t.Parallel()
	rcv := sinktest.NewHEC(t, sinktest.HECOptions{Token: hecToken, TLS: true})
	h := mustHEC(t, sinks.HECConfig{URL: rcv.URL(), TLS: rcv.TLSConfig(), Gzip: true, Timeout: 200 * time.Millisecond})
	recs := hecEvents(50)
	rcv.Busy(3)
	var results []string
	for range 3 {
		res, err := h.Send(context.Background(), recs, ids(50))
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, outcomes(res)[:1])
	}
	rcv.Slow(time.Second)
	res, _ := h.Send(context.Background(), recs, ids(50))
	results = append(results, outcomes(res)[:1])
	rcv.Slow(0)
	rcv.Down()
	res, _ = h.Send(context.Background(), recs, ids(50))
	results = append(results, outcomes(res)[:1])
	rcv.Up()
	res, err := h.Send(context.Background(), recs, ids(50))
	if err != nil {
		t.Fatal(err)
	}
	results = append(results, outcomes(res))
	want := "R R R R R " + strings.Repeat("D", 50)
	if got := strings.Join(results, " "); got != want {
		t.Errorf("outcomes over the storm = %s, want %s", got, want)
	}
	if rcv.Unique() != 50 || rcv.Duplicates() != 0 {
		t.Errorf("indexed %d unique events and %d duplicates, want 50 and 0", rcv.Unique(), rcv.Duplicates())
	}
}

// TestHECBisect: a 400 without invalid-event-number (as some proxies and
// older collectors answer) is resolved by splitting the batch.
func TestHECBisect(t *testing.T) {
	t.Parallel()
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "poison") {
			http.Error(w, `{"text":"Invalid data format","code":6}`, http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"text":"Success","code":0}`))
	}))
	t.Cleanup(srv.Close)
	h := mustHEC(t, sinks.HECConfig{URL: srv.URL})
	recs := with(hecEvents(8), 5, `{"event":"poison"}`)
	res, err := h.Send(context.Background(), recs, ids(8))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := outcomes(res), "DDDDDXDD"; got != want {
		t.Errorf("Send() outcomes = %s, want %s", got, want)
	}
	if calls > 7 {
		t.Errorf("bisection took %d requests, want at most 7", calls)
	}
}
