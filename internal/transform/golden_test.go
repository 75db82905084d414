package transform

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonscan/jsontest"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var (
	hecOpts    = HECOptions{Host: "forwarder-1", Index: "pigment"}
	syslogOpts = SyslogOptions{Hostname: "forwarder-1"}
)

// formats are the outputs with golden files, by directory under testdata.
var formats = []struct {
	dir, ext string
	append   func([]byte, *event.Event) []byte
}{
	{"hec", ".json", func(b []byte, ev *event.Event) []byte { return AppendHEC(b, ev, hecOpts) }},
	{"ecs", ".json", AppendECS},
	{"syslog", ".log", func(b []byte, ev *event.Event) []byte { return AppendSyslog(b, ev, syslogOpts) }},
	{"cef", ".log", func(b []byte, ev *event.Event) []byte { return AppendCEF(b, ev, syslogOpts) }},
	{"archive", ".tsv", appendArchiveText}, // the binary row rendered as text
}

type goldenCase struct {
	name string
	kind event.Kind
	raw  []byte
}

// goldenCases are the inputs of the golden files: both envelopes as the
// simulator renders them, alerts, and the hard cases.
func goldenCases(tb testing.TB) []goldenCase {
	huge := strings.Repeat("0123456789abcdef", 100*1024/16)
	return []goldenCase{
		{"described_login_failure", event.KindEvent, mustFailedLogin(tb, pigmentsim.ShapeDescribed)},
		{"described_block_modified", event.KindEvent, mustSimEvent(tb, pigmentsim.ShapeDescribed, "BlockModified")},
		{"public_account_type_updated", event.KindEvent, mustSimEvent(tb, pigmentsim.ShapePublic, "UserAccountTypeUpdated")},
		{"public_login", event.KindEvent, mustSimEvent(tb, pigmentsim.ShapePublic, "UserLoggedIn")},
		{"public_actor_user", event.KindEvent, []byte(`{"eventId":"e-nested","eventType":"UserAccountTypeUpdated","eventTimestamp":"2025-06-10T11:00:00Z","ingestionTimestamp":"2025-06-10T11:00:02Z","actor":{"user":{"id":"u-42","email":"zoë.ng@acme.io","name":"Zoë \"Z\" Ng ]"},"type":"User"},"context":{"workspaceId":"w-1","applicationId":"app-9","applicationName":"Budget","ipAddress":"198.51.100.7"},"payload":{"userId":"u-77","previousAccountType":"Builder","newAccountType":"Workspace Admin"}}`)},
		{"described_role_changed", event.KindEvent, []byte(`{"eventId":"e-role","eventType":"RoleChanged","eventTimestamp":"2025-06-10T11:00:00.123456789Z","ingestionTimestamp":"2025-06-10T11:05:00.5Z","actor":{"memberId":"m-1","email":"ann@acme.io","name":"Ann"},"target":{"applicationId":"app-9","applicationName":"Budget"},"metadata":{"memberId":"m-2","memberEmail":"bob@acme.io","roleBefore":"Viewer","roleAfter":"Builder","previousLicenseType":"Explorer","newLicenseType":"Editor","ipAddress":"198.51.100.7","country":"DE"}}`)},
		{"actor_precedence", event.KindEvent, []byte(`{"eventId":"e-prec","eventType":"UserLoggedIn","eventTimestamp":"2025-06-10T11:00:00Z","actor":{"userId":"u-1","id":"i-1","memberId":"m-1","user":{"id":"nested","email":"n@acme.io","name":"Nested"}},"metadata":{"outcome":"success"}}`)},
		{"alert", event.KindAlert, []byte(`{"id":"alert-7f3c","rule":"brute_force_login","severity":"high","title":"12 failed logins for jane@acme.io in 10 minutes","description":"Repeated failures","actor":"jane@acme.io","application":"app-42","window":{"start":"2025-06-10T11:50:00Z","end":"2025-06-10T12:00:00Z"},"firstEventTime":"2025-06-10T11:50:03.100Z","lastEventTime":"2025-06-10T11:59:41.250Z","count":12,"evidence":["e1","e2"],"mitre":"T1110","runbook":"https://runbooks.example/brute-force"}`)},
		{"alert_minimal", event.KindAlert, []byte(`{"id":"alert-1"}`)},
		{"alert_kpi", event.KindAlert, []byte(`{"id":"0c5e2f1a-7d2b-5e8c-9a41-3f6b2d1c0e9a","rule":"kpi-daily","severity":"info","title":"Naming violations on 2025-06-09","description":"naming_violations on 2025-06-09 (UTC): breached (source: inventory snapshot 7).","window":{"start":"2025-06-09T00:00:00Z","end":"2025-06-10T00:00:00Z"},"firstEventTime":"2025-06-09T00:00:00Z","lastEventTime":"2025-06-10T00:00:00Z","count":0,"evidence":[],"kpi":"naming_violations","value":3,"target":0,"status":"breached"}`)},
		{"non_ascii", event.KindEvent, []byte(`{"eventId":"e-nonascii","eventType":"BlockModified","eventTimestamp":"2025-06-10T11:00:00.5Z","ingestionTimestamp":"2025-06-10T11:00:03Z","actor":{"memberId":"m-1","email":"élodie.dupré@acme.fr","name":"Élodie Dupré"},"target":{"applicationId":"app-jp","applicationName":"日本 予算 2025"},"metadata":{"blockName":"売上","country":"jp"}}`)},
		{"sd_escaping", event.KindEvent, []byte(`{"eventId":"e-\"sd\"]","eventType":"MemberInvited","eventTimestamp":"2025-06-10T11:00:00Z","actor":{"memberId":"m]1","email":"bob@acme.io","name":"Bob \"the \\ builder\" ]x["},"target":{"applicationId":"a\\b","applicationName":"Plan ] \"Q3\""}}`)},
		{"cef_escaping", event.KindEvent, []byte(`{"eventId":"e=1|2","eventType":"Custom|Type=1\\x","eventTimestamp":"2025-06-10T11:00:00Z","actor":{"memberId":"m=1","email":"a|b@acme.io"},"target":{"applicationId":"a=b","applicationName":"P&L | FY=2025 \\ draft"}}`)},
		{"huge_field", event.KindEvent, []byte(`{"eventId":"e-huge","eventType":"DataModified","eventTimestamp":"2025-06-10T11:00:00Z","ingestionTimestamp":"2025-06-10T11:00:01Z","actor":{"memberId":"m-1","email":"a@acme.io","name":"Ann"},"target":{"applicationId":"app-1","applicationName":"Budget"},"metadata":{"note":"` + huge + `"}}`)},
		{"long_type", event.KindEvent, []byte(`{"eventId":"e-long","eventType":"AVeryLongEventTypeNameThatExceedsThirtyTwoCharacters","eventTimestamp":"2025-06-10T11:00:00.000123Z"}`)},
		{"minimal", event.KindEvent, []byte(`{"eventId":"e-min"}`)},
		{"control_chars", event.KindEvent, []byte(`{"eventId":"e-ctl","eventType":"Bad\nType\u0001","eventTimestamp":"yesterday","ingestionTimestamp":"2025-06-10T11:00:03+02:00","actor":{"memberId":"m\t1","name":"a\u0000b\u007fc\r\nd","email":"x\u2028y@acme.io"},"metadata":{"ipAddress":"not an ip","country":"France"}}`)},
		{"raw_control_chars", event.KindEvent, []byte("{\n\t\"eventId\":\"e-raw\x01ctl\",\"eventType\":\"BlockModified\",\"eventTimestamp\":\"2025-06-10T11:00:00Z\",\n" +
			"\"actor\":{\"memberId\":\"m-raw\",\"email\":\"raw@acme.io\",\"name\":\"Ann\x01B\x1fC\x00D\tE\nF\"},\"target\":{\"applicationId\":\"app-1\",\"applicationName\":\"Plan\tQ3\r\nFY\"},\r\n" +
			"\"metadata\":{\"note\":\"line1\nline2\ttab\x00end \\\"q\\\" \\\\\",\"k\x1fey\":\"\x1f\",\"ipAddress\":\"192.0.2.9\",\"country\":\"fr\"}\n}\n")},
		{"pretty_printed", event.KindEvent, []byte("{\n  \"eventId\": \"e-pretty\",\r\n  \"eventType\": \"APIKeyCreated\",\n  \"eventTimestamp\": \"2025-06-10T11:00:00Z\",\n  \"context\": {\"ipAddress\": \"2001:db8::1\"}\n}\n")},
		{"invalid_utf8", event.KindEvent, []byte("{\"eventId\":\"e-utf8\",\"eventType\":\"UserLoggedIn\",\"eventTimestamp\":\"2025-06-10T11:00:00Z\",\"actor\":{\"memberId\":\"m-1\",\"name\":\"bad \xff\xfe name \xc3\"},\"metadata\":{\"outcome\":\"success\",\"ipAddress\":\"192.0.2.7\"}}")},
	}
}

