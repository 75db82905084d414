package event

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name string
		raw  string
		kind Kind
		want Event
	}{
		{"described", `{"eventId":"e1","eventType":"UserLoggedIn","eventTimestamp":"2025-06-10T11:59:58.123Z","ingestionTimestamp":"2025-06-10T12:00:00Z",
			"actor":{"memberId":"m1","email":"a@x.io","name":"Ann"},"target":{"applicationId":null,"applicationName":null},
			"metadata":{"outcome":"failure","ipAddress":"10.0.0.1","country":"FR"}}`, KindEvent,
			Event{ID: "e1", Type: "UserLoggedIn", Time: ts("2025-06-10T11:59:58.123Z"), Ingested: ts("2025-06-10T12:00:00Z"),
				ActorID: "m1", ActorEmail: "a@x.io", ActorName: "Ann", SourceIP: "10.0.0.1", Country: "FR", Outcome: "failure"}},
		{"public", `{"payload":{"ipAddress":"10.9.9.9","status":"Failed","applicationId":"p","blockId":"b2","blockName":"Headcount"},"eventId":"e2","eventType":"ImportExecuted",
			"actor":{"id":"m2","name":"Bo","email":"b@x.io","type":"User"},
			"context":{"workspaceId":"w","applicationId":"a2","applicationName":"Budget","ip":"10.0.0.2"}}`, KindEvent,
			Event{ID: "e2", Type: "ImportExecuted", ActorID: "m2", ActorEmail: "b@x.io", ActorName: "Bo", AppID: "a2", AppName: "Budget",
				SourceIP: "10.0.0.2", Outcome: "failure", BlockID: "b2", BlockName: "Headcount"}},
		{"described block", `{"eventId":"e7","eventType":"BlockModified","target":{"applicationId":"a7"},
			"metadata":{"blockId":"b7","blockName":"Hiring \u00e9","blockType":"Table"}}`, KindEvent,
			Event{ID: "e7", Type: "BlockModified", AppID: "a7", BlockID: "b7", BlockName: "Hiring é"}},
		{"public, member under user", `{"eventId":"e4","actor":{"user":{"id":"m4","email":"d@x.io","name":"Di"},"type":"User"},"context":{"ip":"10.0.0.4"}}`, KindEvent,
			Event{ID: "e4", ActorID: "m4", ActorEmail: "d@x.io", ActorName: "Di", SourceIP: "10.0.0.4"}},
		{"precedence: memberId before id", `{"eventId":"e5","actor":{"memberId":"m5","id":"i5","userId":"u5"}}`, KindEvent,
			Event{ID: "e5", ActorID: "m5"}},
		{"alert with a nested actor", `{"id":"al3","actor":{"user":{"id":"m6","email":"f@x.io"}}}`, KindAlert,
			Event{ID: "al3", ActorID: "m6", ActorEmail: "f@x.io"}},
		{"escapes", `{"eventId":"e\u00e9\"","eventType":"T","actor":{"name":"\ud83d\ude00 \ud800x\n"}}`, KindEvent,
			Event{ID: "eé\"", Type: "T", ActorName: "😀 \ufffdx\n"}},
		{"raw control characters in strings", "{\"eventId\":\"e\x01\",\"eventType\":\"T\x1f\",\"actor\":{\"memberId\":\"m1\",\"name\":\"A\x00B\tC\nD\"},\"k\x02\":\"\x03\",\"metadata\":{\"country\":\"F\rR\"}}", KindEvent,
			Event{ID: "e\x01", Type: "T\x1f", ActorID: "m1", ActorName: "A\x00B\tC\nD", Country: "F\rR"}},
		{"raw control character and an escape", "{\"eventId\":\"e\\u00e9\x01\",\"actor\":\"a\x04@x.io\"}", KindEvent,
			Event{ID: "e\u00e9\x01", ActorEmail: "a\x04@x.io"}},
		{"wrong types", `{"eventId":"e3","eventType":7,"actor":["x"],"target":"y","metadata":{"ipAddress":{"v":1}},"eventTimestamp":"yesterday"}`, KindEvent,
			Event{ID: "e3"}},
		{"asn as a number", `{"eventId":"e4","metadata":{"ipAddress":"81.2.3.4","asn":3215,"country":"FR"}}`, KindEvent,
			Event{ID: "e4", SourceIP: "81.2.3.4", Country: "FR", ASN: "3215"}},
		{"asn as a string, context first", `{"eventId":"e5","context":{"asn":"AS16276"},"payload":{"asn":1}}`, KindEvent,
			Event{ID: "e5", ASN: "AS16276"}},
		{"asn of a wrong type", `{"eventId":"e6","metadata":{"asn":{"n":1},"country":"FR"}}`, KindEvent,
			Event{ID: "e6", Country: "FR"}},
		{"alert", `{"id":"al1","rule":"brute_force","severity":"high","title":"10 failed logins","actor":"a@x.io","application":"app9",
			"window":{"start":"2025-06-10T11:00:00Z","end":"2025-06-10T12:00:00Z"},"firstEventTime":"2025-06-10T11:01:00Z",
			"lastEventTime":"2025-06-10T11:58:00Z","count":10,"evidence":["e1","e2"],"mitre":"T1110","runbook":"r"}`, KindAlert,
			Event{ID: "al1", Type: "brute_force", Time: ts("2025-06-10T11:58:00Z"), ActorEmail: "a@x.io", AppID: "app9",
				Severity: "high", Title: "10 failed logins", Mitre: "T1110"}},
		{"alert first time only", `{"id":"al2","firstEventTime":"2025-06-10T11:01:00Z","actor":{"id":"m1"},"application":{"id":"a","name":"N"}}`, KindAlert,
			Event{ID: "al2", Time: ts("2025-06-10T11:01:00Z"), ActorID: "m1", AppID: "a", AppName: "N"}},
	}
	for _, tt := range tests {
		got, err := Parse([]byte(tt.raw), tt.kind)
		tt.want.Raw, tt.want.Kind = []byte(tt.raw), tt.kind
		if err != nil || !equalEvents(&got, &tt.want) {
			t.Errorf("Parse(%s: %s) = %+v, %v, want %+v", tt.name, tt.raw, got, err, tt.want)
		}
	}
}

