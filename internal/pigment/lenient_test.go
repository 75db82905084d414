package pigment

import (
	"errors"
	"strings"
	"testing"
)

// TestDecodePageRawControlCharacters serves events with raw control
// characters inside strings (invalid JSON strictly, but real producers emit
// them): each must be decoded as an event whose bytes are kept exactly, and
// the rest of the page too.
func TestDecodePageRawControlCharacters(t *testing.T) {
	tests := []struct {
		name   string
		elem   string
		wantID string
	}{
		{"tab in a value", "{\"eventId\":\"c-1\",\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\",\"metadata\":{\"note\":\"a\tb\"}}", "c-1"},
		{"newline and NUL in a value", "{\"eventId\":\"c-2\",\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\",\"payload\":{\"x\":\"l1\nl2\x00\"}}", "c-2"},
		{"control character in the eventId", "{\"eventId\":\"c\x013\",\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\"}", "c\x013"},
		{"control character and an escape", "{\"eventId\":\"c-4\\u0041\x1f\",\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\"}", "c-4A\x1f"},
		{"control character in a key", "{\"eventId\":\"c-5\",\"ingestionTimestamp\":\"2024-01-01T00:00:00Z\",\"we\x07ird\":1}", "c-5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"events":[` + evStringActor + `,` + tt.elem + `],"nextEventsCursor":"next"}`
			p, err := decodePage([]byte(body))
			if err != nil {
				t.Fatalf("decodePage: %v", err)
			}
			if len(p.Events) != 2 || len(p.Invalid) != 0 || p.NextCursor != "next" {
				t.Fatalf("decodePage: %d events, %d invalid (%+v), cursor %q; want 2, 0, \"next\"", len(p.Events), len(p.Invalid), p.Invalid, p.NextCursor)
			}
			if got := p.Events[1]; got.ID != tt.wantID || string(got.Raw) != tt.elem {
				t.Errorf("event = {ID %q, Raw %q}, want {%q, %q}", got.ID, got.Raw, tt.wantID, tt.elem)
			}
		})
	}
}

// TestDecodePageRawControlActor: an actor whose strings hold raw control
// characters is still read, so extract keys the event by the member, as it
// does the member's other events, and not by its eventId.
func TestDecodePageRawControlActor(t *testing.T) {
	for _, actor := range []string{
		"{\"memberId\":\"m-1\",\"name\":\"A\x01B\"}",
		"{\"user\":{\"id\":\"m-1\",\"name\":\"tab\there\nNUL\x00\"},\"note\":\"\x1f\"}",
	} {
		elem := `{"eventId":"c-1","ingestionTimestamp":"2024-01-01T00:00:00Z","actor":` + actor + `}`
		p, err := decodePage([]byte(`{"events":[` + elem + `]}`))
		if err != nil || len(p.Events) != 1 {
			t.Fatalf("decodePage(%q) = %+v, %v; want one event", elem, p, err)
		}
		if got := p.Events[0].ActorKey(); got != "m-1" {
			t.Errorf("decodePage(%q): ActorKey = %q, want m-1", elem, got)
		}
	}
}

// TestDecodePageUnreadableElement serves one element that cannot be read
// even leniently among good ones: it must come out as Invalid with its
// position and reason, and the elements around it as events. Only an
// unreadable envelope fails the page.
func TestDecodePageUnreadableElement(t *testing.T) {
	good := func(id string) string {
		return `{"eventId":"` + id + `","ingestionTimestamp":"2024-01-01T00:00:00Z"}`
	}
	tests := []struct {
		name, elem string
		wantReason string
	}{
		{"invalid escape", `{"eventId":"b","ingestionTimestamp":"2024-01-01T00:00:00Z","x":"\q"}`, "invalid escape"},
		{"bad literal", `{"eventId":"b","ingestionTimestamp":"2024-01-01T00:00:00Z","x":tru}`, "invalid literal"},
		{"missing colon", `{"eventId" "b"}`, "want ':'"},
		{"bad number", `{"eventId":"b","n":01}`, "want ',' or '}'"},
		{"garbage after the element", `{"eventId":"b","ingestionTimestamp":"2024-01-01T00:00:00Z"} x`, "after the element"},
		{"bare word", `undefined`, "want a value"},
		{"nested brackets", `{"eventId":"b","x":[1,{"y":[2,]}]}`, "want a value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := `{"events":[` + good("g-1") + `, ` + tt.elem + ` ,` + good("g-2") + `],"pagination":{"nextCursor":"next"}}`
			p, err := decodePage([]byte(body))
			if err != nil {
				t.Fatalf("decodePage: %v", err)
			}
			if len(p.Events) != 2 || p.Events[0].ID != "g-1" || p.Events[1].ID != "g-2" || p.NextCursor != "next" {
				t.Fatalf("decodePage: events %+v, cursor %q; want g-1 and g-2, \"next\"", p.Events, p.NextCursor)
			}
			if len(p.Invalid) != 1 {
				t.Fatalf("decodePage: %d invalid, want 1", len(p.Invalid))
			}
			in := p.Invalid[0]
			if string(in.Raw) != tt.elem || !strings.Contains(in.Reason, "element 2") ||
				!strings.Contains(in.Reason, "offset") || !strings.Contains(in.Reason, tt.wantReason) {
				t.Errorf("Invalid = {%q, %q}, want the element's bytes %q and a reason naming element 2, its offset and %q", in.Raw, in.Reason, tt.elem, tt.wantReason)
			}
		})
	}
}

// TestDecodePageUnreadableEnvelope: what cannot be skipped fails the page.
func TestDecodePageUnreadableEnvelope(t *testing.T) {
	for _, body := range []string{
		`{"events":[{"eventId":"a","x":"unterminated}]}`,
		`{"events":[{"eventId":"a"},{"eventId":"b"`,
		`{"events":[{"eventId":"a"}],"nextEventsCursor":tru}`,
		`{"events":[{"eventId":"a"}],"nextEventsCursor":"c\q"}`,
		`{"events":[{"eventId":"a"}}`,
	} {
		if p, err := decodePage([]byte(body)); !errors.Is(err, errMalformed) {
			t.Errorf("decodePage(%q) = %+v, %v; want an error wrapping errMalformed", body, p, err)
		}
	}
}
