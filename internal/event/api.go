package event

import (
	"strconv"
	"strings"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// ParseAPI reads one element of the API's events array as extract takes
// it: Parse, then an eventId that is a non-empty string and an
// ingestionTimestamp that parses (the last of each when a key repeats).
// A non-empty reason says why the element is not an event extract can
// produce ("missing eventId", "eventId is a number, want a string",
// "empty eventId", "missing ingestionTimestamp", "ingestionTimestamp is
// a number, want a string", "unparsable ingestionTimestamp \"xyz\"");
// err is Parse's syntax error or the element not being an object.
//
// Unlike Parse's, ID and Type are copies, with each byte of invalid UTF-8
// read as U+FFFD as encoding/json does (jsonscan.ValidUTF8): extract
// keeps IDs after the page is gone and stores them as text. Raw and the
// other strings alias raw, as with Parse.
func ParseAPI(raw []byte) (ev Event, reason string, err error) {
	var f found
	if err = parse(&ev, raw, KindEvent, &f); err != nil {
		return ev, "", err
	}
	if reason = notString(raw, f.idAt, "eventId"); reason != "" {
		return ev, reason, nil
	}
	if ev.ID == "" {
		return ev, "empty eventId", nil
	}
	if reason = notString(raw, f.ingestedAt, "ingestionTimestamp"); reason != "" {
		return ev, reason, nil
	}
	t, ok := parseTime(f.ingested)
	if !ok {
		v := jsonscan.ValidUTF8(f.ingested)
		if len(v) > 64 {
			v = v[:64] + "..."
		}
		return ev, "unparsable ingestionTimestamp " + strconv.Quote(v), nil
	}
	ev.Ingested = t
	ev.ID = strings.Clone(jsonscan.ValidUTF8(ev.ID))
	ev.Type = strings.Clone(jsonscan.ValidUTF8(ev.Type))
	return ev, "", nil
}

// notString says why the value of the member name, at offset at-1 of raw
// (see found; at is 0 when absent), is not a string ("missing eventId",
// "eventId is a number, want a string"), or "" when it is one.
func notString(raw []byte, at int, name string) string {
	if at == 0 {
		return "missing " + name
	}
	switch kind := jsonscan.Kind(raw[at-1:]); kind {
	case "string":
		return ""
	case "null":
		return "missing " + name
	default:
		return name + " is " + kind + ", want a string"
	}
}
