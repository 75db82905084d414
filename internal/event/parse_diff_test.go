package event

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// FuzzParseRef checks that Parse and ParseAPI give what the implementation
// before them gave (parse_ref_test.go): the same Event, the same error
// text, the same reason. Its seeds are FuzzParse's, the benchmark's
// records, the simulator's events in both envelopes and hostile records
// (hostileRecords).
func FuzzParseRef(f *testing.F) {
	parseSeeds(f)
	for _, r := range benchRecords {
		f.Add(r.raw, r.kind == KindAlert)
	}
	for _, raw := range simEvents(f, 40) {
		f.Add(raw, false)
	}
	for _, raw := range hostileRecords() {
		f.Add([]byte(raw), false)
		f.Add([]byte(raw), true)
	}
	for _, raw := range corpusInputs(f) {
		f.Add(raw, false)
		f.Add(raw, true)
	}
	f.Fuzz(func(t *testing.T, raw []byte, alert bool) {
		kind := KindEvent
		if alert {
			kind = KindAlert
		}
		checkSame(t, raw, kind)
	})
}

// TestParseRefTruncated compares Parse with the reference on every prefix
// of the benchmark's records and of some of the simulator's events.
func TestParseRefTruncated(t *testing.T) {
	records := simEvents(t, 10)
	for _, r := range benchRecords {
		records = append(records, r.raw)
	}
	for _, raw := range records {
		for n := range len(raw) {
			checkSame(t, raw[:n], KindEvent)
			checkSame(t, raw[:n], KindAlert)
		}
	}
}

// checkSame fails t if Parse (and, for events, ParseAPI) of raw differs
// from the reference.
func checkSame(t *testing.T, raw []byte, kind Kind) {
	t.Helper()
	got, err := Parse(raw, kind)
	want, wantErr := refParsePublic(raw, kind)
	if !reflect.DeepEqual(got, want) || !sameError(err, wantErr) {
		t.Fatalf("Parse(%q, %d) =\n%+v, %v\nwant\n%+v, %v", raw, kind, got, err, want, wantErr)
	}
	if kind != KindEvent {
		return
	}
	got, reason, err := ParseAPI(raw)
	want, wantReason, wantErr := refParseAPI(raw)
	if !reflect.DeepEqual(got, want) || reason != wantReason || !sameError(err, wantErr) {
		t.Fatalf("ParseAPI(%q) =\n%+v, %q, %v\nwant\n%+v, %q, %v", raw, got, reason, err, want, wantReason, wantErr)
	}
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error() && errors.Is(a, errSyntax) == errors.Is(b, errSyntax)
}

