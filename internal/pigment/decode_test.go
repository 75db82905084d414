package pigment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// Events in both envelopes, with escapes, non-ASCII and unknown fields.
const (
	evTargetMetadata = `{"eventId":"e-1","eventType":"UserLoggedIn","eventTimestamp":"2024-01-15T10:30:00Z","ingestionTimestamp":"2024-01-15T10:30:05.123Z","actor":{"memberId":"member-123","email":"user@company.com","name":"Jos\u00e9 D\u00f6e"},"target":{"applicationId":"app-456","applicationName":"Revenue \"Planning\""},"metadata":{},"futureField":[1,2.50,{"x":null}]}`
	evContextPayload = `{ "eventId" : "e-2", "eventType": "UserAccountTypeUpdated", "eventTimestamp": "2024-01-15T09:00:00+02:00", "ingestionTimestamp": "2024-01-15T07:05:00Z",
	  "actor": {"id": "u-9", "email": "a@b.c"}, "context": {"ip": "10.0.0.1"}, "payload": {"userId": "u-7", "previousAccountType": "Builder", "newAccountType": "Workspace Admin", "note": "é\ud83d\ude00\\"} }`
	evStringActor = `{"eventId":"e-3","ingestionTimestamp":"2024-01-15T07:04:00","actor":"svc-account","eventTimestamp":"nonsense"}`
)

func TestDecodePageShapes(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantIDs    []string
		wantCursor string
	}{
		{"pagination.nextCursor", `{"events":[` + evTargetMetadata + `],"pagination":{"nextCursor":"c-2"}}`, []string{"e-1"}, "c-2"},
		{"nextEventsCursor", `{"events":[` + evContextPayload + `],"nextEventsCursor":"c-3"}`, []string{"e-2"}, "c-3"},
		{"nextEventsCursor null", `{"events":[],"nextEventsCursor":null}`, []string{}, ""},
		{"nextEventsCursor empty", `{"events":[],"nextEventsCursor":""}`, []string{}, ""},
		{"pagination.nextCursor null", `{"events":[],"pagination":{"nextCursor":null}}`, []string{}, ""},
		{"pagination null", `{"events":[],"pagination":null}`, []string{}, ""},
		{"no cursor", `{"events":[]}`, []string{}, ""},
		{"both cursors", `{"events":[],"nextEventsCursor":"a","pagination":{"nextCursor":"a"}}`, []string{}, "a"},
		{"empty top-level, nested set", `{"events":[],"nextEventsCursor":"","pagination":{"nextCursor":"b"}}`, []string{}, "b"},
		{"newest first kept", `{"events":[` + evTargetMetadata + `,` + evContextPayload + `,` + evStringActor + `]}`, []string{"e-1", "e-2", "e-3"}, ""},
		{"oldest first kept", `{"events":[` + evStringActor + `,` + evContextPayload + `,` + evTargetMetadata + `]}`, []string{"e-3", "e-2", "e-1"}, ""},
		{"whitespace", " \n{ \"events\" : [ \n" + evStringActor + " , " + evTargetMetadata + " ] , \"other\": {\"events\": 1} }\n", []string{"e-3", "e-1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePage([]byte(tt.body))
			if err != nil {
				t.Fatalf("decodePage: %v", err)
			}
			gotIDs := []string{}
			for _, e := range p.Events {
				gotIDs = append(gotIDs, e.ID)
			}
			if fmt.Sprint(gotIDs) != fmt.Sprint(tt.wantIDs) {
				t.Errorf("IDs = %v, want %v", gotIDs, tt.wantIDs)
			}
			if p.NextCursor != tt.wantCursor {
				t.Errorf("NextCursor = %q, want %q", p.NextCursor, tt.wantCursor)
			}
			if len(p.Invalid) != 0 {
				t.Errorf("Invalid = %+v, want none", p.Invalid)
			}
		})
	}
}

