// Package jsonenc appends JSON strings without reflection or allocation,
// for the hot paths that render JSON by hand (formats, the simulator, sink
// request bodies). One escaper, so every producer agrees on what it emits.
package jsonenc

import "unicode/utf8"

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by \ufffd, nothing else (no
// HTML escaping), so the output is always valid JSON.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = AppendText(dst, s)
	return append(dst, '"')
}

// AppendText appends s escaped as the inside of a JSON string. Most
// values need no escaping: they are checked eight bytes at a time and
// copied in one append.
func AppendText(dst []byte, s string) []byte {
	i := plainJSON(s, 0)
	if i == len(s) {
		return append(dst, s...)
	}
	return appendEscaped(dst, s, i)
}

// appendEscaped is AppendText for s whose first i bytes need no escaping.
func appendEscaped(dst []byte, s string, i int) []byte {
	start := 0
	for ; i < len(s); i = plainJSON(s, i) {
		c := s[i]
		if c < utf8.RuneSelf {
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
