package transform

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
)

// For the external tests of package transform_test.
var (
	LeafPaths = leafPaths // the dotted paths of a JSON document's values
	ECSField  = ecsField  // the field of ECSFields a path belongs to
)

// MustGoldenAndSimEvents returns the golden inputs and up to n simulator
// events in each envelope, parsed.
func MustGoldenAndSimEvents(tb testing.TB, n int) []event.Event {
	tb.Helper()
	var out []event.Event
	for _, c := range goldenAndSimCases(tb, n) {
		ev, err := event.Parse(c.raw, c.kind)
		if err != nil {
			tb.Fatalf("Parse(%s) error %v", c.name, err)
		}
		out = append(out, ev)
	}
	return out
}
