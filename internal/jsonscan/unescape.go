package jsonscan

import (
	"unicode/utf16"
	"unicode/utf8"
)

// AppendUnescaped appends to dst the value of in, the contents (between the
// quotes) of a string that Str accepted. Lone surrogates become U+FFFD, as
// with encoding/json; other bytes are kept.
func AppendUnescaped(dst, in []byte) []byte {
	for i := 0; i < len(in); i++ {
		c := in[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch in[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := hex4(in[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				r2 := utf8.RuneError
				if i+6 < len(in) && in[i+1] == '\\' && in[i+2] == 'u' {
					r2 = hex4(in[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					i += 6
					r = d
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, in[i])
		}
	}
	return dst
}

func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case c <= '9':
			c -= '0'
		case c <= 'F':
			c -= 'A' - 10
		default:
			c -= 'a' - 10
		}
		r = r<<4 | rune(c)
	}
	return r
}

// ValidUTF8 returns s with each byte that is not part of valid UTF-8
// replaced by U+FFFD, as encoding/json reads a string; s itself when it is
// valid. Readers that alias their input keep such bytes (they copy records
// through); what is stored as text, such as extract's event IDs in
// Postgres, goes through ValidUTF8.
func ValidUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for _, r := range s { // an invalid byte is read as RuneError, written as U+FFFD
		out = utf8.AppendRune(out, r)
	}
	return string(out)
}
