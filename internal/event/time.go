package event

import "time"

// parseTime accepts RFC 3339 with or without fractional seconds (kept to
// the nanosecond), and the same without a zone ("2006-01-02T15:04:05[.fff...]"),
// read as UTC. The result is in UTC. It is the one rule for every timestamp
// of an event: extract requires ingestionTimestamp by it, and forward and
// detect then read the same instant from the record.
func parseTime(s string) (time.Time, bool) {
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