func TestDecodePageFields(t *testing.T) {
	body := `{"events":[` + evTargetMetadata + ",\n" + evContextPayload + `,` + evStringActor + `]}`
	p, err := decodePage([]byte(body))
	if err != nil {
		t.Fatalf("decodePage: %v", err)
	}
	want := []event.Event{
		{Raw: []byte(evTargetMetadata), ID: "e-1", Type: "UserLoggedIn", ActorID: "member-123",
			Time:     time.Date(2024, 1, 15, 10, 30, 0, 0, time.UTC),
			Ingested: time.Date(2024, 1, 15, 10, 30, 5, 123e6, time.UTC)},
		{Raw: []byte(evContextPayload), ID: "e-2", Type: "UserAccountTypeUpdated", ActorID: "u-9",
			Time:     time.Date(2024, 1, 15, 7, 0, 0, 0, time.UTC),
			Ingested: time.Date(2024, 1, 15, 7, 5, 0, 0, time.UTC)},
		{Raw: []byte(evStringActor), ID: "e-3", ActorID: "svc-account",
			Ingested: time.Date(2024, 1, 15, 7, 4, 0, 0, time.UTC)},
	}
	if len(p.Events) != len(want) {
		t.Fatalf("got %d events, want %d", len(p.Events), len(want))
	}
	for i, got := range p.Events {
		w := want[i]
		if !bytes.Equal(got.Raw, w.Raw) {
			t.Errorf("event %d Raw = %s, want %s", i, got.Raw, w.Raw)
		}
		if got.ID != w.ID || got.Type != w.Type || got.ActorKey() != w.ActorID ||
			!got.Time.Equal(w.Time) || !got.Ingested.Equal(w.Ingested) {
			t.Errorf("event %d = {%s %s %s %v %v}, want {%s %s %s %v %v}", i,
				got.ID, got.Type, got.ActorKey(), got.Time, got.Ingested,
				w.ID, w.Type, w.ActorID, w.Time, w.Ingested)
		}
		if cap(got.Raw) != len(got.Raw) {
			t.Errorf("event %d Raw has spare capacity %d: appending would overwrite the next event", i, cap(got.Raw)-len(got.Raw))
		}
	}
}

func TestDecodePageActor(t *testing.T) {
	tests := []struct {
		actor string
		want  string
	}{
		{`{"memberId":"m","id":"i","userId":"u","email":"e"}`, "m"},
		{`{"memberId":"","id":"i","userId":"u","email":"e"}`, "i"},
		{`{"userId":"u","email":"e"}`, "u"},
		{`{"email":"e@x","name":"N"}`, "e@x"},
		{`{"name":"N"}`, ""},
		{`{"memberId":42,"email":"e"}`, "e"},
		{`"plain-\u00e9"`, "plain-é"},
		{`null`, ""},
		{`17`, ""},
		{`["m"]`, ""},
		{`{"user":{"id":"u-1","email":"e@x","name":"N"},"type":"User"}`, "u-1"},
		{`{"user":{"email":"e@x","name":"N"}}`, "e@x"},
		{`{"userId":"u","user":{"memberId":"m"}}`, "u"},
		{`"e@x"`, "e@x"},
	}
	for _, tt := range tests {
		body := `{"events":[{"eventId":"x","ingestionTimestamp":"2024-01-01T00:00:00Z","actor":` + tt.actor + `}]}`
		p, err := decodePage([]byte(body))
		if err != nil {
			t.Fatalf("decodePage(actor %s): %v", tt.actor, err)
		}
		if len(p.Events) != 1 {
			t.Fatalf("decodePage(actor %s): %d events, invalid %+v", tt.actor, len(p.Events), p.Invalid)
		}
		if got := p.Events[0].ActorKey(); got != tt.want {
			t.Errorf("ActorKey(actor %s) = %q, want %q", tt.actor, got, tt.want)
		}
	}
}