// hostileRecords are records built to find where Parse could differ from
// the reference: every shape of timestamp, number, outcome and string in
// the fields Parse reads, repeated keys, deep nesting.
func hostileRecords() []string {
	var out []string
	for _, ts := range []string{
		"2024-01-15T10:30:00Z", "2024-01-15T10:30:00.123456789Z", "2024-01-15T10:30:00.1234567891Z",
		"2024-01-15T10:30:00.Z", "2024-01-15T10:30:00,5Z", "2024-01-15T10:30:00,5", "2024-01-15T10:30:00.5",
		"2024-01-15T10:30:00+23:59", "2024-01-15T10:30:00-00:00", "2024-01-15T10:30:00+24:00", "2024-01-15T10:30:00+02:60",
		"2024-01-15T10:30:00+0200", "2024-01-15T10:30:00z", "2024-01-15t10:30:00Z", "2024-02-29T00:00:00Z",
		"2023-02-29T00:00:00Z", "2024-04-31T00:00:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59",
		"2024-01-15T24:00:00Z", "2024-01-15T23:60:00Z", "2024-01-15T23:59:60Z", "2024-13-01T00:00:00Z", "2024-00-01T00:00:00Z",
		"2024-01-00T00:00:00Z", "2024-1-15T10:30:00Z", "2024-01-15T1:30:00", "+024-01-15T10:30:00Z", "2024-01-15T10:30:00.123\u00e9",
		"2024-01-15T10:30:00.000000000", "2024-01-15T10:30:00.5+01:00x", "2024-01-15T10:30:00 Z", `2024-01-15T10:30:00\u005a`,
		"2024-01-15T10:30:00Z\x00", "", "2024-01-15",
	} {
		out = append(out, fmt.Sprintf(`{"eventId":"e","eventTimestamp":%q,"ingestionTimestamp":%q,"lastEventTime":%[1]q,"id":"a","window":{"start":%[1]q,"end":%[2]q}}`, ts, ts))
	}
	for _, o := range []string{"success", "SUCCESS", "Succeeded", "ok", "OK", "o\u212a", "\u017fuccess", "completed", "Allowed",
		"failure", "FAILED", "fail", "Error", "denied", "rejected", "okay", "", "succes", "failures", "ERROR\x00", `\u0066ail`} {
		out = append(out, fmt.Sprintf(`{"eventId":"e","metadata":{"outcome":%q},"payload":{"status":%[1]q},"context":{"outcome":"x"}}`, o))
		out = append(out, fmt.Sprintf(`{"eventId":"e","metadata":{"status":%q}}`, o))
	}
	for _, n := range []string{"0", "-0", "1", "-1", "01", "1.5", "1e3", "1E+3", "-1.5e-3", "9223372036854775807", "9223372036854775808",
		"-9223372036854775808", "1.", ".5", "-", "1e", "+1", "0x10", "1_000", "NaN", "true", "nul", `"12"`, "{}", "[]"} {
		out = append(out, fmt.Sprintf(`{"eventId":"e","metadata":{"asn":%s},"count":%[1]s,"id":"a","x":%[1]s}`, n))
	}
	out = append(out,
		`{"eventId":"a","eventId":"b","actor":{"id":"1"},"actor":"x@y","target":{"memberId":"t"},"target":null,"metadata":{"email":"m@x"},"metadata":{"id":"m2"}}`,
		`{"eventId":"e","target":{"memberId":"t","applicationId":"a1","id":"a2","name":"n","user":{"id":"u","name":"un"}},"payload":{"userId":"p"}}`,
		`{"eventId":"e","target":{},"metadata":{"name":"only a name"},"payload":{"email":"p@x","user":{"id":"u"},"member":{"memberId":"m"}}}`,
		`{"eventId":"e","actor":{"user":{"id":"u"},"user":{"email":"e"},"user":"s","memberId":""}}`,
		`{"eventId":"e","eventId":7,"ingestionTimestamp":"2024-01-15T10:30:00Z","ingestionTimestamp":null}`,
		`{"eventId":null,"ingestionTimestamp":[]}`, `{"eventId":"\ud800\udc00\u00e9","eventType":"\xff\xfe","ingestionTimestamp":"\xff"}`,
		"{\"eventId\":\"e\x00\x1f\",\"actor\":{\"name\":\"\x7f\x80\"},\"metadata\":{\"ip\\u0041ddress\":\"1\",\"country\":\"F\\tR\"}}",
		`{"eventId":"e","metadata":{"a":`+strings.Repeat(`[`, 9998)+strings.Repeat(`]`, 9998)+`}}`,
		`{"eventId":"e","metadata":{"a":`+strings.Repeat(`[`, 9999)+strings.Repeat(`]`, 9999)+`}}`,
		`{"eventId":"e","actor":{"user":{"a":`+strings.Repeat(`{"b":`, 9997)+`1`+strings.Repeat(`}`, 9997)+`}}}`,
		`{"eventId":"e","actor":{"user":{"a":`+strings.Repeat(`{"b":`, 9998)+`1`+strings.Repeat(`}`, 9998)+`}}}`,
		`{"eventId":"e","target":{"user":{"a":`+strings.Repeat(`[`, 9997)+strings.Repeat(`]`, 9997)+`}}}`,
		`{"eventId":"e","payload":{"member":{"a":`+strings.Repeat(`[`, 9998)+strings.Repeat(`]`, 9998)+`}}}`,
		`{"eventId":"e","application":"a","evidence":["x"],"severity":"s","title":"t","mitre":"m","rule":"r"}`,
		`{"id":"a","application":{"applicationId":"x","name":"n","memberId":"m"},"target":{"applicationId":"t"},"context":{"ip":"1"}}`,
		` {"eventId":"e"} `, "{\"eventId\":\"e\"}\n\t", `{"eventId":"e"}{}`, `{"eventId":"e" , "a" : [ 1 , 2 ] }`, `{"a":"\u12"}`, `{"a":"\u12g4"}`,
	)
	return out
}