func equalEvents(a, b *Event) bool {
	return string(a.Raw) == string(b.Raw) && a.Kind == b.Kind && a.ID == b.ID && a.Type == b.Type &&
		a.Time.Equal(b.Time) && a.Ingested.Equal(b.Ingested) && a.ActorID == b.ActorID &&
		a.ActorEmail == b.ActorEmail && a.ActorName == b.ActorName && a.AppID == b.AppID &&
		a.AppName == b.AppName && a.SourceIP == b.SourceIP && a.Country == b.Country && a.ASN == b.ASN &&
		a.Outcome == b.Outcome && a.Severity == b.Severity && a.Title == b.Title && a.Mitre == b.Mitre &&
		a.TargetID == b.TargetID && a.TargetEmail == b.TargetEmail && a.TargetName == b.TargetName &&
		a.BlockID == b.BlockID && a.BlockName == b.BlockName
}

// TestParseTarget: the member an event changes, in both envelopes, read by
// actor.Target (whose own tests cover every name).
func TestParseTarget(t *testing.T) {
	for _, tc := range []struct {
		name, raw     string
		id, email, nm string
	}{
		{"described metadata", `{"eventId":"e1","eventType":"MemberDeactivated","actor":{"memberId":"admin"},
			"target":{"applicationId":null},"metadata":{"targetMemberId":"m1","targetEmail":"a@x.io","targetName":"Ann","accountType":"Builder"}}`,
			"m1", "a@x.io", "Ann"},
		{"described target object", `{"eventId":"e2","eventType":"MemberDeactivated","actor":{"memberId":"admin"},
			"target":{"memberId":"m2","email":"b@x.io","applicationName":"Budget"},"metadata":{}}`, "m2", "b@x.io", ""},
		{"public account type", `{"eventId":"e3","eventType":"UserAccountTypeUpdated","actor":{"user":{"id":"admin"}},"context":{},
			"payload":{"userId":"m3","userName":"Cy","userEmail":"c@x.io","previousAccountType":"Builder","newAccountType":"Workspace Admin"}}`,
			"m3", "c@x.io", "Cy"},
		{"public deactivated", `{"eventId":"e4","eventType":"UserDeactivated","actor":{"user":{"id":"admin"}},"payload":{"id":"m4","name":"Di","email":"d@x.io"}}`,
			"m4", "d@x.io", "Di"},
		{"nested user, escaped", `{"eventId":"e5","eventType":"UserInvited","metadata":{"user":{"email":"é@x.io"}}}`, "", "é@x.io", ""},
		{"no member", `{"eventId":"e6","eventType":"UserLoggedIn","actor":{"memberId":"m6"},"metadata":{"outcome":"success"}}`, "", "", ""},
		{"wrong types", `{"eventId":"e7","target":"m7","metadata":["m7"],"payload":null}`, "", "", ""},
	} {
		ev, err := Parse([]byte(tc.raw), KindEvent)
		if err != nil || ev.TargetID != tc.id || ev.TargetEmail != tc.email || ev.TargetName != tc.nm {
			t.Errorf("Parse(%s) target = %q, %q, %q, %v; want %q, %q, %q", tc.name, ev.TargetID, ev.TargetEmail, ev.TargetName, err, tc.id, tc.email, tc.nm)
		}
	}
	// An alert has no target member, whatever its fields.
	if ev, err := Parse([]byte(`{"id":"al","metadata":{"id":"m"},"payload":{"userId":"m"}}`), KindAlert); err != nil || ev.TargetID != "" {
		t.Errorf("Parse(alert) target = %q, %v; want none", ev.TargetID, err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw    string
		kind   Kind
		want   string // part of the message
		syntax bool
	}{
		{``, KindEvent, "unexpected end of input", true},
		{`{"eventId":"e1"`, KindEvent, "unexpected end of input", true},
		{`{"eventId":"e1"} x`, KindEvent, "data after the top-level object", true},
		{`{"eventId":"e1",}`, KindEvent, "want an object key", true},
		{`{"id":"a1","evidence":`, KindAlert, "unexpected end of input", true}, // once a panic
		{`{"eventId":"a\` + "\x01" + `"}`, KindEvent, "invalid escape", true},
		{`{"eventId":` + "\x01" + `"e1"}`, KindEvent, "want a value", true},
		{`{"eventId":"e1"` + "\x01" + `}`, KindEvent, "want ',' or '}'", true},
		{`{"eventId":"\x"}`, KindEvent, "invalid escape", true},
		{`{"eventId":01}`, KindEvent, "want ',' or '}'", true},
		{`[{"eventId":"e1"}]`, KindEvent, "not a JSON object", false},
		{`"e1"`, KindEvent, "not a JSON object", false},
		{`{"eventType":"UserLoggedIn"}`, KindEvent, "no eventId", false},
		{`{"eventId":""}`, KindEvent, "no eventId", false},
		{`{"eventId":42}`, KindEvent, "no eventId", false},
		{`{"eventId":"e1"}`, KindAlert, "alert has no id", false},
		{strings.Repeat("[", maxDepth+1), KindEvent, "nesting too deep", true},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.raw), tt.kind)
		if err == nil || !strings.Contains(err.Error(), tt.want) || errors.Is(err, errSyntax) != tt.syntax {
			t.Errorf("Parse(%.40q) error = %v, want one containing %q (syntax %v)", tt.raw, err, tt.want, tt.syntax)
		}
	}
}
