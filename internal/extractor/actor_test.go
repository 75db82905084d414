package extractor_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestOneMemberOneKeyInEveryEnvelope serves one member's events in every
// actor shape the API notes list, mixed with other members', and reads the
// topic back: each member's records have the member's id as key, and so one
// partition; an actor known only by email is keyed by it; an event with no
// actor by its eventId.
func TestOneMemberOneKeyInEveryEnvelope(t *testing.T) {
	t.Parallel()
	h := newHarness(t, pigmentsim.Config{Seed: 16, History: time.Hour, HistoryEvents: 10})
	at := h.now().Add(-30 * time.Minute)
	shapes := []string{
		`"actor":{"memberId":%q,"email":"a@acme.io","name":"Ann"},"target":{"applicationId":null,"applicationName":null},"metadata":{}`,
		`"actor":{"user":{"id":%q,"email":"a@acme.io","name":"Ann"},"type":"User"},"context":{"workspaceId":"w"},"payload":{}`,
		`"actor":{"id":%q,"name":"Ann","email":"a@acme.io","type":"User"},"context":{},"payload":{}`,
		`"actor":{"userId":%q},"payload":{}`,
		`"actor":{"user":{"userId":%q}}`,
		`"actor":%q`,
	}
	wantKey := map[string]string{}
	var events []string
	add := func(id, actor, key string) {
		ts := at.Add(-time.Duration(len(events)) * time.Second).Format(time.RFC3339Nano)
		events = append(events, fmt.Sprintf(`{"eventId":%q,"eventType":"UserLoggedIn","eventTimestamp":%q,"ingestionTimestamp":%q,%s}`, id, ts, ts, actor))
		wantKey[id] = key
	}
	for _, member := range []string{"m-7", "m-8", "m-9", "m-10"} {
		for i, shape := range shapes {
			add(fmt.Sprintf("%s-e%d", member, i), fmt.Sprintf(shape, member), member)
		}
	}
	add("by-email", `"actor":{"user":{"email":"z@acme.io","name":"Zed"}}`, "z@acme.io")
	add("no-actor", `"actor":null`, "no-actor")
	page := `{"events":[` + strings.Join(events, ",") + `],"nextEventsCursor":null}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(page))
	}))
	t.Cleanup(srv.Close)
	var err error
	h.client, err = pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: simKey, Logger: testLogger(t), MaxAttempts: 3, Now: h.now})
	if err != nil {
		t.Fatal(err)
	}

	h.catchUp(h.config())
	msgs := testkit.ReadAll(t, h.brokers, h.topic)
	if len(msgs) != len(wantKey) {
		t.Fatalf("topic holds %d records, want %d", len(msgs), len(wantKey))
	}
	partition := map[string]int{}
	for _, m := range msgs {
		id := testkit.Header(m, record.HeaderEventID)
		if string(m.Key) != wantKey[id] {
			t.Errorf("record %s: key %q, want %q", id, m.Key, wantKey[id])
		}
		if p, ok := partition[string(m.Key)]; ok && p != m.Partition {
			t.Errorf("record %s of %s in partition %d, its other records in %d", id, m.Key, m.Partition, p)
		}
		partition[string(m.Key)] = m.Partition
	}
}
