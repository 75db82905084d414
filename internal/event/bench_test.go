package event

import "testing"

// benchRecords are an event in each envelope and an alert, of realistic size.
var benchRecords = []struct {
	name string
	kind Kind
	raw  []byte
}{
	{"described", KindEvent, []byte(`{"eventId":"e-000123","eventType":"UserLoggedIn","eventTimestamp":"2024-01-15T10:30:00.123Z","ingestionTimestamp":"2024-01-15T10:30:05.123456789Z","actor":{"memberId":"m-17","email":"ann.lee@example.com","name":"Ann Lee"},"target":{"applicationId":"app-3","applicationName":"Workforce Plan FY25"},"metadata":{"ipAddress":"203.0.113.7","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","outcome":"failure","changes":[{"field":"formula","old":"A+B","new":"A+B+C"}],"sessionId":"s-00000123"}}`)},
	{"public", KindEvent, []byte(`{"eventId":"e-000124","eventType":"UserAccountTypeUpdated","eventTimestamp":"2024-01-15T09:00:00+02:00","ingestionTimestamp":"2024-01-15T07:05:00","actor":{"user":{"id":"u-9","email":"bo@example.com","name":"Bo"}},"context":{"ip":"10.0.0.1","applicationId":"app-4","applicationName":"Sales"},"payload":{"userId":"u-7","userName":"Cy","userEmail":"cy@example.com","previousAccountType":"Builder","newAccountType":"Workspace Admin"}}`)},
	{"alert", KindAlert, []byte(`{"id":"alert-7f3c","rule":"brute_force_login","severity":"high","title":"Many failed logins","actor":"jane@acme.io","application":{"id":"app-42","name":"B"},"firstEventTime":"2025-06-10T11:50:03.100Z","lastEventTime":"2025-06-10T11:59:41.250Z","window":{"start":"2025-06-10T11:50:00Z","end":"2025-06-10T12:00:00Z"},"count":12,"evidence":["e-1","e-2","e-3"],"mitre":"T1110"}`)},
}

func BenchmarkParse(b *testing.B) {
	for _, r := range benchRecords {
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(int64(len(r.raw)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(r.raw, r.kind); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseAPI(b *testing.B) {
	raw := benchRecords[0].raw
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, reason, err := ParseAPI(raw); err != nil || reason != "" {
			b.Fatal(reason, err)
		}
	}
}
