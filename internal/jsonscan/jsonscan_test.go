package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestHasSpecial(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			word := []byte("abcdefgh")
			word[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(word[i])
			}
			if got, want := hasSpecial(x), special[c]; got != want {
				t.Errorf("hasSpecial(%q) = %v, want %v", word, got, want)
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
