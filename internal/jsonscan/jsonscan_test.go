package jsonscan

import (
	"cmp"
	"encoding/json"
	"strings"
	"testing"
)

// nextSpecial finds the first special byte wherever it is: every byte
// value at every position of a 19-byte run (the eight-at-a-time path and
// the tail), with a later special byte too, from every start offset.
func TestNextSpecialFindsTheFirstSpecialByte(t *testing.T) {
	for pos := range 19 {
		for c := range 256 {
			for _, later := range []byte{'x', '"', 0x01} {
				b := []byte("abcdefghijklmnopqrs")
				b[pos] = byte(c)
				if pos+1 < len(b) {
					b[len(b)-1] = later
				}
				for start := 0; start <= pos; start++ {
					want := start
					for want < len(b) && !special[b[want]] {
						want++
					}
					if got := nextSpecial(b, start); got != want {
						t.Fatalf("nextSpecial(%q, %d) = %d, want %d", b, start, got, want)
					}
				}
			}
		}
	}
}

// FuzzScan checks that a string, number or literal (with trailing space) is
// accepted exactly when encoding/json accepts it as a whole value.
func FuzzScan(f *testing.F) {
	for _, s := range []string{`"a\u00e9\n"`, `-0.5e+3`, `01`, `true`, `nul`, `"\x"`, "\"\x01\"", `1.`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		b := []byte(in)
		var next int
		var what string
		switch {
		case len(b) == 0 || !(b[0] == '"' || b[0] == '-' || b[0] >= '0' && b[0] <= '9' || b[0] == 't' || b[0] == 'f' || b[0] == 'n'):
			return // not a scalar's first byte: the readers handle objects, arrays and space
		case b[0] == '"':
			_, _, _, next, what = Str(b, 0)
		case b[0] == 't':
			next, what = Literal(b, 0, "true")
		case b[0] == 'f':
			next, what = Literal(b, 0, "false")
		case b[0] == 'n':
			next, what = Literal(b, 0, "null")
		default:
			next, what = Number(b, 0)
		}
		ok := what == "" && SkipSpace(b, next) == len(b)
		if ok != json.Valid(b) {
			t.Fatalf("scan(%q) accepted=%v (next %d, %q), encoding/json says %v", in, ok, next, what, json.Valid(b))
		}
	})
}

// TestStrControl: raw control characters are accepted by StrControl only,
// which reports them as escapes; everything else Str refuses stays refused.
func TestStrControl(t *testing.T) {
	tests := []struct {
		in                   string
		wantStr, wantControl bool // accepted by Str, by StrControl
		wantEsc              bool // StrControl's esc
	}{
		{`"plain"`, true, true, false},
		{"\"a\tb\"", false, true, true},
		{"\"\x00\x1f\"", false, true, true},
		{"\"\\u0041\n\"", false, true, true},
		{`"\q"`, false, false, false},
		{"\"unterminated\x01", false, false, false},
	}
	for _, tt := range tests {
		_, _, _, _, what := Str([]byte(tt.in), 0)
		_, _, esc, next, whatC := StrControl([]byte(tt.in), 0)
		if (what == "") != tt.wantStr || (whatC == "") != tt.wantControl || (whatC == "" && (esc != tt.wantEsc || next != len(tt.in))) {
			t.Errorf("Str(%q) = %q, StrControl = %q (esc %v, next %d); want accepted %v, %v (esc %v)", tt.in, what, whatC, esc, next, tt.wantStr, tt.wantControl, tt.wantEsc)
		}
	}
}

// TestValidUTF8 checks ValidUTF8 against encoding/json's reading of a
// string: each invalid byte one U+FFFD.
func TestValidUTF8(t *testing.T) {
	for _, s := range []string{"", "abc", "é日本", "a\xffb", "\xff\xfe", "x\xc3", "\xc3\x28", "\xed\xa0\x80", "\uFFFD"} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatal(err)
		}
		if got := ValidUTF8(s); got != want {
			t.Errorf("ValidUTF8(%q) = %q, want %q", s, got, want)
		}
	}
}

// TestSkipSpaceIsEncodingJSONs: of the 256 byte values, SkipSpace skips
// exactly those encoding/json takes as space (space, tab, LF, CR); its
// single comparison for bytes above ' ' lets no other byte through.
func TestSkipSpaceIsEncodingJSONs(t *testing.T) {
	for c := range 256 {
		lead, trail := []byte{byte(c), 'n', 'u', 'l', 'l'}, []byte{'n', 'u', 'l', 'l', byte(c)}
		got := SkipSpace(lead, 0) == 1 && SkipSpace(trail, 4) == 5
		if want := json.Valid(lead) && json.Valid(trail); got != want {
			t.Errorf("SkipSpace skips %q: %v, encoding/json takes it as space: %v", byte(c), got, want)
		}
	}
}

// TestStrAtTheEnd: a string ending at every distance from the end of the
// input, on both sides of the eight-byte loop's last full word: closed,
// unterminated, or with a special byte (a quote, a backslash, a control
// character) as the input's last byte.
func TestStrAtTheEnd(t *testing.T) {
	for n := range 26 {
		body := strings.Repeat("a", n)
		tests := []struct {
			in         string
			end, next  int
			esc        bool
			what       string
			strictWhat string // Str's answer, when it differs
		}{
			{`"` + body + `"`, n + 1, n + 2, false, "", ""},
			{`"` + body, 0, n + 1, false, "unterminated string", ""},
			{`"` + body + `\`, 0, n + 2, false, "unterminated string", ""},
			{`"` + body + `\"`, 0, n + 3, false, "unterminated string", ""},
			{`"` + body + `\u00e`, 0, n + 3, false, `invalid \u escape`, ""},
			{`"` + body + "\x1f", 0, n + 2, false, "unterminated string", "control character in a string"},
			{`"` + body + "\x1f\"", n + 2, n + 3, true, "", "control character in a string"},
			{`"` + body + `\""`, n + 3, n + 4, true, "", ""},
		}
		for _, tt := range tests {
			start, end, esc, next, what := StrControl([]byte(tt.in), 0)
			if what != tt.what || next != tt.next || what == "" && (start != 1 || end != tt.end || esc != tt.esc) {
				t.Errorf("StrControl(%q) = %d, %d, %v, %d, %q; want 1, %d, %v, %d, %q", tt.in, start, end, esc, next, what, tt.end, tt.esc, tt.next, tt.what)
			}
			_, _, _, _, what = Str([]byte(tt.in), 0)
			if want := cmp.Or(tt.strictWhat, tt.what); what != want {
				t.Errorf("Str(%q) = %q, want %q", tt.in, what, want)
			}
		}
	}
}
