package jsonenc

const lo, hi = 0x0101010101010101, 0x8080808080808080

// PlainRun returns the offset of the first byte at or after i that is not
// printable ASCII (below 0x20, 0x7f or above) or is one of a, b, c: the
// bytes an escaper can copy as they are. It is the fast path shared by the
// project's escapers (JSON strings, RFC 5424 SD-PARAM values, CEF fields),
// which look at the returned byte themselves; it reads eight bytes at a
// time, where a byte-by-byte loop made escaping most of a format's cost.
func PlainRun(s string, i int, a, b, c byte) int {
	ma, mb, mc := uint64(a)*lo, uint64(b)*lo, uint64(c)*lo
	// special flags a word with a byte at or above 0x80 (x itself), below
	// 0x20 (x-0x20 borrows), 0x7f (x+1 reaches bit 7) or equal to a, b or c
	// (x^m-1 borrows from a zero byte). Bytes of x below 0x80 neither carry
	// nor borrow except where flagged, and borrows only flag bytes above a
	// true match, so the answer "some byte is special" is exact. (A byte a,
	// b or c at or above 0x80 flags every word: the byte loop then answers.)
	special := func(x uint64) bool {
		return ((x-0x20*lo)|(x+lo)|(x^ma-lo)|(x^mb-lo)|(x^mc-lo)|x)&hi != 0
	}
	for ; i+8 <= len(s); i += 8 {
		if special(load64(s[i : i+8])) {
			return plainRunBytes(s, i, a, b, c)
		}
	}
	// The last bytes, as the word ending the string when it is that long:
	// a short tail is most of the work for the short values formats write.
	if i < len(s) && len(s) >= 8 && !special(load64(s[len(s)-8:])) {
		return len(s)
	}
	return plainRunBytes(s, i, a, b, c)
}

// plainRunBytes is PlainRun one byte at a time.
func plainRunBytes(s string, i int, a, b, c byte) int {
	for ; i < len(s); i++ {
		if d := s[i]; d < 0x20 || d >= 0x7f || d == a || d == b || d == c {
			return i
		}
	}
	return i
}

// plainJSON is PlainRun for JSON strings, with the special bytes as
// constants: it returns the offset of the first byte at or after i that is
// below 0x20, '"', '\\' or not ASCII. (DEL needs no escaping in JSON.)
func plainJSON(s string, i int) int {
	const mq, mb = '"' * lo, '\\' * lo
	// As in PlainRun, without the tests for bytes at or above 0x80: the
	// test stops at those (x&hi), so no borrow or match is confused with
	// one.
	special := func(x uint64) bool { return ((x-0x20*lo)|(x^mq-lo)|(x^mb-lo)|x)&hi != 0 }
	for ; i+8 <= len(s); i += 8 {
		if special(load64(s[i : i+8])) {
			return plainJSONBytes(s, i)
		}
	}
	if i < len(s) && len(s) >= 8 && !special(load64(s[len(s)-8:])) {
		return len(s)
	}
	return plainJSONBytes(s, i)
}

// plainJSONBytes is plainJSON one byte at a time.
func plainJSONBytes(s string, i int) int {
	for ; i < len(s); i++ {
		if d := s[i]; d < 0x20 || d >= 0x80 || d == '"' || d == '\\' {
			return i
		}
	}
	return i
}

// load64 reads the eight bytes of w as a little-endian word: one load, as w
// has a constant length and needs no bounds checks.
func load64(w string) uint64 {
	_ = w[7]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}
