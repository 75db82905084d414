package transform

import (
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// appendBackslashed appends s escaped for a text field whose escape
// character is the backslash, as CEF fields and RFC 5424 PARAM-VALUEs are:
// the special bytes a, b and c (the backslash must be one of them) get a
// backslash before them; with newlines, LF and CR become \n and \r (CEF
// extension values); other control characters and DEL become spaces;
// invalid UTF-8 becomes U+FFFD. One loop serves every such field, so the
// formats agree on what they do with control characters and bad UTF-8.
//
// A value with nothing to escape (nearly all) is checked once and copied
// in one append; the loop is for the others.
func appendBackslashed(dst []byte, s string, a, b, c byte, newlines bool) []byte {
	i := jsonenc.PlainRun(s, 0, a, b, c)
	if i == len(s) {
		return append(dst, s...)
	}
	return appendBackslashedFrom(dst, s, i, a, b, c, newlines)
}

// appendBackslashedFrom is appendBackslashed for s whose first i bytes
// need no escaping.
func appendBackslashedFrom(dst []byte, s string, i int, a, b, c byte, newlines bool) []byte {
	dst = append(dst, s[:i]...)
	for i < len(s) {
		j := jsonenc.PlainRun(s, i, a, b, c)
		dst = append(dst, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		switch ch := s[i]; {
		case ch == a || ch == b || ch == c:
			dst = append(dst, '\\', ch)
		case newlines && ch == '\n':
			dst = append(dst, '\\', 'n')
		case newlines && ch == '\r':
			dst = append(dst, '\\', 'r')
		case ch < 0x20 || ch == 0x7f:
			dst = append(dst, ' ')
		default:
			// Not ASCII: a valid rune is written back as it was, an
			// invalid byte (RuneError, size 1) as U+FFFD.
			r, size := utf8.DecodeRuneInString(s[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
			continue
		}
		i++
	}
	return dst
}
