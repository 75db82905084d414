package jsonenc

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestAppendTextEdges pins AppendText on explicit values: each kind of
// special byte at the start, at the end of the first eight-byte word, in
// the overlapping last word and as the last byte; runes split across
// words; invalid UTF-8 at the end. U+2028/U+2029 and DEL stay as they are,
// as the code before the speed-up left them (JSON allows them raw).
func TestAppendTextEdges(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"\x7f", "\x7f"},
		{"a\u2028b\u2029c", "a\u2028b\u2029c"},
		{`"abcdefgh`, `\"abcdefgh`},
		{`abcdefg"`, `abcdefg\"`},
		{`abcdefgh"`, `abcdefgh\"`},
		{`abcdefghi\`, `abcdefghi\\`},
		{"abcdefghijklmno\x1f", `abcdefghijklmno\u001f`},
		{"abcdefghijklmnop\x00", `abcdefghijklmnop\u0000`},
		{"a\tb\rc\nd\x08e\x0c", `a\tb\rc\nd\u0008e\u000c`},
		{"abcdefg\xe6\x97\xa5hijklmn", "abcdefg\xe6\x97\xa5hijklmn"},
		{"abcdefgh\xe6\x97", `abcdefgh\ufffd\ufffd`},
		{"\xed\xa0\x80abcdefgh", `\ufffd\ufffd\ufffdabcdefgh`},
		{"\xf4\x90\x80\x80", `\ufffd\ufffd\ufffd\ufffd`},
		{"\xc0\xaf", `\ufffd\ufffd`},
		{"\x80", `\ufffd`},
		{"abcdefgh\u00e9", "abcdefgh\u00e9"},
	}
	for _, c := range cases {
		if got := string(AppendText([]byte("x"), c.in)); got != "x"+c.want {
			t.Errorf("AppendText(%q) = %q, want %q", c.in, got, "x"+c.want)
		}
	}
}

// TestAppendStringEverySpecialEverywhere: every byte JSON needs escaped,
// and DEL, U+2028 and a bad byte, at every offset of values of 1 to 24
// bytes, gives valid JSON that decodes to the value (bad bytes as U+FFFD).
func TestAppendStringEverySpecialEverywhere(t *testing.T) {
	var specials []string
	for c := 0; c < 0x20; c++ {
		specials = append(specials, string(rune(c)))
	}
	specials = append(specials, `"`, `\`, "\x7f", "\u2028", "\xff", "\xe6\x97")
	for n := 1; n <= 24; n++ {
		for pos := 0; pos < n; pos++ {
			for _, sp := range specials {
				s := strings.Repeat("a", pos) + sp + strings.Repeat("b", n-pos-1)
				b := AppendString(nil, s)
				var got string
				if err := json.Unmarshal(b, &got); err != nil {
					t.Fatalf("AppendString(%q) = %s: %v", s, b, err)
				}
				if want := validPerByte(s); got != want {
					t.Fatalf("AppendString(%q) decodes to %q, want %q", s, got, want)
				}
			}
		}
	}
}

// validPerByte is s with each byte that is not part of a valid rune
// replaced by U+FFFD, as AppendText writes it (strings.ToValidUTF8
// replaces a run of such bytes with one).
func validPerByte(s string) string {
	var b strings.Builder
	for _, r := range s {
		b.WriteRune(r) // an invalid byte ranges as utf8.RuneError, one at a time
	}
	return b.String()
}

// TestPlainRunEdges pins PlainRun where its last, overlapping word reaches
// back before i, over a special byte it must not report.
func TestPlainRunEdges(t *testing.T) {
	cases := []struct {
		s       string
		i       int
		a, b, c byte
		want    int
	}{
		{`abcdefg"hi`, 8, '"', '\\', ']', 10},
		{`abcdefg"hi`, 0, '"', '\\', ']', 7},
		{`abcdefghi]`, 0, '"', '\\', ']', 9},
		{"abcdefgh ", 0, ' ', ' ', ' ', 8},
		{"abcdefgh\x7f", 0, ' ', ' ', ' ', 8},
		{"abcdefghijklmnop|", 3, '\\', '|', '|', 16},
		{"abc=", 0, '\\', '=', '=', 3},
		{"abcdefgh\xc3\xa9", 0, '\\', '=', '=', 8},
		{"", 0, '"', '\\', ']', 0},
		{"abc", 3, '"', '\\', ']', 3},
	}
	for _, c := range cases {
		if got := PlainRun(c.s, c.i, c.a, c.b, c.c); got != c.want {
			t.Errorf("PlainRun(%q, %d, %q, %q, %q) = %d, want %d", c.s, c.i, c.a, c.b, c.c, got, c.want)
		}
	}
}
