package transform

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// appendRaw appends the valid JSON raw (as Parse accepted it) on one line:
// unchanged when it has no CR or LF and is valid UTF-8 (the usual case),
// else with CR and LF (whitespace there) turned into spaces and invalid
// UTF-8 (only possible inside strings) into \ufffd, which keeps it the same
// JSON value. One line matters: Elasticsearch bulk bodies and file sinks are
// line-delimited.
func appendRaw(dst, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if bytes.IndexByte(raw, '\n') < 0 && bytes.IndexByte(raw, '\r') < 0 && utf8.Valid(raw) {
		return append(dst, raw...)
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\n' || c == '\r':
			dst = append(dst, ' ')
		case c < utf8.RuneSelf:
			dst = append(dst, c)
		default:
			r, size := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, raw[i:i+size]...)
			}
			i += size
			continue
		}
		i++
	}
	return dst
}

// eventTime is the time formats use for an event: Time, else Ingested, else
// zero (formats then omit it). Times outside years 0-9999 count as zero.
func eventTime(ev *Event) time.Time {
	for _, t := range [...]time.Time{ev.Time, ev.Ingested} {
		if !t.IsZero() && t.Year() >= 0 && t.Year() <= 9999 {
			return t.UTC()
		}
	}
	return time.Time{}
}

// appendTime appends t in UTC as RFC 3339 with milliseconds, or microseconds
// when t has a finer fraction (RFC 5424 allows six digits at most). t must
// be within years 0-9999 (see eventTime).
func appendTime(dst []byte, t time.Time) []byte {
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

// appendDigits appends v (>= 0) zero-padded to n digits.
func appendDigits(dst []byte, v, n int) []byte {
	var buf [8]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:n]...)
}

// appendEpoch appends t as seconds since the Unix epoch with three decimals.
func appendEpoch(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	sec, frac := ms/1000, ms%1000
	if frac < 0 {
		sec, frac = sec-1, frac+1000
	}
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	return appendDigits(dst, int(frac), 3)
}

// appendMember appends ,"key":"value" when value is not empty.
func appendMember(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return jsonenc.AppendString(dst, value)
}
