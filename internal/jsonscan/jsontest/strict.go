// Package jsontest holds what tests of JSON readers and writers share: the
// oracle that says what a record the project's scanner accepts means to
// encoding/json.
package jsontest

import "fmt"

// Strict is b with the raw control characters inside its strings escaped
// as \u00XX, which encoding/json accepts: the JSON that the project's
// scanner (jsonscan, event.Parse) reads b as. Strings are found by their
// quotes and backslashes alone, so for any input, valid or not,
// encoding/json accepts the result exactly when the scanner's rule
// (encoding/json's, plus raw control characters in strings) accepts b.
func Strict(b []byte) []byte {
	out := make([]byte, 0, len(b))
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case in && c == '\\' && i+1 < len(b):
			out = append(out, c, b[i+1])
			i++
		case c == '"':
			in = !in
			out = append(out, c)
		case in && c < 0x20:
			out = fmt.Appendf(out, `\u%04x`, c)
		default:
			out = append(out, c)
		}
	}
	return out
}
