package event

import (
	"encoding/json"
	"testing"
	"time"
)

// TestTimesOneRule: extract (ParseAPI) and forward and detect (Parse) read
// the same instant from every timestamp extract accepts (timeCases): nine
// fractional digits kept, a zone converted to UTC, no zone read as UTC.
func TestTimesOneRule(t *testing.T) {
	for _, tt := range timeCases {
		if !tt.ok {
			continue
		}
		raw := []byte(`{"eventId":"e","eventTimestamp":"` + tt.in + `","ingestionTimestamp":"` + tt.in + `"}`)
		ev, err := Parse(raw, KindEvent)
		if err != nil || !ev.Time.Equal(tt.want) || !ev.Ingested.Equal(tt.want) || ev.Ingested.Location() != time.UTC {
			t.Errorf("Parse(%s) = Time %v, Ingested %v, %v; want %v in UTC", raw, ev.Time, ev.Ingested, err, tt.want)
		}
		api, reason, err := ParseAPI(raw)
		if err != nil || reason != "" || !api.Ingested.Equal(tt.want) || api.Ingested.Location() != time.UTC || !api.Time.Equal(tt.want) {
			t.Errorf("ParseAPI(%s) = Ingested %v, %q, %v; want %v in UTC", raw, api.Ingested, reason, err, tt.want)
		}
	}
}

// TestParseAPI: what extract requires of an event, with the reasons its
// dead letters carry, and IDs read as encoding/json reads them.
func TestParseAPI(t *testing.T) {
	const ing = `"ingestionTimestamp":"2024-01-01T00:00:00Z"`
	tests := []struct {
		raw, wantID, wantReason string
	}{
		{`{"eventId":"a",` + ing + `}`, "a", ""},
		{`{"eventId":"a\u00e9",` + ing + `}`, "aé", ""},
		{"{\"eventId\":\"a\xff\xfeb\"," + ing + "}", "a\uFFFD\uFFFDb", ""},
		{`{"eventId":"b","eventId":"a",` + ing + `}`, "a", ""},
		{`{` + ing + `}`, "", "missing eventId"},
		{`{"eventId":null,` + ing + `}`, "", "missing eventId"},
		{`{"eventId":"",` + ing + `}`, "", "empty eventId"},
		{`{"eventId":"a","eventId":7,` + ing + `}`, "", "eventId is a number, want a string"},
		{`{"eventId":"a"}`, "", "missing ingestionTimestamp"},
		{`{"eventId":"a","ingestionTimestamp":null}`, "", "missing ingestionTimestamp"},
		{`{"eventId":"a","ingestionTimestamp":{}}`, "", "ingestionTimestamp is object, want a string"},
		{`{"eventId":"a",` + ing + `,"ingestionTimestamp":"xyz"}`, "", `unparsable ingestionTimestamp "xyz"`},
	}
	for _, tt := range tests {
		ev, reason, err := ParseAPI([]byte(tt.raw))
		if err != nil || reason != tt.wantReason || (reason == "" && ev.ID != tt.wantID) {
			t.Errorf("ParseAPI(%q) = ID %q, %q, %v; want ID %q, reason %q", tt.raw, ev.ID, reason, err, tt.wantID, tt.wantReason)
		}
		if reason != "" {
			continue
		}
		var ref struct{ EventID string }
		if json.Unmarshal([]byte(tt.raw), &ref) == nil && ref.EventID != ev.ID {
			t.Errorf("ParseAPI(%q).ID = %q, encoding/json reads %q", tt.raw, ev.ID, ref.EventID)
		}
	}
	if _, _, err := ParseAPI([]byte(`{"eventId":"a",`)); err == nil {
		t.Errorf("ParseAPI(truncated): no error")
	}
}