func TestDecodePageInvalid(t *testing.T) {
	tests := []struct {
		elem       string
		wantReason string
	}{
		{`"just a string"`, "not a JSON object (string)"},
		{`[1,2]`, "not a JSON object (array)"},
		{`null`, "not a JSON object (null)"},
		{`12.5e3`, "not a JSON object (a number)"},
		{`true`, "not a JSON object (a boolean)"},
		{`{"ingestionTimestamp":"2024-01-01T00:00:00Z"}`, "missing eventId"},
		{`{"eventId":null,"ingestionTimestamp":"2024-01-01T00:00:00Z"}`, "missing eventId"},
		{`{"eventId":"","ingestionTimestamp":"2024-01-01T00:00:00Z"}`, "empty eventId"},
		{`{"eventId":7,"ingestionTimestamp":"2024-01-01T00:00:00Z"}`, "eventId is a number, want a string"},
		{`{"eventId":"a"}`, "missing ingestionTimestamp"},
		{`{"eventId":"a","ingestionTimestamp":"xyz"}`, `unparsable ingestionTimestamp "xyz"`},
		{`{"eventId":"a","ingestionTimestamp":1705312205}`, "ingestionTimestamp is a number, want a string"},
		{`{"eventId":"a","ingestionTimestamp":"2024-13-01T00:00:00Z"}`, `unparsable ingestionTimestamp "2024-13-01T00:00:00Z"`},
	}
	for _, tt := range tests {
		body := `{"events":[` + evStringActor + `,` + tt.elem + `]}`
		p, err := decodePage([]byte(body))
		if err != nil {
			t.Fatalf("decodePage(%s): %v", tt.elem, err)
		}
		if len(p.Events) != 1 || len(p.Invalid) != 1 {
			t.Fatalf("decodePage(%s): %d events, %d invalid, want 1 and 1", tt.elem, len(p.Events), len(p.Invalid))
		}
		if got := p.Invalid[0]; got.Reason != tt.wantReason || string(got.Raw) != tt.elem {
			t.Errorf("decodePage(%s).Invalid = {%s %q}, want {%s %q}", tt.elem, got.Raw, got.Reason, tt.elem, tt.wantReason)
		}
	}
}

func TestDecodePageMalformed(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty", ``},
		{"truncated", `{"events":[` + evTargetMetadata[:40]},
		{"truncated after array", `{"events":[` + evTargetMetadata + `]`},
		{"not JSON", `<html>502 Bad Gateway</html>`},
		{"array at top", `[` + evTargetMetadata + `]`},
		{"events missing", `{"data":[]}`},
		{"events object", `{"events":{"eventId":"x"}}`},
		{"events string", `{"events":"[]"}`},
		{"events null", `{"events":null}`},
		{"cursor not a string", `{"events":[],"nextEventsCursor":5}`},
		{"trailing garbage", `{"events":[]} x`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := decodePage([]byte(tt.body))
			if !errors.Is(err, errMalformed) {
				t.Errorf("decodePage(%q) = %+v, %v; want an error wrapping errMalformed", tt.body, p, err)
			}
		})
	}
}

func TestDecodePageNoAlias(t *testing.T) {
	body := []byte(`{"events":[` + evTargetMetadata + `],"nextEventsCursor":"c"}`)
	p, err := decodePage(body)
	if err != nil {
		t.Fatalf("decodePage: %v", err)
	}
	for i := range body {
		body[i] = 'X'
	}
	if string(p.Events[0].Raw) != evTargetMetadata || p.NextCursor != "c" || p.Events[0].ID != "e-1" {
		t.Errorf("page changed after its body was overwritten: %s %q", p.Events[0].Raw, p.NextCursor)
	}
}