// mustFailedLogin returns a failed login rendered by the simulator.
func mustFailedLogin(tb testing.TB, shape string) []byte {
	tb.Helper()
	for _, raw := range mustSimEvents(tb, shape, 3000) {
		if bytes.Contains(raw, []byte(`"outcome":"failure"`)) {
			return raw
		}
	}
	tb.Fatal("no failed login in the simulator's output")
	return nil
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases(t) {
		ev, err := event.Parse(c.raw, c.kind)
		if err != nil {
			t.Fatalf("Parse(%s) error %v", c.name, err)
		}
		for _, f := range formats {
			checkGolden(t, filepath.Join("testdata", f.dir, c.name+f.ext), f.append(nil, &ev))
		}
	}
}

// checkGolden compares got with the golden file at path (its last newline
// left out), or rewrites the file with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if want = bytes.TrimSuffix(want, []byte("\n")); !bytes.Equal(got, want) {
		t.Errorf("%s =\n%.2000s\nwant\n%.2000s", path, got, want)
	}
}

// TestOutputs checks the structure of every output for the golden inputs
// and all simulator events: HEC and ECS are valid JSON on one line carrying
// the original event unchanged, syslog and CEF lines parse as RFC 5424.
func TestOutputs(t *testing.T) {
	for _, c := range goldenAndSimCases(t, 500) {
		ev, err := event.Parse(c.raw, c.kind)
		if err != nil {
			t.Fatalf("Parse(%s) error %v", c.name, err)
		}
		checkOutputs(t, c.name, &ev)
	}
}

