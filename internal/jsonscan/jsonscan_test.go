package jsonscan

import (
	"encoding/json"
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
