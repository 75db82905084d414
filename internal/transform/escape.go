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
func appendBackslashed(dst []byte, s string, a, b, c byte, newlines bool) []byte {
	for i := 0; i < len(s); {
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
