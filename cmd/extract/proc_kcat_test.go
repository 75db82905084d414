package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestKcatReadsEveryEvent reads the topic written by `extract once` with an
// independent client (librdkafka's kcat): every event is there once, with a
// key, its eventId header, and the event's JSON as payload.
func TestKcatReadsEveryEvent(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 44, History: 6 * time.Hour, HistoryEvents: 2500, LateFraction: -1})
	env := s.ExtractEnv(nil)
	testkit.MustRun(t, extractBin, env, "once")
	want := s.sim.VisibleIDs(time.Now())

	var got []string
	for _, r := range testkit.Kcat(t, s.Brokers, s.Topic) {
		id := r.Header(record.HeaderEventID)
		got = append(got, id)
		if r.Key == nil || *r.Key == "" || r.Payload == nil || len(r.Headers)%2 != 0 {
			t.Errorf("kcat record %d/%d: want a key, a payload and name/value headers, got %+v", r.Partition, r.Offset, r)
			continue
		}
		var ev struct {
			EventID string `json:"eventId"`
		}
		if err := json.Unmarshal([]byte(*r.Payload), &ev); err != nil || ev.EventID != id {
			t.Errorf("kcat record %d/%d: payload eventId %q (%v), header eventId %q", r.Partition, r.Offset, ev.EventID, err, id)
		}
	}
	d := diffIDs(got, want)
	d.check(t, want)
	if len(got) != d.distinct {
		t.Errorf("kcat read %d records for %d distinct events", len(got), d.distinct)
	}
}
