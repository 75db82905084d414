package transform

import (
	"strconv"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// Unix seconds of the first instant of year 0 and of year 10000, the years
// formats write (RFC 3339 has four-digit years).
const (
	minUnix = -62167219200 // 0000-01-01T00:00:00Z
	maxUnix = 253402300800 // 10000-01-01T00:00:00Z
)

// eventTime is the time formats use for an event: Time, else Ingested, else
// zero (formats then omit it). Times outside years 0-9999 in UTC, the
// years the formats can write, count as zero.
func eventTime(ev *event.Event) time.Time {
	if inYears(ev.Time) {
		return ev.Time.UTC()
	}
	if inYears(ev.Ingested) {
		return ev.Ingested.UTC()
	}
	return time.Time{}
}

// inYears reports whether t is not zero and within years 0-9999 in UTC,
// as t.UTC().Year() says, without computing the date: formats check this
// for every record. UTC, not t's own zone: the formats write UTC, and a
// time within those years in its zone but not in UTC was written with its
// UTC year's last four digits (10000 as "0000", -1 as "000/").
func inYears(t time.Time) bool {
	s := t.Unix() // far out of range if it wraps
	return !t.IsZero() && s >= minUnix && s < maxUnix
}

// appendTime appends t in UTC as RFC 3339 with milliseconds, or microseconds
// when t has a finer fraction (RFC 5424 allows six digits at most). t must
// be within years 0-9999 in UTC (see inYears); a time out of that range
// takes the general path, which does not fail but writes a year of four
// digits that is not t's. The layout is written by hand, from the civil date of the day
// number: time.Time's Date and Clock each work the date out again, and
// this runs for every record.
func appendTime(dst []byte, t time.Time) []byte {
	s := t.Unix()
	if s < minUnix || s >= maxUnix {
		return appendTimeSlow(dst, t)
	}
	u := uint64(s - minUnix) // seconds since 0000-01-01
	year, month, day := civil(u / 86400)
	sec := u % 86400
	var b [27]byte
	put2(b[0:], year/100)
	put2(b[2:], year%100)
	b[4] = '-'
	put2(b[5:], month)
	b[7] = '-'
	put2(b[8:], day)
	b[10] = 'T'
	put2(b[11:], sec/3600)
	b[13] = ':'
	put2(b[14:], sec/60%60)
	b[16] = ':'
	put2(b[17:], sec%60)
	b[19] = '.'
	us := uint64(t.Nanosecond()) / 1e3
	if us%1e3 != 0 {
		put2(b[20:], us/1e4)
		put2(b[22:], us/100%100)
		put2(b[24:], us%100)
		b[26] = 'Z'
		return append(dst, b[:27]...)
	}
	ms := us / 1e3
	b[20] = byte('0' + ms/100)
	put2(b[21:], ms%100)
	b[23] = 'Z'
	return append(dst, b[:24]...)
}

// civil returns the proleptic Gregorian date of day d, counted from
// 0000-01-01 (day 0), for years 0-9999: Howard Hinnant's days_from_civil
// inverse, on years starting in March (the leap day ends them), shifted by
// one 400-year era so that all arithmetic is unsigned.
func civil(d uint64) (year, month, day uint64) {
	const era = 146097 // days in 400 years
	// z counts days from -0400-03-01 (0000-03-01 is day 60 of year 0).
	z := d + era - 60
	n, doe := z/era, z%era // era, day of era
	// yoe is the year of the era (0-399), doy the day of that March-based
	// year, mp its month from March (0-11).
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	day = doy - (153*mp+2)/5 + 1
	month = mp + 3
	if mp >= 10 {
		month = mp - 9
	}
	year = yoe + n*400 - 400
	if month <= 2 {
		year++
	}
	return year, month, day
}

// put2 writes v (0-99) as two digits at b[0:2].
func put2(b []byte, v uint64) {
	b[0], b[1] = pairs[2*v], pairs[2*v+1]
}

// pairs holds "00" to "99", two bytes each.
const pairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" +
	"60616263646566676869" + "70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// appendTimeSlow is appendTime through time.Time's own date, for a time
// outside the years appendTime may be given (none the formats write): its
// year's last four digits ("0000" for 10000; "000/" for -1).
func appendTimeSlow(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, sec, 2)
	dst = append(dst, '.')
	if us := t.Nanosecond() / 1e3; us%1e3 != 0 {
		dst = appendDigits(dst, us, 6)
	} else {
		dst = appendDigits(dst, us/1e3, 3)
	}
	return append(dst, 'Z')
}

// appendDigits appends v zero-padded to n digits (its last n digits).
func appendDigits(dst []byte, v, n int) []byte {
	var buf [8]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:n]...)
}

// appendEpoch appends t as seconds since the Unix epoch with three decimals:
// its milliseconds, truncated towards the past (UnixMilli), as the decimal
// number they are ("-0.500" half a second before the epoch; it was written
// "-1.500", a second off, as a whole part floored and a positive fraction).
func appendEpoch(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	u := uint64(ms)
	if ms < 0 {
		dst = append(dst, '-')
		u = -u
	}
	dst = appendUint(dst, u/1000)
	frac := u % 1000
	return append(dst, '.', byte('0'+frac/100), pairs[2*(frac%100)], pairs[2*(frac%100)+1])
}

// appendInt appends v in decimal as strconv.AppendInt does, writing a
// non-negative v right to left two digits at a time: strconv's general
// path was a fifth of AppendHEC's own cost. Times before 1970 are rare
// enough for strconv.
func appendInt(dst []byte, v int64) []byte {
	if v < 0 {
		return strconv.AppendInt(dst, v, 10)
	}
	return appendUint(dst, uint64(v))
}

// appendUint appends u in decimal, right to left two digits at a time.
func appendUint(dst []byte, u uint64) []byte {
	var b [20]byte
	n := len(b)
	for ; u >= 100; u /= 100 {
		n -= 2
		put2(b[n:], u%100)
	}
	if u >= 10 {
		n -= 2
		put2(b[n:], u)
	} else {
		n--
		b[n] = byte('0' + u)
	}
	return append(dst, b[n:]...)
}
