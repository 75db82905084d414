// Package jsonscan holds the lexical core of the project's hand-written JSON
// readers (internal/pigment decodes API pages with it, internal/event
// reads records): strings, numbers, literals and whitespace, accepting
// exactly what encoding/json accepts. The readers build their structure
// (objects, arrays, the fields they pick) on top and word their own errors.
//
// Every function takes the input and the offset of the token's first byte.
// On success it returns the offset just past the token and an empty reason;
// on failure, the offset of the problem and what is wrong there.
package jsonscan

import (
	"encoding/binary"
	"math/bits"
)

// SkipSpace returns the offset of the first non-space byte at or after i.
func SkipSpace(b []byte, i int) int {
	// Most bytes a reader stops at are above ' ': one comparison for them.
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// special marks the bytes that end the fast path of a string scan.
var special = func() (t [256]bool) {
	for c := range 0x20 {
		t[c] = true
	}
	t['"'], t['\\'] = true, true
	return t
}()

// Str scans the string whose opening quote is at b[i]. It returns the span
// of its contents (between the quotes) and whether it has escapes.
func Str(b []byte, i int) (start, end int, esc bool, next int, what string) {
	return str(b, i, false)
}

// StrControl is Str accepting raw control characters (U+0000 to U+001F)
// inside the string: encoding/json refuses them, but real producers emit
// them (a tab or a newline copied into a field), and a reader that must keep
// an event's bytes exactly can take them as the characters they are. esc is
// also true when the string holds one, so that callers decoding the value
// take the slow path. Everything else is as strict as Str.
func StrControl(b []byte, i int) (start, end int, esc bool, next int, what string) {
	return str(b, i, true)
}

func str(b []byte, i int, control bool) (start, end int, esc bool, next int, what string) {
	i++
	start = i
	for {
		// nextSpecial, with its tail only when it is needed: a call per
		// string cost a tenth of an event's parse.
		var found bool
		if i, found = scan8(b, i); !found {
			if i = nextSpecialTail(b, i); i >= len(b) {
				return 0, 0, false, len(b), "unterminated string"
			}
		}
		switch c := b[i]; {
		case c == '"':
			return start, i, esc, i + 1, ""
		case c == '\\' && i+1 < len(b):
			esc = true
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					return 0, 0, false, min(i+2, len(b)), `invalid \u escape`
				}
				i += 6
			default:
				return 0, 0, false, i, "invalid escape"
			}
		case c == '\\':
			i++
		case control:
			esc = true
			i++
		default:
			return 0, 0, false, i, "control character in a string"
		}
	}
}

// nextSpecial returns the offset of the first special byte at or after i,
// or len(b). It looks at eight bytes at a time and jumps straight to the
// first special one among them: most strings are keys and short values,
// which a byte-by-byte tail made the bulk of a record's parse time.
func nextSpecial(b []byte, i int) int {
	i, found := scan8(b, i)
	if !found {
		i = nextSpecialTail(b, i)
	}
	return i
}

// scan8 is the first loop of nextSpecial, small enough to be inlined: the
// offset of the first special byte and true, or false and where fewer than
// eight bytes are left.
func scan8(b []byte, i int) (int, bool) {
	for ; i+8 <= len(b); i += 8 {
		if m := specialMask(binary.LittleEndian.Uint64(b[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3, true
		}
	}
	return i, false
}

// nextSpecialTail is the second loop of nextSpecial, byte by byte.
func nextSpecialTail(b []byte, i int) int {
	for i < len(b) && !special[b[i]] {
		i++
	}
	return i
}

// specialMask has the high bit set in the bytes of x that are special:
// below 0x20, '"' or '\\' (the classic "has zero byte" test). A borrow
// can only set a false bit above a truly special byte, so the lowest set
// bit always marks the first special byte, and the mask is zero exactly
// when there is none.
func specialMask(x uint64) uint64 {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	q := x ^ ('"' * lo)
	bs := x ^ ('\\' * lo)
	return ((x-0x20*lo)&^x | (q-lo)&^q | (bs-lo)&^bs) & hi
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func digits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// Number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at b[i].
func Number(b []byte, i int) (next int, what string) {
	if at(b, i) == '-' {
		i++
	}
	switch c := at(b, i); {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i = digits(b, i)
	default:
		return i, "invalid number"
	}
	if at(b, i) == '.' {
		j := digits(b, i+1)
		if j == i+1 {
			return j, "invalid number"
		}
		i = j
	}
	if c := at(b, i); c == 'e' || c == 'E' {
		i++
		if c := at(b, i); c == '+' || c == '-' {
			i++
		}
		j := digits(b, i)
		if j == i {
			return j, "invalid number"
		}
		i = j
	}
	return i, ""
}

// Literal scans lit (true, false or null) at b[i].
func Literal(b []byte, i int, lit string) (next int, what string) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, "invalid literal"
	}
	return i + len(lit), ""
}

// Kind names the kind of the JSON value starting at b[0], for messages:
// "object", "array", "string", "a boolean", "null", "a number", or "empty"
// and "not JSON".
func Kind(b []byte) string {
	if len(b) == 0 {
		return "empty"
	}
	switch b[0] {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return "a number"
	}
	return "not JSON"
}
