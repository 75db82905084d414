package extractor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

func TestCatchUpProducesEveryEventOnce(t *testing.T) {
	tests := []struct{ shape, order string }{
		{pigmentsim.ShapeDescribed, pigmentsim.OrderDesc},
		{pigmentsim.ShapeDescribed, pigmentsim.OrderAsc},
		{pigmentsim.ShapePublic, pigmentsim.OrderDesc},
		{pigmentsim.ShapePublic, pigmentsim.OrderAsc},
	}
	for _, tt := range tests {
		t.Run(tt.shape+"/"+tt.order, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, pigmentsim.Config{
				Seed: 7, Shape: tt.shape, Order: tt.order, History: 6 * time.Hour, HistoryEvents: 3500,
			})
			res := h.catchUp(h.config())

			want := h.sim.VisibleIDs(h.now())
			assertExactlyOnce(t, h.produced(), want)
			if res.Run.Produced != int64(len(want)) || res.Run.Pages != 4 {
				t.Errorf("run counted %d produced in %d pages, want %d in 4", res.Run.Produced, res.Run.Pages, len(want))
			}
			if res.Watermark.IsZero() || res.Watermark.After(h.now()) {
				t.Errorf("watermark = %v, want the newest ingestion time before %v", res.Watermark, h.now())
			}
			assertRecordsAreTheAPIBytes(t, h)
		})
	}
}

// assertRecordsAreTheAPIBytes checks the topic contract: the value is the
// event exactly as the API served it, the key is the actor, the headers
// carry eventId, eventType and ingestionTimestamp.
func assertRecordsAreTheAPIBytes(t *testing.T, h *harness) {
	t.Helper()
	served := map[string][]byte{}
	for _, ev := range fetchAll(t, h) {
		served[ev.ID] = ev.Raw
	}
	for _, m := range testkit.ReadAll(t, h.brokers, h.topic) {
		id := testkit.Header(m, record.HeaderEventID)
		if !bytes.Equal(m.Value, served[id]) {
			t.Fatalf("record %s value differs from the API's bytes:\n got %s\nwant %s", id, m.Value, served[id])
		}
		var ev struct {
			EventID   string `json:"eventId"`
			EventType string `json:"eventType"`
			Ingestion string `json:"ingestionTimestamp"`
			Actor     struct {
				MemberID string `json:"memberId"`
				ID       string `json:"id"`
				User     struct {
					ID string `json:"id"`
				} `json:"user"` // the public shape
			} `json:"actor"`
		}
		if err := json.Unmarshal(m.Value, &ev); err != nil {
			t.Fatalf("record %s is not JSON: %v", id, err)
		}
		actor := ev.Actor.MemberID + ev.Actor.ID + ev.Actor.User.ID
		if ev.EventID != id || string(m.Key) != actor || testkit.Header(m, record.HeaderEventType) != ev.EventType {
			t.Fatalf("record %s: key %q, headers %v; want key %q and the event's id and type", id, m.Key, m.Headers, actor)
		}
		ing, err := time.Parse(time.RFC3339Nano, testkit.Header(m, record.HeaderIngestion))
		want, _ := time.Parse(time.RFC3339Nano, ev.Ingestion)
		if err != nil || !ing.Equal(want) {
			t.Fatalf("record %s: ingestionTimestamp header %q, want %s", id, testkit.Header(m, record.HeaderIngestion), ev.Ingestion)
		}
	}
}

func TestOverlapCatchesLateVisibleEventsWithoutDuplicates(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 3, History: 2 * time.Hour, HistoryEvents: 1500, LateFraction: -1})
	first := h.catchUp(h.config())
	wm := first.Watermark

	// Visible only after the first run, yet ingested before its watermark:
	// the real API does this, and only the overlap re-query finds them.
	now := h.now()
	late := []pigmentsim.Injected{
		{ID: "late-inside-overlap-1", Type: "UserLoggedIn", EventTime: wm.Add(-3 * time.Minute), IngestionTime: wm.Add(-2 * time.Minute), VisibleAt: now.Add(30 * time.Second)},
		{ID: "late-inside-overlap-2", Type: "BlockDeleted", EventTime: wm.Add(-9 * time.Minute), IngestionTime: wm.Add(-8 * time.Minute), VisibleAt: now.Add(40 * time.Second)},
		{ID: "new-after-watermark", Type: "UserLoggedOut", EventTime: now, IngestionTime: now.Add(10 * time.Second)},
	}
	h.sim.Inject(late...)
	h.clock.Add(time.Minute)

	second := h.catchUp(h.config())
	assertExactlyOnce(t, h.produced(), h.sim.VisibleIDs(h.now()))
	if second.Run.Produced != 3 {
		t.Errorf("second run produced %d, want the 3 new events", second.Run.Produced)
	}
	if second.Run.Duplicates == 0 {
		t.Errorf("second run re-read the overlap but counted no duplicates")
	}
	if !second.Watermark.After(wm) {
		t.Errorf("watermark did not advance: %v then %v", wm, second.Watermark)
	}
}

func TestBackfillCoversItsRangeOnly(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 11, History: 10 * time.Hour, HistoryEvents: 4000, LateFraction: -1})
	from, until := h.now().Add(-8*time.Hour), h.now().Add(-3*time.Hour)
	cfg := h.config()
	cfg.Checkpoint, cfg.Mode, cfg.From, cfg.Until = "backfill:q", "backfill", from, until

	res := h.catchUp(cfg)
	var want []string
	for _, m := range fetchAll(t, h) {
		if !m.Ingested.Before(from) && m.Ingested.Before(until) {
			want = append(want, m.ID)
		}
	}
	assertExactlyOnce(t, h.produced(), want)
	if res.Run.Skipped == 0 {
		t.Errorf("no event after --to was skipped; the range check did nothing")
	}
	again := h.catchUp(cfg)
	if !again.AlreadyComplete {
		t.Errorf("second backfill with the same name ran again: %+v", again)
	}
	cp, err := h.store.Load(context.Background(), "backfill:q")
	if err != nil || !cp.Complete || !cp.Watermark.Equal(until) {
		t.Errorf("checkpoint = %+v, %v; want complete at %v", cp, err, until)
	}
}

// fetchAll reads every event the API serves now, straight from the client.
func fetchAll(t testing.TB, h *harness) []event.Event {
	t.Helper()
	var all []event.Event
	cursor := ""
	for {
		page, err := h.client.FetchPage(context.Background(), h.now().Add(-30*24*time.Hour), cursor)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		if cursor = page.NextCursor; cursor == "" {
			return all
		}
	}
}
