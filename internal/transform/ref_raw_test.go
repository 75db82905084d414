// A copy of the formats as of commit b1e3385, every function renamed
// old*: the reference that the differential tests and the old-vs-new
// benchmarks compare the current formats with. Generated; do not edit.
package transform

import (
	"bytes"
	"encoding/binary"
	"github.com/pigment-siem/pipeline/internal/event"
	"strconv"
	"time"
	"unicode/utf8"
)

func oldAppendRaw(dst, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if oldPlain(raw) {
		return append(dst, raw...)
	}
	in := false
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			in = !in
			dst = append(dst, c)
		case c == '\\' && in && i+1 < len(raw) && raw[i+1] < utf8.RuneSelf:
			dst = append(dst, c, raw[i+1])
			i++
		case c < 0x20 && in:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
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

func oldPlain(b []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	for ; len(b) >= 32; b = b[32:] {
		w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		w2, w3 := binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint64(b[24:])

		if ((w0-0x20*lo)|w0|(w1-0x20*lo)|w1|(w2-0x20*lo)|w2|(w3-0x20*lo)|w3)&hi != 0 {
			break
		}
	}
	return !oldHasControl(b) && utf8.Valid(b)
}

func oldHasControl(b []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080

	for ; len(b) >= 32; b = b[32:] {
		w0, w1 := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		w2, w3 := binary.LittleEndian.Uint64(b[16:]), binary.LittleEndian.Uint64(b[24:])
		if ((w0-0x20*lo)&^w0|(w1-0x20*lo)&^w1|(w2-0x20*lo)&^w2|(w3-0x20*lo)&^w3)&hi != 0 {
			return true
		}
	}
	for ; len(b) >= 8; b = b[8:] {
		if w := binary.LittleEndian.Uint64(b); (w-0x20*lo)&^w&hi != 0 {
			return true
		}
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

func oldEventTime(ev *event.Event) time.Time {
	for _, t := range [...]time.Time{ev.Time, ev.Ingested} {
		// Fixed in both: the year range in UTC (see inYears).
		if !t.IsZero() && t.UTC().Year() >= 0 && t.UTC().Year() <= 9999 {
			return t.UTC()
		}
	}
	return time.Time{}
}

func oldAppendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = oldAppendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = oldAppendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = oldAppendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = oldAppendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = oldAppendDigits(dst, minute, 2)
	dst = append(dst, ':')
	dst = oldAppendDigits(dst, sec, 2)
	dst = append(dst, '.')
	if us := t.Nanosecond() / 1e3; us%1e3 != 0 {
		dst = oldAppendDigits(dst, us, 6)
	} else {
		dst = oldAppendDigits(dst, us/1e3, 3)
	}
	return append(dst, 'Z')
}

func oldAppendDigits(dst []byte, v, n int) []byte {
	var buf [8]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:n]...)
}

// oldAppendEpoch is the old appendEpoch with the fix of a flaw the new code
// shared: a time before the epoch with a fraction was written a second off
// ("-1.500" for half a second before it), the whole part floored and the
// fraction positive. Both now write the number: "-0.500".
func oldAppendEpoch(dst []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	if ms < 0 {
		dst = append(dst, '-')
		ms = -ms
	}
	sec, frac := ms/1000, ms%1000
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	return oldAppendDigits(dst, int(frac), 3)
}

func oldAppendMember(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ',', '"')
	dst = append(dst, key...)
	dst = append(dst, '"', ':')
	return oldAppendString(dst, value)
}

func oldAppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = oldAppendText(dst, s)
	return append(dst, '"')
}

func oldAppendText(dst []byte, s string) []byte {
	start := 0
	for i := 0; ; {
		if i = oldPlainRun(s, i, '"', '\\', '"'); i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if oldSafe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

func oldPlainRun(s string, i int, a, b, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ma, mb, mc := uint64(a)*lo, uint64(b)*lo, uint64(c)*lo
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56

		xa, xb, xc := x^ma, x^mb, x^mc
		if ((x-0x20*lo)&^x|(x+0x01*lo)|(xa-lo)&^xa|(xb-lo)&^xb|(xc-lo)&^xc|x)&hi != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if d := s[i]; d < 0x20 || d >= 0x7f || d == a || d == b || d == c {
			return i
		}
	}
	return i
}

var oldSafe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()
