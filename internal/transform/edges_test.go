package transform

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestAppendTimeEdges pins appendTime on explicit values: years 0, 1, 999,
// 1000 and 9999, leap days (year 0 and 2000 are leap years, 1900 is not),
// the fraction rule (milliseconds, or microseconds when finer, truncated)
// and a zone other than UTC.
func TestAppendTimeEdges(t *testing.T) {
	plus1 := time.FixedZone("P", 3600)
	cases := []struct {
		in   time.Time
		want string
	}{
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "0000-01-01T00:00:00.000Z"},
		{time.Date(0, 2, 29, 12, 0, 0, 0, time.UTC), "0000-02-29T12:00:00.000Z"},
		{time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), "0001-01-01T00:00:00.000Z"},
		{time.Date(999, 12, 31, 23, 59, 59, 999e6, time.UTC), "0999-12-31T23:59:59.999Z"},
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), "1000-01-01T00:00:00.000Z"},
		{time.Date(1900, 2, 28, 23, 59, 59, 0, time.UTC).Add(time.Second), "1900-03-01T00:00:00.000Z"},
		{time.Date(2000, 2, 29, 1, 2, 3, 0, time.UTC), "2000-02-29T01:02:03.000Z"},
		{time.Date(1969, 12, 31, 23, 59, 59, 500e6, time.UTC), "1969-12-31T23:59:59.500Z"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "9999-12-31T23:59:59.999999Z"},
		{time.Date(2024, 6, 1, 0, 0, 0, 1, time.UTC), "2024-06-01T00:00:00.000Z"},
		{time.Date(2024, 6, 1, 0, 0, 0, 999, time.UTC), "2024-06-01T00:00:00.000Z"},
		{time.Date(2024, 6, 1, 0, 0, 0, 1000, time.UTC), "2024-06-01T00:00:00.000001Z"},
		{time.Date(2024, 6, 1, 0, 0, 0, 120000, time.UTC), "2024-06-01T00:00:00.000120Z"},
		{time.Date(2024, 6, 1, 0, 0, 0, 100e6, time.UTC), "2024-06-01T00:00:00.100Z"},
		{time.Date(2024, 6, 1, 0, 0, 0, 123456789, time.UTC), "2024-06-01T00:00:00.123456Z"},
		{time.Date(2024, 1, 1, 0, 30, 0, 0, plus1), "2023-12-31T23:30:00.000Z"},
	}
	for _, c := range cases {
		if got := string(appendTime(nil, c.in)); got != c.want {
			t.Errorf("appendTime(%v) = %s, want %s", c.in, got, c.want)
		}
	}
}

// TestEventTimeRange pins which times formats write: years 0-9999, else
// Ingested, else none.
func TestEventTimeRange(t *testing.T) {
	ok := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		time, ingested time.Time
		want           time.Time
	}{
		{time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), ok, ok},
		{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), ok, ok},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), ok, time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), ok, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		{time.Time{}, ok, ok},
		{time.Time{}, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}},
	}
	for _, c := range cases {
		ev := event.Event{Time: c.time, Ingested: c.ingested}
		if got := eventTime(&ev); !got.Equal(c.want) {
			t.Errorf("eventTime(%v, %v) = %v, want %v", c.time, c.ingested, got, c.want)
		}
	}
}

// TestAppendEpochEdges pins HEC's time: seconds since the epoch with the
// milliseconds of the time truncated towards the past (UnixMilli), a
// negative value written as the number it is.
func TestAppendEpochEdges(t *testing.T) {
	cases := []struct {
		in   time.Time
		want string
	}{
		{time.Unix(0, 0), "0.000"},
		{time.Unix(0, 999999), "0.000"},
		{time.Unix(0, 1e6), "0.001"},
		{time.Unix(1718000000, 123456789), "1718000000.123"},
		{time.Unix(-1, 0), "-1.000"},
		{time.Unix(-1, 500e6), "-0.500"},
		{time.Unix(-3, 750e6), "-2.250"},
		{time.Unix(-1, 999999999), "-0.001"},
		{time.Unix(-2, 1), "-2.000"},
		{time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), "-62167219200.000"},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), "253402300799.999"},
	}
	for _, c := range cases {
		if got := string(appendEpoch(nil, c.in)); got != c.want {
			t.Errorf("appendEpoch(%v) = %s, want %s", c.in.UTC(), got, c.want)
		}
	}
}

