package event

// ParseAPI, the outcome and time rules and the readers of the reference
// (see parse_ref_test.go).

import (
	"strconv"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// refScanner is scanner with the reference's time rule: its other readers
// (int, stringOrNumber) and syntaxError are unchanged since b1e3385.
type refScanner struct{ scanner }

// time reads a timestamp (see refParseTime) and its text. It returns the time
// if prefer is set or old is zero, and old otherwise or when the value is
// not a timestamp.
func (s *refScanner) time(old time.Time, prefer bool) (time.Time, string, error) {
	v, err := s.String(1)
	if err != nil {
		return old, v, err
	}
	if t, ok := refParseTime(v); ok && (prefer || old.IsZero()) {
		return t, v, nil
	}
	return old, v, nil
}

// refParseTime accepts RFC 3339 with or without fractional seconds (kept to
// the nanosecond), and the same without a zone ("2006-01-02T15:04:05[.fff...]"),
// read as UTC. The result is in UTC. It is the one rule for every timestamp
// of an event: extract requires ingestionTimestamp by it, and forward and
// detect then read the same instant from the record.
func refParseTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), true
	}
	// When parsing, Go accepts fractional seconds after "05" even when the
	// layout does not show them.
	if t, err := time.Parse("2006-01-02T15:04:05", s); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// refParseAPI is ParseAPI as it was.
func refParseAPI(raw []byte) (ev Event, reason string, err error) {
	var f refFound
	if ev, err = refParse(raw, KindEvent, &f); err != nil {
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
	t, ok := refParseTime(f.ingested)
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

// outcome normalises an outcome or status value.
func refOutcome(v string) string {
	for _, w := range [...]string{"success", "succeeded", "successful", "ok", "completed", "allowed"} {
		if strings.EqualFold(v, w) {
			return "success"
		}
	}
	for _, w := range [...]string{"failure", "failed", "fail", "error", "denied", "rejected"} {
		if strings.EqualFold(v, w) {
			return "failure"
		}
	}
	return ""
}
