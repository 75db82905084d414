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
	hi, ok1 := two(s[0], s[1])
	lo, ok2 := two(s[2], s[3])
	month, ok3 := two(s[5], s[6])
	day, ok4 := two(s[8], s[9])
	hour, ok5 := two(s[11], s[12])
	minute, ok6 := two(s[14], s[15])
	sec, ok7 := two(s[17], s[18])
	year := hi*100 + lo
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	s = s[19:]
	nsec := 0
	if len(s) > 0 && s[0] == '.' {
		n := 1
		for ; n < len(s) && s[n]-'0' <= 9; n++ {
			nsec = nsec*10 + int(s[n]-'0')
		}
		if n == 1 || n > 10 { // no digit, or more than nine: the slow way
			return time.Time{}, false
		}
		nsec *= pow10[10-n]
		s = s[n:]
	}
	offset := 0
	switch {
	case len(s) == 0 || len(s) == 1 && s[0] == 'Z':
	case len(s) == 6 && (s[0] == '+' || s[0] == '-') && s[3] == ':':
		hh, ok1 := two(s[1], s[2])
		mm, ok2 := two(s[4], s[5])
		if !ok1 || !ok2 || hh > 23 || mm > 59 {
			return time.Time{}, false
		}
		if offset = (hh*60 + mm) * 60; s[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, false
	}
	secs := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec-offset)
	return time.Unix(secs, int64(nsec)).UTC(), true
}

// pow10[i] is 10 to the i.
var pow10 = [...]int{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}

// two reads two decimal digits.
func two(a, b byte) (int, bool) {
	a, b = a-'0', b-'0'
	return int(a)*10 + int(b), a <= 9 && b <= 9
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

// daysSinceEpoch is the number of days from 1970-01-01 to the date
// (proleptic Gregorian, year 0 to 9999), by Howard Hinnant's
// days_from_civil: what time.Date computes, without its normalisation.
func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400                     // [0, 399]
	mp := int64(month+9) % 12              // March is 0
	doy := (153*mp+2)/5 + int64(day) - 1   // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy // [0, 146096]
	return era*146097 + doe - 719468
}