// TestValidIPEdges pins the dotted quads read by hand to what
// netip.ParseAddr says, and the other forms to its answer too.
func TestValidIPEdges(t *testing.T) {
	cases := []struct {
		in   string
		ok   bool
		want string // as the formats write it
	}{
		{"1.2.3.4", true, "1.2.3.4"},
		{"0.0.0.0", true, "0.0.0.0"},
		{"255.255.255.255", true, "255.255.255.255"},
		{"01.2.3.4", false, ""},
		{"1.2.3.00", false, ""},
		{"1.2.3.4.5", false, ""},
		{"256.1.1.1", false, ""},
		{"1..2.3", false, ""},
		{".1.2.3", false, ""},
		{"1.2.3.", false, ""},
		{"1.2.3", false, ""},
		{" 1.2.3.4", false, ""},
		{"1.2.3.4 ", false, ""},
		{"1.2.3.4\x00", false, ""},
		{"1.2.3.4%eth0", false, ""},
		{"fe80::1%eth0", false, ""},
		{"::ffff:1.2.3.4", true, "::ffff:1.2.3.4"},
		{"2001:DB8::1", true, "2001:db8::1"},
		{"1.2.3.4]", false, ""},
		{"", false, ""},
	}
	for _, c := range cases {
		ip, ok := validIP(c.in)
		got := ""
		if ok {
			got = string(appendIP(nil, ip, c.in))
		}
		if ok != c.ok || got != c.want {
			t.Errorf("validIP(%q) = %q, %v, want %q, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// TestTextFieldEdges pins the escaping of every syslog and CEF text field
// on values holding each special byte, and the header fields copied whole
// only when they hold nothing to replace.
func TestTextFieldEdges(t *testing.T) {
	cases := []struct {
		name string
		fn   func([]byte, string) []byte
		in   string
		want string
	}{
		{"param", func(b []byte, s string) []byte { return appendParam(b, ` p="`, s) }, "a]b\"c\\d\ne\x7f\xff", ` p="a\]b\"c\\d e ` + "\ufffd" + `"`},
		{"param", func(b []byte, s string) []byte { return appendParam(b, ` p="`, s) }, "abcdefgh]", ` p="abcdefgh\]"`},
		{"cefValue", appendCEFValue, "a=b|c\\d\re\nf\tg", `a\=b|c\\d\re\nf g`},
		{"cefValue", appendCEFValue, "abcdefghijklmno=", `abcdefghijklmno\=`},
		{"cefHeader", appendCEFHeader, "a=b|c\\d\re\nf", `a=b\|c\\d e f`},
		{"words", appendWords, "User|Role\\Changed", `User\|Role\\Changed`},
		{"words", appendWords, "APIKeyCreated", `API Key Created`},
		{"words", appendWords, "Key\nCreated=", `Key Created=`},
		{"header32", func(b []byte, s string) []byte { return appendHeaderField(b, s, 32) }, "UserLoggedIn", "UserLoggedIn"},
		{"header32", func(b []byte, s string) []byte { return appendHeaderField(b, s, 32) }, "User LoggedIn\x7f\n", "User_LoggedIn__"},
		{"header32", func(b []byte, s string) []byte { return appendHeaderField(b, s, 32) }, "é]", "_]"},
		{"header8", func(b []byte, s string) []byte { return appendHeaderField(b, s, 8) }, "abcdefghi", "abcdefgh"},
		{"header8", func(b []byte, s string) []byte { return appendHeaderField(b, s, 8) }, "abcdefgh", "abcdefgh"},
	}
	for _, c := range cases {
		if got := string(c.fn(nil, c.in)); got != c.want {
			t.Errorf("%s(%q) = %q, want %q", c.name, c.in, got, c.want)
		}
	}
}

// TestECSOutcomeEscaped: event.outcome is escaped as every other string.
// Parse only sets "success", "failure" or "", but an Event is a plain
// struct: a quote in it must not add a member to the document.
func TestECSOutcomeEscaped(t *testing.T) {
	ev := event.Event{Raw: []byte(`{"eventId":"e"}`), ID: "e", Type: "UserLoggedIn", Outcome: `x","injected":"1`}
	var doc struct {
		Event map[string]any
	}
	if err := json.Unmarshal(AppendECS(nil, &ev), &doc); err != nil {
		t.Fatalf("AppendECS(outcome %q): %v", ev.Outcome, err)
	}
	if got := doc.Event["outcome"]; got != ev.Outcome || doc.Event["injected"] != nil {
		t.Errorf("AppendECS(outcome %q).event = %v, want outcome %q and no other member", ev.Outcome, doc.Event, ev.Outcome)
	}
}

// TestTimeOutOfRangeInUTC: the formats write times in UTC, so the years
// 0-9999 they can write are UTC years. A time in those years in its own
// zone but not in UTC was written with its UTC year's last four digits:
// 10000-01-01 as "0000-01-01" (a wrong time), -0001-12-31 as "000/-12-31"
// (not a time). It now counts as no time, as any other out of range.
func TestTimeOutOfRangeInUTC(t *testing.T) {
	ingested := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []time.Time{
		time.Date(9999, 12, 31, 23, 30, 0, 0, time.FixedZone("W", -3600)),
		time.Date(0, 1, 1, 0, 30, 0, 0, time.FixedZone("E", 3600)),
	}
	for _, tm := range cases {
		ev := event.Event{Raw: []byte(`{"eventId":"e"}`), ID: "e", Time: tm, Ingested: ingested}
		if got := eventTime(&ev); !got.Equal(ingested) {
			t.Errorf("eventTime(%v) = %v, want the ingestion time %v", tm, got, ingested)
		}
		ev = event.Event{Raw: []byte(`{"eventId":"e"}`), ID: "e", Ingested: tm}
		if got := string(AppendSyslog(nil, &ev, syslogOpts)); !strings.Contains(got, ">1 - ") {
			t.Errorf("AppendSyslog(ingested %v) = %.60s, want no timestamp", tm, got)
		}
		if got := string(AppendECS(nil, &ev)); strings.Contains(got, `"@timestamp"`) || strings.Contains(got, `"created"`) {
			t.Errorf("AppendECS(ingested %v) = %.300s, want no @timestamp or created", tm, got)
		}
	}
}
