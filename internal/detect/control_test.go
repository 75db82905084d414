package detect

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestRawControlCharactersCounted feeds events whose strings hold raw
// control characters, as extract produces them, read as detect reads
// records (event.Parse): the member's exports are counted under the
// member, and a role change is read with its roles and target.
func TestRawControlCharactersCounted(t *testing.T) {
	start := time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC)
	var raws [][]byte
	for i := range 21 {
		ts := start.Add(time.Duration(i) * time.Minute).Format(time.RFC3339)
		raws = append(raws, fmt.Appendf(nil, "{\"eventId\":\"e%d\",\"eventType\":\"ExportExecuted\",\"eventTimestamp\":%q,\"ingestionTimestamp\":%q,"+
			"\"actor\":{\"memberId\":\"m-1\",\"email\":\"ann@acme.io\",\"name\":\"Ann\x01\\tB\x1f\"},\"metadata\":{\"note\":\"l1\nl2\x00\"}}", i, ts, ts))
	}
	raws = append(raws, []byte("{\"eventId\":\"r1\",\"eventType\":\"RoleChanged\",\"eventTimestamp\":\"2025-06-10T11:00:00Z\","+
		"\"actor\":{\"memberId\":\"m-1\",\"name\":\"Ann\x01\"},\"metadata\":{\"targetMemberId\":\"m-9\",\"previousRole\":\"Viewer\",\"newRole\":\"Builder\",\"reason\":\"tab\there\x02\"}}"))
	evs := make([]event.Event, len(raws))
	for i, raw := range raws {
		var err error
		if evs[i], err = event.Parse(raw, event.KindEvent); err != nil {
			t.Fatalf("Parse(%q): %v", raw, err)
		}
	}
	e := mustEngine(t, mustRules(t, nil, "export-burst", "privilege-escalation"))
	alerts := feed(e, evs, time.Time{})
	want := []string{"export-burst actor:m-1 count=21", "privilege-escalation member:m-9 count=1"}
	if got := keys(alerts); !slices.Equal(got, want) {
		t.Fatalf("alerts = %q, want %q", got, want)
	}
	for _, a := range alerts {
		if a.Actor != "m-1" {
			t.Errorf("alert %s: actor = %q, want m-1", a.Rule, a.Actor)
		}
	}
}
