package transform

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// appendRaw appends the JSON raw (as Parse accepted it) on one line, as
// strict JSON: unchanged when it has no byte below 0x20 and is valid UTF-8
// (the usual case), else the same JSON value with CR and LF outside strings
// (whitespace there) turned into spaces, raw control characters inside
// strings (which Parse accepts, and Splunk and Elasticsearch refuse)
// escaped as \u00XX, and invalid UTF-8 (only possible inside strings) as
// \ufffd. One line matters: Elasticsearch bulk bodies and file sinks are
// line-delimited.
func appendRaw(dst, raw []byte) []byte {
	raw = bytes.TrimSpace(raw)
	if plain(raw) {
		return append(dst, raw...)
	}
	in := false // inside a string
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '"':
			in = !in
			dst = append(dst, c)
		case c == '\\' && in && i+1 < len(raw) && raw[i+1] < utf8.RuneSelf:
			dst = append(dst, c, raw[i+1]) // an escape, whole: an escaped quote ends no string
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

// AppendJSON appends raw, a record Parse accepted, as the formats embed it
// (see appendRaw): the same JSON value, which encoding/json reads even when
// raw holds raw control characters in strings.
func AppendJSON(dst, raw []byte) []byte { return appendRaw(dst, raw) }

const hexDigits = "0123456789abcdef"

// plain reports whether b is valid UTF-8 without a byte below 0x20: JSON
// that appendRaw copies as it is. Printable ASCII, the bulk of an event, is
// checked for both at once, 64 or 8 bytes at a time; a word holding
// another byte is read byte by byte, a multi-byte rune decoded, and the
// words resume after it: a name with an accent no longer sends the rest
// of the record through two general passes. Fixed-size windows
// (b[i:i+64:i+64]) let the compiler drop the bounds checks of the loads.
func plain(b []byte) bool {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	// Bit 7 of a byte is set in w (at or above 0x80) or in w-0x20*lo
	// (below 0x20, borrowing): both end printable ASCII.
	for i := 0; i < len(b); {
		if i+64 <= len(b) {
			w := b[i : i+64 : i+64]
			w0, w1 := binary.LittleEndian.Uint64(w), binary.LittleEndian.Uint64(w[8:])
			w2, w3 := binary.LittleEndian.Uint64(w[16:]), binary.LittleEndian.Uint64(w[24:])
			w4, w5 := binary.LittleEndian.Uint64(w[32:]), binary.LittleEndian.Uint64(w[40:])
			w6, w7 := binary.LittleEndian.Uint64(w[48:]), binary.LittleEndian.Uint64(w[56:])
			if ((w0-0x20*lo)|w0|(w1-0x20*lo)|w1|(w2-0x20*lo)|w2|(w3-0x20*lo)|w3|
				(w4-0x20*lo)|w4|(w5-0x20*lo)|w5|(w6-0x20*lo)|w6|(w7-0x20*lo)|w7)&hi == 0 {
				i += 64
				continue
			}
		}
		if i+8 <= len(b) {
			if w := binary.LittleEndian.Uint64(b[i : i+8 : i+8]); ((w-0x20*lo)|w)&hi == 0 {
				i += 8
				continue
			}
		}
		switch c := b[i]; {
		case c < 0x20:
			return false
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
		}
	}
	return true
}

// appendMember appends prefix, which opens a member (`,"key":"`), and
// value escaped as the inside of a JSON string, closed, when value is not
// empty. The caller writes the prefix as one constant: one copy, where
// the key and its punctuation apart were four appends per member.
func appendMember(dst []byte, prefix, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, prefix...)
	dst = jsonenc.AppendText(dst, value)
	return append(dst, '"')
}