// corpusInputs returns the inputs of the fuzz corpora of the packages
// Parse is built on or feeds (jsonscan's FuzzScan, transform's
// FuzzAppend, this package's own), the first argument of each entry.
func corpusInputs(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, dir := range []string{"../jsonscan/testdata/fuzz/*/*", "../transform/testdata/fuzz/*/*", "testdata/fuzz/*/*"} {
		files, err := filepath.Glob(dir)
		if err != nil {
			tb.Fatal(err)
		}
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			lines := strings.Split(string(b), "\n")
			if len(lines) < 2 {
				continue
			}
			arg := lines[1] // []byte("...") or string("...")
			arg = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(arg, "[]byte("), "string("), ")")
			s, err := strconv.Unquote(arg)
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			out = append(out, []byte(s))
		}
	}
	if len(out) == 0 {
		tb.Fatal("no fuzz corpus found")
	}
	return out
}

// simEvents returns up to n events of each envelope of the simulator, with
// its anomalies, read from its API as extract reads them.
func simEvents(tb testing.TB, n int) [][]byte {
	tb.Helper()
	now := time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)
	var out [][]byte
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		sim, err := pigmentsim.New(pigmentsim.Config{Seed: 7, APIKey: "k", Shape: shape, Anomalies: true,
			History: time.Hour, HistoryEvents: 4 * n, PageSize: n, Clock: func() time.Time { return now }})
		if err != nil {
			tb.Fatal(err)
		}
		srv := httptest.NewServer(sim.Handler())
		q := url.Values{"ingestedSince": {now.Add(-2 * time.Hour).Format(time.RFC3339)}}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/audit/v1/events?"+q.Encode(), nil)
		req.Header.Set("Authorization", "Bearer k")
		resp, err := srv.Client().Do(req)
		if err != nil {
			tb.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		srv.Close()
		var page struct{ Events []json.RawMessage }
		if err != nil || json.Unmarshal(body, &page) != nil || len(page.Events) == 0 {
			tb.Fatalf("simulator page (%s): %v %.200s", shape, err, body)
		}
		for _, e := range page.Events {
			out = append(out, e)
		}
	}
	return out
}

// FuzzParseTime checks that parseTime, with its fast path, reads what it
// read before (refParseTime), to the nanosecond and in UTC.
func FuzzParseTime(f *testing.F) {
	for _, tc := range timeCases {
		f.Add(tc.in)
	}
	for _, s := range []string{"2024-01-15T10:30:00.1234567891Z", "2024-02-29T23:59:59.999999999-23:59", "2023-02-29T00:00:00",
		"0000-01-01T00:00:00Z", "2024-01-15T10:30:00,5", "2024-01-15T10:30:00+24:00", "2024-01-15T10:30:00+02:60", "2024-01-15T10:30:00."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseTime(s)
		want, wantOK := refParseTime(s)
		if got != want || ok != wantOK {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v", s, got, ok, want, wantOK)
		}
	})
}

// FuzzOutcome checks that outcome's ASCII fast path normalises as the
// EqualFold loops did.
func FuzzOutcome(f *testing.F) {
	for _, s := range []string{"success", "SUCCESSFUL", "o\u212a", "\u017fuccess", "Failed", "", "successfulX", "okk", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := outcome(s), refOutcome(s); got != want {
			t.Errorf("outcome(%q) = %q, want %q", s, got, want)
		}
	})
}

// BenchmarkParseVsRef measures Parse against the reference in the same
// run (timings of separate runs on a shared machine are not comparable):
// go test -run '^$' -bench ParseVsRef -count 5 ./internal/event/
func BenchmarkParseVsRef(b *testing.B) {
	for _, r := range benchRecords {
		for _, impl := range []struct {
			name  string
			parse func([]byte, Kind) (Event, error)
		}{{"new", Parse}, {"ref", refParsePublic}} {
			b.Run(r.name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(r.raw)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := impl.parse(r.raw, r.kind); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestParseTimeCalendar compares parseTime with the reference over the
// calendar's edges: leap years, month ends, zones, fractions.
func TestParseTimeCalendar(t *testing.T) {
	for _, y := range []int{0, 1, 3, 4, 99, 100, 399, 400, 1600, 1899, 1900, 1969, 1970, 2000, 2023, 2024, 2100, 9999} {
		for m := 0; m <= 13; m++ {
			for _, d := range []int{0, 1, 28, 29, 30, 31, 32} {
				for _, rest := range []string{"", "Z", ".5", ".000000001+14:00", ".123456789-23:59", "+00:00", "-00:01"} {
					s := fmt.Sprintf("%04d-%02d-%02dT23:59:59%s", y, m, d, rest)
					got, ok := parseTime(s)
					want, wantOK := refParseTime(s)
					if got != want || ok != wantOK {
						t.Errorf("parseTime(%q) = %v, %v; want %v, %v", s, got, ok, want, wantOK)
					}
				}
			}
		}
	}
}
