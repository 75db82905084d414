package transform

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
)

// fuzzSeeds adds the golden inputs and a few broken ones to f.
func fuzzSeeds(f *testing.F) {
	for _, c := range goldenCases(f) {
		if len(c.raw) < 4096 {
			f.Add(c.raw, c.kind == event.KindAlert)
		}
	}
	for _, s := range []string{``, `{`, `{"eventId":"\ud800"}`, `{"eventId":"e","actor":{"name":"\u0000"}}`, "{\"eventId\":\"e\x01\",\"a\":\"\\\x02\"}", `[1,2]`, `{"eventId":"e"}x`, `{"id":"a","actor":"x@y"}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
}

// FuzzAppend checks every format on anything Parse accepts: no panic, HEC
// and ECS valid one-line JSON carrying the original, syslog and CEF valid
// RFC 5424 lines.
func FuzzAppend(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte, alert bool) {
		kind := event.KindEvent
		if alert {
			kind = event.KindAlert
		}
		ev, err := event.Parse(raw, kind)
		if err != nil {
			return
		}
		checkOutputs(t, "fuzz", &ev)
	})
}
