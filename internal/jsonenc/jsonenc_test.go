package jsonenc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"unicode/utf8"
)

func TestAppendStringDecodesToTheInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`quote " and \ backslash`, `quote " and \ backslash`},
		{"ctrl \n\r\t\x01 end", "ctrl \n\r\t\x01 end"},
		{"é 日本 😀", "é 日本 😀"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"<html> & </html>", "<html> & </html>"},
	}
	for _, tt := range tests {
		out := AppendString(nil, tt.in)
		var got string
		if err := json.Unmarshal(out, &got); err != nil || got != tt.want {
			t.Errorf("AppendString(%q) = %s, decodes to %q (%v), want %q", tt.in, out, got, err, tt.want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00\xff日")
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("AppendString(%q) = %s: not valid JSON", s, out)
		}
	})
}

// plainRunNaive is PlainRun's definition, one byte at a time.
func plainRunNaive(s string, i int, a, b, c byte) int {
	for ; i < len(s); i++ {
		if d := s[i]; d < 0x20 || d >= 0x7f || d == a || d == b || d == c {
			return i
		}
	}
	return i
}

func TestPlainRunStopsAtTheFirstSpecialByte(t *testing.T) {
	// Every byte value at every position of a 17-byte run (both the
	// eight-at-a-time path and the tail), after every start offset.
	base := []byte("abcdefghijklmnopq")
	for pos := range base {
		for v := 0; v < 256; v++ {
			s := append([]byte(nil), base...)
			s[pos] = byte(v)
			for start := 0; start <= pos; start++ {
				got, want := PlainRun(string(s), start, '"', '\\', ']'), plainRunNaive(string(s), start, '"', '\\', ']')
				if got != want {
					t.Fatalf("PlainRun(%q, %d) = %d, want %d", s, start, got, want)
				}
			}
		}
	}
}

func FuzzPlainRun(f *testing.F) {
	f.Add("plain ascii text, long enough for words", 0, byte('"'), byte('\\'), byte(']'))
	f.Add("é 日本 \x7f\x00 ]", 3, byte('='), byte('|'), byte('\\'))
	f.Fuzz(func(t *testing.T, s string, i int, a, b, c byte) {
		if i < 0 || i > len(s) {
			return
		}
		if got, want := PlainRun(s, i, a, b, c), plainRunNaive(s, i, a, b, c); got != want {
			t.Fatalf("PlainRun(%q, %d, %q, %q, %q) = %d, want %d", s, i, a, b, c, got, want)
		}
	})
}

// plainJSONNaive is plainJSON's definition, one byte at a time.
func plainJSONNaive(s string, i int) int {
	for ; i < len(s); i++ {
		if d := s[i]; d < 0x20 || d >= 0x80 || d == '"' || d == '\\' {
			return i
		}
	}
	return i
}

func TestPlainJSONStopsAtTheFirstSpecialByte(t *testing.T) {
	base := []byte("abcdefghijklmnopq")
	for pos := range base {
		for v := 0; v < 256; v++ {
			s := append([]byte(nil), base...)
			s[pos] = byte(v)
			for start := 0; start <= pos; start++ {
				if got, want := plainJSON(string(s), start), plainJSONNaive(string(s), start); got != want {
					t.Fatalf("plainJSON(%q, %d) = %d, want %d", s, start, got, want)
				}
			}
		}
	}
}

// appendTextNaive is AppendText's definition, one rune at a time.
func appendTextNaive(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			dst = append(dst, `\ufffd`...)
		case r == '"' || r == '\\':
			dst = append(dst, '\\', byte(r))
		case r == '\n':
			dst = append(dst, `\n`...)
		case r == '\r':
			dst = append(dst, `\r`...)
		case r == '\t':
			dst = append(dst, `\t`...)
		case r < 0x20:
			dst = append(dst, fmt.Sprintf(`\u%04x`, r)...)
		default:
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return dst
}

func FuzzAppendTextMatchesNaive(f *testing.F) {
	f.Add("plain ascii text, long enough for words")
	f.Add("a\"b\\c\x00\xff日\x7f\t\r\n\u2028 and then some more text")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := AppendText([]byte("x"), s), appendTextNaive([]byte("x"), s); !bytes.Equal(got, want) {
			t.Fatalf("AppendText(%q) = %q, want %q", s, got, want)
		}
		if got, want := plainJSON(s, 0), plainJSONNaive(s, 0); got != want {
			t.Fatalf("plainJSON(%q) = %d, want %d", s, got, want)
		}
	})
}
