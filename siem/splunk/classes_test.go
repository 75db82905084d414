package splunkapp

import (
	"slices"
	"testing"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// TestEveryClassInOneEventtype checks every event type the formats
// categorise (internal/transform's one table), in both vocabularies,
// against the app's event types, beside the simulator's types of
// TestEveryEventTypeInOneEventtype: a type the format gives CIM change or
// authentication fields is in exactly one event type, tagged for that data
// model, even before the simulator emits it.
func TestEveryClassInOneEventtype(t *testing.T) {
	matchers, tags := appEventtypes(t)
	wantTag := map[string]string{"Authentication": "authentication", "Change": "change"}
	for _, c := range transform.EventClasses() {
		got := matching(matchers, "pigment:audit", c.Type)
		if len(got) != 1 {
			t.Errorf("%s (CIM %q) matches event types %q, want exactly one", c.Type, c.CIMModel, got)
			continue
		}
		if tag := wantTag[c.CIMModel]; tag != "" && !slices.Contains(tags[got[0]], tag) {
			t.Errorf("%s (CIM %s) is in %s tagged %q, want %s among them", c.Type, c.CIMModel, got[0], tags[got[0]], tag)
		}
	}
}
