package event

import "time"

// parseTime accepts RFC 3339 with or without fractional seconds (kept to
// the nanosecond), and the same without a zone ("2006-01-02T15:04:05[.fff...]"),
// read as UTC. The result is in UTC. It is the one rule for every timestamp
// of an event: extract requires ingestionTimestamp by it, and forward and
// detect then read the same instant from the record.
func parseTime(s string) (time.Time, bool) {
	if t, ok := fastTime(s); ok {
		return t, true
	}
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

// fastTime reads the timestamps producers send,
// "2006-01-02T15:04:05[.f{1,9}][Z|±hh:mm]", as parseTime's time.Parse calls
// do (same ranges, same instant, in UTC) but without their generality:
// they were a tenth of a record's parse, and a zone offset cost two
// allocations. It reports false for anything else, which parseTime then
// reads the slow way: false never means the text is not a timestamp.
func fastTime(s string) (time.Time, bool) {
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := num(s[0:4])
	month, ok2 := num(s[5:7])
	day, ok3 := num(s[8:10])
	hour, ok4 := num(s[11:13])
	minute, ok5 := num(s[14:16])
	sec, ok6 := num(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	s = s[19:]
	nsec := 0
	if len(s) > 0 && s[0] == '.' {
		n := 1
		for n < len(s) && n <= 10 && '0' <= s[n] && s[n] <= '9' {
			nsec = nsec*10 + int(s[n]-'0')
			n++
		}
		if n == 1 || n > 10 { // no digit, or more than nine: the slow way
			return time.Time{}, false
		}
		for i := n; i <= 9; i++ {
			nsec *= 10
		}
		s = s[n:]
	}
	offset := 0
	switch {
	case len(s) == 0 || len(s) == 1 && s[0] == 'Z':
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		hh, ok1 := num(s[1:3])
		mm, ok2 := num(s[4:6])
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		if offset = (hh*60 + mm) * 60; s[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	return t.Add(time.Duration(-offset) * time.Second), true
}

// num reads s, two or four decimal digits.
func num(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + int(c)
	}
	return n, true
}

// daysIn is the number of days of month in year (proleptic Gregorian), as
// time.Parse checks a day.
func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
