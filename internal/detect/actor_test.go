package detect

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestOneMemberCountedAcrossEnvelopes feeds one member's exports in every
// actor shape the API notes list, as records read from Kafka (event.Parse
// of the raw JSON): a per-actor threshold rule counts them together, one
// alert for the member with all 21, as if they had come in one envelope.
func TestOneMemberCountedAcrossEnvelopes(t *testing.T) {
	shapes := []string{
		`"actor":{"memberId":"m-1","email":"ann@acme.io","name":"Ann"},"target":{"applicationId":"a1","applicationName":"Budget"},"metadata":{}`,
		`"actor":{"user":{"id":"m-1","email":"ann@acme.io","name":"Ann"},"type":"User"},"context":{"applicationId":"a1"},"payload":{}`,
		`"actor":{"id":"m-1","name":"Ann","email":"ann@acme.io","type":"User"},"context":{"applicationId":"a1"},"payload":{}`,
		`"actor":{"userId":"m-1"},"context":{"applicationId":"a1"}`,
		`"actor":{"user":{"memberId":"m-1","email":"ann@acme.io"}}`,
		`"actor":{"memberId":"m-1","id":"not-the-member","user":{"id":"nor-this"}}`,
		`"actor":"m-1"`,
	}
	start := time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC)
	raws := make([][]byte, 21)
	for i := range raws {
		ts := start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		raws[i] = fmt.Appendf(nil, `{"eventId":"e%d","eventType":"ExportExecuted","eventTimestamp":%q,"ingestionTimestamp":%q,%s}`, i, ts, ts, shapes[i%len(shapes)])
	}
	evs := make([]event.Event, len(raws))
	for i, raw := range raws {
		var err error
		if evs[i], err = event.Parse(raw, event.KindEvent); err != nil {
			t.Fatalf("Parse(%s): %v", raw, err)
		}
	}
	e := mustEngine(t, mustRules(t, nil, "export-burst"))
	alerts := feed(e, evs, time.Time{})
	if got, want := keys(alerts), []string{"export-burst actor:m-1 count=21"}; !slices.Equal(got, want) {
		t.Fatalf("alerts = %q, want %q", got, want)
	}
	if a := alerts[0]; a.Actor != "m-1" || a.ActorEmail != "ann@acme.io" {
		t.Errorf("alert actor = %q, email %q; want m-1, ann@acme.io", a.Actor, a.ActorEmail)
	}
}
