package extractor

import (
	"strconv"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

func TestPlanPutsEveryElementInOneBucket(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	ev := func(id string, min int) event.Event {
		return event.Event{ID: id, Raw: []byte(`{"eventId":"` + id + `"}`), Ingested: t0.Add(time.Duration(min) * time.Minute)}
	}
	tests := []struct {
		name                                     string
		events                                   []event.Event
		invalid                                  int
		seen                                     []string
		until                                    time.Time
		high                                     time.Time
		limit, futureAfter                       time.Time
		wantRecords, wantDups, wantSkip, wantDLQ int
		wantFuture                               int
		wantHigh                                 time.Time
	}{
		{name: "all new", events: []event.Event{ev("a", 3), ev("b", 1)}, wantRecords: 2, wantHigh: t0.Add(3 * time.Minute)},
		{name: "seen before", events: []event.Event{ev("a", 3), ev("b", 1)}, seen: []string{"b"}, wantRecords: 1, wantDups: 1, wantHigh: t0.Add(3 * time.Minute)},
		{name: "twice in one page", events: []event.Event{ev("a", 3), ev("a", 3)}, wantRecords: 1, wantDups: 1, wantHigh: t0.Add(3 * time.Minute)},
		{name: "backfill bound is exclusive", events: []event.Event{ev("a", 5), ev("b", 4)}, until: t0.Add(5 * time.Minute), wantRecords: 1, wantSkip: 1, wantHigh: t0.Add(4 * time.Minute)},
		{name: "invalid to the DLQ", events: []event.Event{ev("a", 1)}, invalid: 2, wantRecords: 3, wantDLQ: 2, wantHigh: t0.Add(time.Minute)},
		{name: "high never goes back", events: []event.Event{ev("a", 1)}, high: t0.Add(time.Hour), wantRecords: 1, wantHigh: t0.Add(time.Hour)},
		{name: "empty page", wantHigh: time.Time{}},
		{name: "future event: produced, high stops at the limit", events: []event.Event{ev("a", 24*60), ev("b", 1)}, limit: t0.Add(2 * time.Minute), futureAfter: t0.Add(3 * time.Minute), wantRecords: 2, wantFuture: 1, wantHigh: t0.Add(2 * time.Minute)},
		{name: "future event seen before: no second count", events: []event.Event{ev("a", 24*60)}, seen: []string{"a"}, limit: t0.Add(2 * time.Minute), futureAfter: t0.Add(3 * time.Minute), wantDups: 1, wantHigh: t0.Add(2 * time.Minute)},
		{name: "after the start, within the skew: high stops at the start, not future", events: []event.Event{ev("a", 3)}, limit: t0.Add(2 * time.Minute), futureAfter: t0.Add(4 * time.Minute), wantRecords: 1, wantHigh: t0.Add(2 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page := &pigment.Page{Events: tt.events}
			for i := range tt.invalid { // distinct bytes: identical ones are one element served twice
				page.Invalid = append(page.Invalid, pigment.Invalid{Raw: []byte(strconv.Itoa(42 + i)), Reason: "not a JSON object"})
			}
			seen := map[string]struct{}{}
			for _, id := range tt.seen {
				seen[id] = struct{}{}
			}
			out := plan(planIn{page: page, seen: seen, until: tt.until, topic: "t", dlqTopic: "d", maxBytes: 1 << 20, now: t0, limit: tt.limit, futureAfter: tt.futureAfter}, tt.high)
			c := out.commit
			if len(out.records) != tt.wantRecords || c.Duplicates != tt.wantDups || c.Skipped != tt.wantSkip || c.DLQ != tt.wantDLQ || !c.High.Equal(tt.wantHigh) {
				t.Errorf("plan = %d records, %d dups, %d skipped, %d DLQ, high %v; want %d, %d, %d, %d, %v",
					len(out.records), c.Duplicates, c.Skipped, c.DLQ, c.High, tt.wantRecords, tt.wantDups, tt.wantSkip, tt.wantDLQ, tt.wantHigh)
			}
			if len(out.future) != tt.wantFuture {
				t.Errorf("plan counted %d future events, want %d", len(out.future), tt.wantFuture)
			}
			if got := len(c.Produced) + c.Duplicates + c.Skipped + tt.invalid; got != len(tt.events)+tt.invalid || c.Fetched != got {
				t.Errorf("%d elements accounted for (fetched %d), want %d: an element went nowhere", got, c.Fetched, len(tt.events)+tt.invalid)
			}
		})
	}
}
