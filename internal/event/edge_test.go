package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The tests of this file pin, with explicit values, the edges the fast
// Parse (jsonscan's eight-byte string loop, fastTime, outcome's lookup,
// the one-pass actor and target) could get wrong while agreeing with the
// reference, whose rules they share: timestamps, outcomes, repeated and
// escaped keys, nesting limits, invalid UTF-8.

// TestParseTimeEdges: the calendar and the forms of RFC 3339 that
// parseTime takes (or refuses) as time.Parse does.
func TestParseTimeEdges(t *testing.T) {
	utc := func(y int, mo time.Month, d, h, mi, s, ns int) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, time.UTC)
	}
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-02-29T00:00:00Z", utc(2024, 2, 29, 0, 0, 0, 0), true},
		{"2000-02-29T12:00:00", utc(2000, 2, 29, 12, 0, 0, 0), true},
		{"0000-02-29T00:00:00Z", utc(0, 2, 29, 0, 0, 0, 0), true}, // year 0 is a leap year (proleptic)
		{"2023-02-29T00:00:00Z", time.Time{}, false},
		{"1900-02-29T00:00:00Z", time.Time{}, false},
		{"2100-02-29T00:00:00", time.Time{}, false},
		{"2024-04-31T00:00:00Z", time.Time{}, false},
		{"2024-12-31T23:59:59Z", utc(2024, 12, 31, 23, 59, 59, 0), true},
		{"2024-01-15T24:00:00Z", time.Time{}, false},
		{"2024-01-15T23:60:00Z", time.Time{}, false},
		{"2016-12-31T23:59:60Z", time.Time{}, false}, // leap second
		{"2024-01-15T10:30:00+14:00", utc(2024, 1, 14, 20, 30, 0, 0), true},
		{"2024-01-15T10:30:00-12:00", utc(2024, 1, 15, 22, 30, 0, 0), true},
		{"2024-01-15T10:30:00-00:00", utc(2024, 1, 15, 10, 30, 0, 0), true},
		{"2024-01-15T10:30:00+23:59", utc(2024, 1, 14, 10, 31, 0, 0), true},
		{"2024-01-15T10:30:00+24:00", utc(2024, 1, 14, 10, 30, 0, 0), true}, // time.Parse's own leniency
		{"2024-01-15T10:30:00+02:60", utc(2024, 1, 15, 7, 30, 0, 0), true},  // likewise
		{"2024-01-15T10:30:00+25:00", time.Time{}, false},
		{"2024-01-15T10:30:00+0200", time.Time{}, false},
		{"2024-01-15t10:30:00Z", time.Time{}, false},
		{"2024-01-15T10:30:00z", time.Time{}, false},
		{"2024-01-15 10:30:00Z", time.Time{}, false},
		{"2024-01-15T10:30:00.1Z", utc(2024, 1, 15, 10, 30, 0, 1e8), true},
		{"2024-01-15T10:30:00.12Z", utc(2024, 1, 15, 10, 30, 0, 12e7), true},
		{"2024-01-15T10:30:00.123", utc(2024, 1, 15, 10, 30, 0, 123e6), true},
		{"2024-01-15T10:30:00.1234+01:00", utc(2024, 1, 15, 9, 30, 0, 1234e5), true},
		{"2024-01-15T10:30:00.12345Z", utc(2024, 1, 15, 10, 30, 0, 12345e4), true},
		{"2024-01-15T10:30:00.123456Z", utc(2024, 1, 15, 10, 30, 0, 123456e3), true},
		{"2024-01-15T10:30:00.1234567Z", utc(2024, 1, 15, 10, 30, 0, 1234567e2), true},
		{"2024-01-15T10:30:00.12345678Z", utc(2024, 1, 15, 10, 30, 0, 12345678e1), true},
		{"2024-01-15T10:30:00.123456789Z", utc(2024, 1, 15, 10, 30, 0, 123456789), true},
		{"2024-01-15T10:30:00.1234567899Z", utc(2024, 1, 15, 10, 30, 0, 123456789), true}, // truncated, not rounded
		{"2024-01-15T10:30:00.000000000001", utc(2024, 1, 15, 10, 30, 0, 0), true},
		{"2024-01-15T10:30:00,5Z", utc(2024, 1, 15, 10, 30, 0, 5e8), true},
		{"2024-01-15T10:30:00.Z", time.Time{}, false},
		{"2024-01-15T10:30:00.", time.Time{}, false},
		{"0000-01-01T00:00:00Z", utc(0, 1, 1, 0, 0, 0, 0), true},
		{"0000-01-01T00:00:00+01:00", utc(-1, 12, 31, 23, 0, 0, 0), true},
		{"9999-12-31T23:59:59.999999999Z", utc(9999, 12, 31, 23, 59, 59, 999999999), true},
		{"9999-12-31T23:59:59-01:00", utc(10000, 1, 1, 0, 59, 59, 0), true},
		{"1969-12-31T23:59:59.999999999Z", utc(1969, 12, 31, 23, 59, 59, 999999999), true},
		{"1970-01-01T00:00:00Z", time.Unix(0, 0).UTC(), true},
		{"2024-01-15T10:30:00Z ", time.Time{}, false},
		{"2024-01-15T10:30:00\u00a0", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestOutcomeEdges: case folding (Unicode's too), words only whole.
func TestOutcomeEdges(t *testing.T) {
	tests := []struct{ in, want string }{
		{"success", "success"}, {"SuCcEsSfUl", "success"}, {"SUCCEEDED", "success"}, {"Ok", "success"},
		{"COMPLETED", "success"}, {"allowed", "success"},
		{"o\u212a", "success"},           // KELVIN SIGN folds to k
		{"\u017fuccessful", "success"},   // LONG S folds to s, 11 bytes
		{"succe\u017f\u017f", "success"}, // non-ASCII at the end
		{"Failure", "failure"}, {"FAIL", "failure"}, {"failed", "failure"}, {"eRRoR", "failure"}, {"Denied", "failure"},
		{"REJECTED", "failure"},
		{"", ""}, {"o", ""}, {"oka", ""}, {"successfull", ""}, {"successfulsuccessful", ""}, {" ok", ""}, {"ok ", ""},
		{"ok\x00", ""}, {"\xffok", ""}, {"ok\xff", ""}, {"s\u00fccc\u00e9ss", ""}, {"\u00f6k", ""},
		{"successful\u212a", ""}, // non-ASCII beyond the longest word
	}
	for _, tt := range tests {
		if got := outcome(tt.in); got != tt.want {
			t.Errorf("outcome(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestParseRepeatedKeys: a repeated key's last value wins for each field
// (even a value of another type, read as absent), as before; an actor
// and a target are read from their last occurrence whole, while the
// fields of metadata, payload and context merge.
func TestParseRepeatedKeys(t *testing.T) {
	raw := `{"eventId":"a","eventId":"b","eventType":"t1","eventType":"t2",
		"eventTimestamp":"2024-01-01T00:00:00Z","eventTimestamp":"2024-01-02T00:00:00Z","eventTimestamp":"garbage",
		"ingestionTimestamp":"2024-01-03T00:00:00Z","ingestionTimestamp":7,
		"actor":{"memberId":"m1","name":"N1"},"actor":{"email":"e@x","memberId":"","memberId":"m2","memberId":""},
		"target":{"memberId":"t1","applicationId":"a1"},"target":{"userEmail":"t2@x"},
		"metadata":{"outcome":"ok","ipAddress":"1.1.1.1","country":"DE"},"metadata":{"outcome":"failed","country":"FR"},
		"metadata":{"country":null},"context":{"ip":"2.2.2.2"},"context":{"ip":"3.3.3.3"}}`
	got, err := Parse([]byte(raw), KindEvent)
	want := Event{Raw: []byte(raw), ID: "b", Type: "t2", Time: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Ingested: time.Date(2024, 1, 3, 0, 0, 0, 0, time.UTC), ActorID: "m2", ActorEmail: "e@x", AppID: "a1",
		TargetEmail: "t2@x", Outcome: "failure", SourceIP: "3.3.3.3"}
	if err != nil || !equalEvents(&got, &want) {
		t.Errorf("Parse(repeated keys) = %+v, %v\nwant %+v", got, err, want)
	}
	if _, err := Parse([]byte(`{"eventId":"a","eventId":null}`), KindEvent); err == nil {
		t.Errorf("Parse(eventId then null) = nil error, want no eventId")
	}
	if _, reason, err := ParseAPI([]byte(raw)); reason != "ingestionTimestamp is a number, want a string" || err != nil {
		t.Errorf("ParseAPI(repeated keys) = %q, %v; want the last ingestionTimestamp's reason", reason, err)
	}
}

// TestParseEscapedKeys: a key is compared once unescaped, at every level.
func TestParseEscapedKeys(t *testing.T) {
	raw := `{"eve\u006etId":"e1","\u0065ventType":"T","act\u006fr":{"us\u0065r":{"\u0069d":"m1","n\u0061me":"Ann"}},
		"t\u0061rget":{"mem\u0062erId":"t1","\u0069d":"app"},"metad\u0061ta":{"ip\u0041ddress":"1.2.3.4","\u006futcome":"OK"},
		"eventTimest\u0061mp":"2024-02-29T23:59:59.5+14:00","ingesti\u006fnTimestamp":"2024-03-01T00:00:00Z","a\u0000b":1}`
	want := Event{Raw: []byte(raw), ID: "e1", Type: "T", ActorID: "m1", ActorName: "Ann", TargetID: "t1", AppID: "app",
		SourceIP: "1.2.3.4", Outcome: "success", Time: time.Date(2024, 2, 29, 9, 59, 59, 5e8, time.UTC),
		Ingested: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}
	got, err := Parse([]byte(raw), KindEvent)
	if err != nil || !equalEvents(&got, &want) {
		t.Errorf("Parse(escaped keys) = %+v, %v\nwant %+v", got, err, want)
	}
	if got, reason, err := ParseAPI([]byte(raw)); reason != "" || err != nil || got.ID != "e1" {
		t.Errorf("ParseAPI(escaped keys) = %q, %q, %v; want e1", got.ID, reason, err)
	}
	// A key that only looks like one once its escape is wrongly decoded.
	if _, err := Parse([]byte(`{"eventI\u0064x":"e1"}`), KindEvent); err == nil {
		t.Errorf("Parse(eventIdx) = nil error, want no eventId")
	}
}

// TestParseInvalidUTF8: Parse keeps a string's bytes as sent (Raw is
// what the formats embed); ParseAPI replaces the ID's bad bytes as
// encoding/json does; a key with a bad byte is another key.
func TestParseInvalidUTF8(t *testing.T) {
	raw := "{\"eventId\":\"e\xff\",\"eventType\":\"\xed\xa0\x80\",\"actor\":{\"name\":\"\xc3\"},\"metadata\":{\"country\":\"F\x80R\"},\"eventId\xff\":\"x\"," +
		"\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\"}"
	got, err := Parse([]byte(raw), KindEvent)
	if err != nil || got.ID != "e\xff" || got.Type != "\xed\xa0\x80" || got.ActorName != "\xc3" || got.Country != "F\x80R" {
		t.Errorf("Parse(invalid UTF-8) = %q %q %q %q, %v", got.ID, got.Type, got.ActorName, got.Country, err)
	}
	api, reason, err := ParseAPI([]byte(raw))
	if err != nil || reason != "" || api.ID != "e\ufffd" || api.Type != "\ufffd\ufffd\ufffd" {
		t.Errorf("ParseAPI(invalid UTF-8) = %q %q, %q, %v; want e\\ufffd", api.ID, api.Type, reason, err)
	}
}

// TestParseNestingLimit: at the nesting limit, in every object Parse
// reads member by member (the actor and its user, the target and its
// user and member, metadata, payload, context, an alert's application and
// window), Parse accepts exactly what encoding/json accepts.
func TestParseNestingLimit(t *testing.T) {
	for _, c := range []struct {
		kind         Kind
		before, over string // the record around the nested value, at nesting 2 + depth of over's "%s"
	}{
		{KindEvent, `{"eventId":"e","actor":`, `}`},
		{KindEvent, `{"eventId":"e","actor":{"a":`, `}}`},
		{KindEvent, `{"eventId":"e","actor":{"user":{"a":`, `}}}`},
		{KindEvent, `{"eventId":"e","actor":{"user":{"user":`, `}}}`},
		{KindEvent, `{"eventId":"e","target":{"a":`, `}}`},
		{KindEvent, `{"eventId":"e","target":{"user":{"a":`, `}}}`},
		{KindEvent, `{"eventId":"e","target":{"member":{"a":`, `}}}`},
		{KindEvent, `{"eventId":"e","metadata":{"user":{"a":`, `}}}`},
		{KindEvent, `{"eventId":"e","payload":{"member":{"a":`, `}}}`},
		{KindEvent, `{"eventId":"e","payload":{"member":{"member":`, `}}}`},
		{KindEvent, `{"eventId":"e","context":{"user":{"a":`, `}}}`},
		{KindAlert, `{"id":"a","application":{"a":`, `}}`},
		{KindAlert, `{"id":"a","window":{"a":`, `}}`},
		{KindAlert, `{"id":"a","evidence":`, `}`},
	} {
		open := strings.Count(c.before, "{")
		for _, n := range []int{maxDepth - open - 1, maxDepth - open, maxDepth - open + 1} {
			for _, nest := range [][2]string{{"[", "]"}, {`{"b":`, "}"}} {
				raw := c.before + strings.Repeat(nest[0], n) + "1" + strings.Repeat(nest[1], n) + c.over
				_, err := Parse([]byte(raw), c.kind)
				if valid := json.Valid([]byte(raw)); (err == nil) != valid {
					t.Errorf("Parse(%s%s x %d) = %v; encoding/json valid: %v", c.before, nest[0], n, err, valid)
				}
			}
		}
	}
}

// TestParseSpace: only space, tab, CR and LF separate tokens, as in
// encoding/json; every other byte below 0x21 (and NBSP, NEL) is refused.
func TestParseSpace(t *testing.T) {
	for c := 0; c <= 0xff; c++ {
		sp := string(rune(c))
		if c >= 0x80 {
			sp = string([]byte{byte(c)})
		}
		for _, raw := range []string{
			sp + `{"eventId":"e"}`, `{"eventId":"e"}` + sp, `{` + sp + `"eventId":"e"}`, `{"eventId"` + sp + `:"e"}`,
			`{"eventId":` + sp + `"e"}`, `{"eventId":"e"` + sp + `}`, `{"eventId":"e",` + sp + `"a":[1` + sp + `,2]}`,
		} {
			_, err := Parse([]byte(raw), KindEvent)
			if valid := json.Valid([]byte(raw)); (err == nil) != valid {
				t.Errorf("Parse(%q) = %v; encoding/json valid: %v", raw, err, valid)
			}
		}
	}
}
