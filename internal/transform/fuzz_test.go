package transform

import (
	"encoding/json"
	"testing"
)

// fuzzSeeds adds the golden inputs and a few broken ones to f.
func fuzzSeeds(f *testing.F) {
	for _, c := range goldenCases(f) {
		if len(c.raw) < 4096 {
			f.Add(c.raw, c.kind == KindAlert)
		}
	}
	for _, s := range []string{``, `{`, `{"eventId":"\ud800"}`, `{"eventId":"e","actor":{"name":"\u0000"}}`, "{\"eventId\":\"e\x01\",\"a\":\"\\\x02\"}", `[1,2]`, `{"eventId":"e"}x`, `{"id":"a","actor":"x@y"}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
}

// FuzzParse checks Parse accepts exactly the JSON objects encoding/json
// accepts (those with an ID) once raw control characters inside strings
// are escaped (Parse accepts them, see strictJSON), and never panics.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte, alert bool) {
		kind := KindEvent
		if alert {
			kind = KindAlert
		}
		_, err := Parse(raw, kind)
		var obj map[string]json.RawMessage
		valid := json.Unmarshal(strictJSON(raw), &obj) == nil && obj != nil
		if err == nil && !valid {
			t.Errorf("Parse(%q) accepted what encoding/json rejects", raw)
		}
		if err != nil && valid && isSyntax(err) {
			t.Errorf("Parse(%q) = %v, but encoding/json accepts it", raw, err)
		}
	})
}

func isSyntax(err error) bool {
	for e := err; e != nil; {
		if e == errSyntax {
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}

// FuzzAppend checks every format on anything Parse accepts: no panic, HEC
// and ECS valid one-line JSON carrying the original, syslog and CEF valid
// RFC 5424 lines.
func FuzzAppend(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte, alert bool) {
		kind := KindEvent
		if alert {
			kind = KindAlert
		}
		ev, err := Parse(raw, kind)
		if err != nil {
			return
		}
		checkOutputs(t, "fuzz", &ev)
	})
}
