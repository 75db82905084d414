package event

import (
	"encoding/json"
	"testing"

	"github.com/pigment-siem/pipeline/internal/jsonscan/jsontest"
)

// parseSeeds adds events in both envelopes, alerts and a few broken
// records to f.
func parseSeeds(f *testing.F) {
	for _, s := range []string{
		`{"eventId":"e-1","eventType":"UserLoggedIn","eventTimestamp":"2024-01-15T10:30:00Z","ingestionTimestamp":"2024-01-15T10:30:05.123456789Z","actor":{"memberId":"m-1","email":"a@b.c","name":"Jos\u00e9"},"target":{"applicationId":"app-1","applicationName":"Plan \"Q3\""},"metadata":{"outcome":"failure","ipAddress":"192.0.2.1","asn":3215}}`,
		`{"eventId":"e-2","eventType":"UserAccountTypeUpdated","eventTimestamp":"2024-01-15T09:00:00+02:00","ingestionTimestamp":"2024-01-15T07:05:00","actor":{"user":{"id":"u-9","email":"a@b.c"}},"context":{"ip":"10.0.0.1"},"payload":{"userId":"u-7","previousAccountType":"Builder"}}`,
		`{"id":"alert-7f3c","rule":"brute_force_login","severity":"high","title":"t","actor":"jane@acme.io","application":{"id":"app-42","name":"B"},"firstEventTime":"2025-06-10T11:50:03.100Z","lastEventTime":"2025-06-10T11:59:41.250Z","mitre":"T1110"}`,
		"{\"eventId\":\"e-raw\x01\",\"actor\":{\"name\":\"a\tb\"},\"metadata\":{\"note\":\"l1\nl2\"}}",
		"{\"eventId\":\"e-utf8\",\"actor\":{\"name\":\"bad \xff\xfe\"}}",
		``, `{`, `{"eventId":"\ud800"}`, `{"eventId":"e","actor":{"name":"\u0000"}}`, "{\"eventId\":\"e\x01\",\"a\":\"\\\x02\"}", `[1,2]`, `{"eventId":"e"}x`, `{"id":"a","actor":"x@y"}`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
}

// FuzzParse checks Parse accepts exactly the JSON objects encoding/json
// accepts (those with an ID) once raw control characters inside strings
// are escaped (Parse accepts them, see jsontest.Strict), and never panics.
func FuzzParse(f *testing.F) {
	parseSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte, alert bool) {
		kind := KindEvent
		if alert {
			kind = KindAlert
		}
		_, err := Parse(raw, kind)
		var obj map[string]json.RawMessage
		valid := json.Unmarshal(jsontest.Strict(raw), &obj) == nil && obj != nil
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
