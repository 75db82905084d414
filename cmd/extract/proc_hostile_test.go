package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestHostilePageIsExtracted serves a page with a raw control character
// inside one event (invalid JSON strictly, emitted by real producers) and
// one element that cannot be read at all: `extract once` must produce every
// readable event, the first with its bytes exactly as sent, and dead-letter
// the unreadable element with its position and reason. The whole page used
// to fail on every poll.
func TestHostilePageIsExtracted(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 1})
	api := testkit.NewFakeAPI(t)
	api.PageSize = 10
	at := time.Now().UTC().Add(-time.Hour)
	stamp := func(d time.Duration) string { return at.Add(d).Format(time.RFC3339Nano) }
	api.Add(t, "good-1", stamp(1*time.Second), "")
	control := "{\"eventId\":\"ctl-1\",\"ingestionTimestamp\":\"" + stamp(2*time.Second) + "\",\"metadata\":{\"note\":\"line 1\nline 2\ttab\x01\"}}"
	api.AddRaw("ctl-1", at.Add(2*time.Second), control)
	broken := `{"eventId":"broken-1","ingestionTimestamp":"` + stamp(3*time.Second) + `","x":"\q"}`
	api.AddRaw("broken-1", at.Add(3*time.Second), broken)
	api.Add(t, "good-2", stamp(4*time.Second), "")
	env := fakeAPIEnv(api, s, nil)
	for range 2 {
		mustRunExtract(t, env, "once")
	}

	want := []string{"good-1", "ctl-1", "good-2"}
	got := s.topicIDs(t)
	d := diffIDs(got, want)
	d.check(t, want)
	if d.duplicates > 0 {
		t.Errorf("topic holds %d records for %d events", len(got), len(want))
	}
	for _, m := range testkit.ReadAll(t, s.brokers, s.topic) {
		if testkit.Header(m, record.HeaderEventID) == "ctl-1" && !bytes.Equal(m.Value, []byte(control)) {
			t.Errorf("ctl-1 value = %q, want the bytes as sent %q", m.Value, control)
		}
	}
	dlq := testkit.ReadAll(t, s.brokers, s.topic+"-dlq")
	if len(dlq) != 1 {
		t.Fatalf("DLQ holds %d records, want 1 (the unreadable element)", len(dlq))
	}
	reason := testkit.Header(dlq[0], record.HeaderDLQReason)
	if string(dlq[0].Value) != broken || !strings.Contains(reason, "element 2") || !strings.Contains(reason, "invalid escape") {
		t.Errorf("DLQ record = %q, reason %q; want the element's bytes and a reason naming element 2 and the invalid escape", dlq[0].Value, reason)
	}
}
