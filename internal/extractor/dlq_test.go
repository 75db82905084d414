package extractor_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestBadEventsGoToTheDeadLetterTopic serves one page mixing a good event
// with every kind of bad element: each bad one must land in the DLQ with its
// reason and original bytes, and the good one in the events topic.
func TestBadEventsGoToTheDeadLetterTopic(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsimDefaults())
	huge := `{"eventId":"huge-1","eventType":"DataModified","ingestionTimestamp":"2026-11-01T11:00:00Z","metadata":{"blob":"` +
		strings.Repeat("x", 30_000) + `"}}`
	page := `{"events":[` +
		`{"eventId":"good-1","eventType":"UserLoggedIn","ingestionTimestamp":"2026-11-01T11:00:01Z","actor":{"memberId":"m1"}},` +
		`{"eventType":"UserLoggedIn","ingestionTimestamp":"2026-11-01T11:00:02Z"},` +
		`42,` +
		`{"eventId":"bad-time","eventType":"X","ingestionTimestamp":"yesterday"},` +
		huge + `],"pagination":{"nextCursor":null}}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	client, err := pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: simKey, Logger: testLogger(t), Now: h.now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.config()
	cfg.MaxMessageBytes = 20_000
	res, err := extractor.New(cfg, client, h.pub, h.store).CatchUp(context.Background())
	if err != nil {
		t.Fatal(err)
	}

	if got := h.produced(); len(got) != 1 || got[0] != "good-1" {
		t.Errorf("events topic = %v, want only good-1", got)
	}
	wantReasons := []string{"missing eventId", "not a JSON object", "ingestionTimestamp", "oversized"}
	dlq := testkit.ReadAll(t, h.brokers, h.dlq)
	if len(dlq) != len(wantReasons) {
		t.Fatalf("DLQ holds %d records, want %d", len(dlq), len(wantReasons))
	}
	for _, want := range wantReasons {
		found := false
		for _, m := range dlq {
			if strings.Contains(testkit.Header(m, record.HeaderDLQReason), want) {
				found = true
				if testkit.Header(m, record.HeaderDLQStage) != "extract" || len(m.Value) == 0 {
					t.Errorf("DLQ record for %q: stage %q, %d bytes", want, testkit.Header(m, record.HeaderDLQStage), len(m.Value))
				}
			}
		}
		if !found {
			t.Errorf("no DLQ record with a reason containing %q", want)
		}
	}
	for _, m := range dlq {
		if strings.Contains(testkit.Header(m, record.HeaderDLQReason), "oversized") {
			if testkit.Header(m, record.HeaderDLQTruncated) != "true" || testkit.Header(m, record.HeaderDLQSize) != strconv.Itoa(len(huge)) || len(m.Value) > 20_000 {
				t.Errorf("oversized DLQ record: truncated=%q size=%q len=%d", testkit.Header(m, record.HeaderDLQTruncated), testkit.Header(m, record.HeaderDLQSize), len(m.Value))
			}
		}
	}
	if res.Run.DLQ != 4 || res.Run.Fetched != 5 {
		t.Errorf("run counted %d fetched, %d to the DLQ; want 5 and 4", res.Run.Fetched, res.Run.DLQ)
	}
}

func pigmentsimDefaults() pigmentsim.Config { return pigmentsim.Config{Seed: 1} }