// pageBody returns an answer with n events of about 600 bytes, newest first.
func pageBody(n int, cursor string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"events":[`)
	base := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		ts := base.Add(-time.Duration(i) * time.Second)
		fmt.Fprintf(&b, `{"eventId":"9f1c2d3e-4b5a-6789-abcd-%012d","eventType":"BlockModified",`+
			`"eventTimestamp":"%s","ingestionTimestamp":"%s",`+
			`"actor":{"memberId":"member-%d","email":"user%d@company.example","name":"Us\u00e9r %d"},`+
			`"target":{"applicationId":"app-456","applicationName":"Revenue Planning","blockId":"blk-%d","blockName":"Revenue_Actuals"},`+
			`"metadata":{"ipAddress":"203.0.113.%d","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36","changes":[{"field":"formula","old":"A+B","new":"A+B+C"}],"sessionId":"s-%08d"}}`,
			i, ts.Add(-3*time.Second).Format(time.RFC3339Nano), ts.Format(time.RFC3339Nano), i%50, i%50, i%50, i%20, i%250, i)
	}
	b.WriteString(`]`)
	if cursor != "" {
		fmt.Fprintf(&b, `,"nextEventsCursor":%q`, cursor)
	}
	b.WriteString(`}`)
	return b.Bytes()
}

func BenchmarkDecodePage(b *testing.B) {
	body := pageBody(1000, "next")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := decodePage(body)
		if err != nil || len(p.Events) != 1000 {
			b.Fatalf("decodePage: %d events, %v", len(p.Events), err)
		}
	}
}

func FuzzDecodePage(f *testing.F) {
	f.Add([]byte(`{"events":[` + evTargetMetadata + `,` + evContextPayload + `,` + evStringActor + `],"nextEventsCursor":"c"}`))
	f.Add([]byte(`{"events":[1,"a",null,true,[],{},{"eventId":"x","ingestionTimestamp":"2024-01-01T00:00:00"}],"pagination":{"nextCursor":"\u0063"}}`))
	f.Add([]byte(`{"events":[{"eventId":"\"]},","ingestionTimestamp":"2024-01-01T00:00:00Z","actor":"\\"} ,  -0.5e+3 ]}`))
	f.Add([]byte(`{"events":{}}`))
	f.Add([]byte(`{"events":[`))
	f.Add(pageBody(3, "x"))
	f.Add([]byte("{\"events\":[{\"eventId\":\"a\tb\",\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\"},{\"x\":\"\\q\"}]}"))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodePage(body)
		valid := json.Valid(body)
		if valid && errors.Is(err, errInvalidJSON) {
			t.Fatalf("decodePage(%q) = %v; json.Valid = true", body, err)
		}
		if err != nil {
			if !errors.Is(err, errMalformed) {
				t.Fatalf("decodePage error %v does not wrap errMalformed", err)
			}
			return
		}
		if !valid {
			// Accepted leniently (raw control characters in strings,
			// unreadable elements reported Invalid): every element is
			// accounted for with bytes of the body.
			checkLenient(t, body, p)
			return
		}
		// Reference: encoding/json with exact key matching (a map), last key wins.
		var top map[string]json.RawMessage
		var ref struct{ Events []json.RawMessage }
		if err := json.Unmarshal(body, &top); err != nil {
			t.Fatalf("decodePage accepted a body encoding/json rejects: %v", err)
		}
		if err := json.Unmarshal(top["events"], &ref.Events); err != nil || ref.Events == nil {
			t.Fatalf("decodePage accepted events %q: %v", top["events"], err)
		}
		if len(p.Events)+len(p.Invalid) != len(ref.Events) {
			t.Fatalf("%d events + %d invalid, want %d elements", len(p.Events), len(p.Invalid), len(ref.Events))
		}
		var got [][]byte
		for _, e := range p.Events {
			got = append(got, e.Raw)
			if e.ID == "" || !bytes.HasPrefix(e.Raw, []byte("{")) {
				t.Fatalf("event without ID or not an object: %s", e.Raw)
			}
		}
		for _, in := range p.Invalid {
			got = append(got, in.Raw)
			if in.Reason == "" {
				t.Fatalf("invalid element without reason: %s", in.Raw)
			}
		}
		// Events and Invalid are each in array order; compare as multisets.
		want := map[string]int{}
		for _, r := range ref.Events {
			want[string(r)]++
		}
		for _, r := range got {
			want[string(r)]--
			if !json.Valid(r) {
				t.Fatalf("element is not valid JSON: %q", r)
			}
		}
		for r, n := range want {
			if n != 0 {
				t.Fatalf("element %q count off by %d", r, n)
			}
		}
	})
}

// checkLenient checks a page decodePage accepted from a body encoding/json
// refuses: events are objects with an ID, invalid elements have a reason,
// and every element's bytes are bytes of the body, in order, not
// overlapping.
func checkLenient(t *testing.T, body []byte, p *Page) {
	t.Helper()
	for _, e := range p.Events {
		if e.ID == "" || !bytes.HasPrefix(e.Raw, []byte("{")) || !bytes.Contains(body, e.Raw) {
			t.Fatalf("lenient event without ID, not an object or not from the body: %q", e.Raw)
		}
	}
	for _, in := range p.Invalid {
		if in.Reason == "" || !bytes.Contains(body, in.Raw) {
			t.Fatalf("lenient invalid element without reason or not from the body: %q", in.Raw)
		}
	}
}