// goldenAndSimCases are the golden inputs and up to n simulator events in
// each envelope.
func goldenAndSimCases(tb testing.TB, n int) []goldenCase {
	cases := goldenCases(tb)
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		for i, raw := range mustSimEvents(tb, shape, n) {
			cases = append(cases, goldenCase{shape + "#" + string(rune('0'+i%10)), event.KindEvent, raw})
		}
	}
	return cases
}

// checkOutputs checks all four outputs of ev.
func checkOutputs(t *testing.T, name string, ev *event.Event) {
	t.Helper()
	hec := AppendHEC(nil, ev, hecOpts)
	var h struct {
		Time   json.Number
		Event  json.RawMessage
		Fields map[string]string
	}
	if err := checkJSONLine(hec, &h); err != nil {
		t.Errorf("AppendHEC(%s) = %.300s: %v", name, hec, err)
	} else if !sameJSON(h.Event, ev.Raw) {
		t.Errorf("AppendHEC(%s).event = %.300s, want %.300s", name, h.Event, ev.Raw)
	}
	ecs := AppendECS(nil, ev)
	var e struct {
		Pigment struct{ Event, Alert json.RawMessage }
		Event   struct{ Kind, Outcome string }
	}
	if err := checkJSONLine(ecs, &e); err != nil {
		t.Errorf("AppendECS(%s) = %.300s: %v", name, ecs, err)
	} else if orig := cmpOrRaw(e.Pigment.Event, e.Pigment.Alert); !sameJSON(orig, ev.Raw) {
		t.Errorf("AppendECS(%s).pigment = %.300s, want %.300s", name, orig, ev.Raw)
	}
	line := AppendSyslog(nil, ev, syslogOpts)
	if sd, msg, err := parse5424(line); err != nil {
		t.Errorf("AppendSyslog(%s) = %.300s: %v", name, line, err)
	} else if sd["eventId"] != clean(ev.ID, false) || sd["actorName"] != clean(ev.ActorName, false) || !sameJSON(msg, ev.Raw) {
		t.Errorf("AppendSyslog(%s) SD = %.300q, MSG %.100s, want eventId %q, actorName %.100q, the event", name, sd, msg, ev.ID, ev.ActorName)
	}
	cef := AppendCEF(nil, ev, syslogOpts)
	if _, msg, err := parse5424(cef); err != nil {
		t.Errorf("AppendCEF(%s) = %.300s: %v", name, cef, err)
	} else if ext, err := parseCEF(msg); err != nil {
		t.Errorf("AppendCEF(%s) = %.300s: %v", name, cef, err)
	} else if ext["externalId"] != clean(ev.ID, true) || ext["cs1"] != clean(ev.AppName, true) || ext["suid"] != clean(ev.ActorID, true) {
		t.Errorf("AppendCEF(%s) extension = %q, want externalId %q, cs1 %q, suid %q", name, ext, ev.ID, ev.AppName, ev.ActorID)
	}
	checkArchive(t, name, ev)
}

// clean is s as syslog SD-PARAMs and CEF extensions carry it: invalid UTF-8
// as U+FFFD, control characters as spaces (CEF keeps CR and LF, escaped).
func clean(s string, keepCRLF bool) string {
	return strings.Map(func(r rune) rune {
		if keepCRLF && (r == '\n' || r == '\r') {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s) // Map turns each invalid byte into U+FFFD
}

func cmpOrRaw(a, b json.RawMessage) json.RawMessage {
	if a != nil {
		return a
	}
	return b
}

// checkJSONLine checks b is one line of valid UTF-8 JSON and decodes it.
func checkJSONLine(b []byte, v any) error {
	if bytes.ContainsAny(b, "\r\n") {
		return errorString("output spans several lines")
	}
	if !json.Valid(b) || !bytes.Equal(bytes.ToValidUTF8(b, nil), b) {
		return errorString("output is not valid UTF-8 JSON")
	}
	return json.Unmarshal(b, v)
}

type errorString string

func (e errorString) Error() string { return string(e) }

// sameJSON reports whether got is the original raw: byte for byte when raw
// is one line of valid UTF-8 without raw control characters in strings,
// else the same JSON value.
func sameJSON(got, raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	strict := jsontest.Strict(raw)
	if !bytes.ContainsAny(raw, "\r\n") && bytes.Equal(bytes.ToValidUTF8(raw, nil), raw) && bytes.Equal(strict, raw) {
		return bytes.Equal(got, raw)
	}
	var a, b any
	return json.Unmarshal(got, &a) == nil && json.Unmarshal(strict, &b) == nil && jsonEqual(a, b)
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestAppendRaw: the embedded event is strict JSON on one line, the same
// value as the original: raw control characters inside strings escaped as
// \u00XX (Splunk and Elasticsearch refuse them raw), CR and LF between
// tokens turned into spaces, invalid UTF-8 into \ufffd, the rest copied.
func TestAppendRaw(t *testing.T) {
	tests := []struct{ raw, want string }{
		{`{"a":"b","c":[1,true,null]}`, `{"a":"b","c":[1,true,null]}`},
		{"{\"a\":\"x\x01y\x1fz\x00\"}", `{"a":"x\u0001y\u001fz\u0000"}`},
		{"{\"a\":\"tab\there\nnew\rline\"}", `{"a":"tab\u0009here\u000anew\u000dline"}`},
		{"{\n\t\"a\" :\r\n\"b\tc\" }\n", "{ \t\"a\" :  \"b\\u0009c\" }"},
		{"{\"k\x02\":\"v\"}", `{"k\u0002":"v"}`},
		{"{\"a\":\"q\\\"\x03\",\"b\":\"\\\\\",\"c\":\"\x04\"}", `{"a":"q\"\u0003","b":"\\","c":"\u0004"}`},
		{"{\"a\":\"\xff\x05\u00e9\"}", `{"a":"\ufffd\u0005é"}`},
		{"{\"a\":\"é\x06日本\"}", `{"a":"é\u0006日本"}`},
		{"{\"a\":\"" + strings.Repeat("x", 40) + "\x07\"}", `{"a":"` + strings.Repeat("x", 40) + `\u0007"}`},
	}
	for _, tt := range tests {
		got := appendRaw(nil, []byte(tt.raw))
		if string(got) != tt.want || !json.Valid(got) {
			t.Errorf("appendRaw(%q) = %q (valid JSON: %v), want %q", tt.raw, got, json.Valid(got), tt.want)
		}
	}
}

// TestPlain: appendRaw's fast check agrees with its definition for every
// byte value at every position of a 79-byte run (the 64-byte, 8-byte and
// byte-wise paths), after a prefix of every length up to 8.
func TestPlain(t *testing.T) {
	naive := func(b []byte) bool {
		return !bytes.ContainsFunc(b, func(r rune) bool { return r < 0x20 }) && utf8.Valid(b)
	}
	base := []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefghijklmnopq")
	for pos := range base {
		for c := range 256 {
			b := bytes.Clone(base)
			b[pos] = byte(c)
			for start := 0; start <= min(pos, 8); start++ {
				if got, want := plain(b[start:]), naive(b[start:]); got != want {
					t.Fatalf("plain(%q) = %v, want %v", b[start:], got, want)
				}
			}
		}
	}
}

// rfc5424 matches an RFC 5424 HEADER (PRI, version 1, timestamp with at most
// six fraction digits or NILVALUE, printable ASCII fields of the allowed
// lengths) followed by STRUCTURED-DATA and MSG.
var rfc5424 = regexp.MustCompile(`^<([0-9]|[1-9][0-9]|1[0-8][0-9]|19[01])>1 ` +
	`(-|[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})) ` +
	`[!-~]{1,255} [!-~]{1,48} [!-~]{1,128} [!-~]{1,32} (-( .*)?|\[.*)$`)

// parse5424 checks line against RFC 5424 and returns the params of its SD
// element (unescaped) and its MSG.
func parse5424(line []byte) (map[string]string, []byte, error) {
	m := rfc5424.FindSubmatchIndex(line)
	if m == nil || !bytes.Equal(bytes.ToValidUTF8(line, nil), line) {
		return nil, nil, errorString("not an RFC 5424 line")
	}
	rest := line[m[10]:]
	params := map[string]string{}
	if rest[0] == '-' {
		if len(rest) == 1 {
			return params, nil, nil
		}
		if rest[1] != ' ' {
			return nil, nil, errorString("want a space after NILVALUE structured data")
		}
		return params, rest[2:], nil
	}
	sdName := regexp.MustCompile(`^[!#-<>-\\^-~]{1,32}`) // printable but '=', ']', '"' and space
	i := 1
	id := sdName.Find(rest[i:])
	if id == nil {
		return nil, nil, errorString("bad SD-ID")
	}
	for i += len(id); rest[i] == ' '; {
		name := sdName.Find(rest[i+1:])
		if name == nil || rest[i+1+len(name)] != '=' || rest[i+2+len(name)] != '"' {
			return nil, nil, errorString("bad SD-PARAM at " + string(rest[i:]))
		}
		i += 3 + len(name)
		var v []byte
		for ; rest[i] != '"'; i++ {
			switch c := rest[i]; {
			case c == '\\' && (rest[i+1] == '"' || rest[i+1] == '\\' || rest[i+1] == ']'):
				i++
				v = append(v, rest[i])
			case c == '"' || c == ']' || c == '\\':
				return nil, nil, errorString("unescaped " + string(c) + " in PARAM-VALUE")
			default:
				v = append(v, c)
			}
		}
		params[string(name)] = string(v)
		i++
	}
	if rest[i] != ']' || rest[i+1] != ' ' {
		return nil, nil, errorString("want '] ' after the SD element")
	}
	return params, rest[i+2:], nil
}

// parseCEF checks a CEF:0 record (seven header fields with escaped pipes)
// and returns its extension, unescaped.
func parseCEF(msg []byte) (map[string]string, error) {
	s := string(msg)
	if !strings.HasPrefix(s, "CEF:0|") {
		return nil, errorString("no CEF:0 prefix")
	}
	fields := 0
	i := 0
	for ; i < len(s) && fields < 7; i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			fields++
		case '\n', '\r':
			return nil, errorString("newline in the CEF header")
		}
	}
	if fields != 7 {
		return nil, errorString("want 7 header fields")
	}
	ext := map[string]string{}
	pairs := regexp.MustCompile(`(?:^| )([A-Za-z0-9]+)=((?:[^\\= ]|\\[\\=nr]| )*?)(?: [A-Za-z0-9]+=|$)`)
	for rest := s[i:]; rest != ""; {
		m := pairs.FindStringSubmatchIndex(rest)
		if m == nil || m[0] != 0 {
			return nil, errorString("bad extension at " + rest)
		}
		v := strings.NewReplacer(`\\`, `\`, `\=`, `=`, `\n`, "\n", `\r`, "\r").Replace(rest[m[4]:m[5]])
		ext[rest[m[2]:m[3]]] = v
		rest = rest[m[5]:]
	}
	return ext, nil
}
