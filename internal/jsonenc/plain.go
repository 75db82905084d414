package jsonenc

// PlainRun returns the offset of the first byte at or after i that is not
// printable ASCII (below 0x20, 0x7f or above) or is one of a, b, c: the
// bytes an escaper can copy as they are. It is the fast path shared by the
// project's escapers (JSON strings, RFC 5424 SD-PARAM values, CEF fields),
// which look at the returned byte themselves; it reads eight bytes at a
// time, where a byte-by-byte loop made escaping most of a format's cost.
func PlainRun(s string, i int, a, b, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	ma, mb, mc := uint64(a)*lo, uint64(b)*lo, uint64(c)*lo
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A byte is flagged when it is below 0x20, at or above 0x7f (x+1
		// carries into bit 7), or equal to a, b or c (the "has zero byte"
		// test on x^m). Borrows and carries only flag bytes above a true
		// match, so the answer "some byte is special" is exact.
		xa, xb, xc := x^ma, x^mb, x^mc
		if ((x-0x20*lo)&^x|(x+0x01*lo)|(xa-lo)&^xa|(xb-lo)&^xb|(xc-lo)&^xc|x)&hi != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if d := s[i]; d < 0x20 || d >= 0x7f || d == a || d == b || d == c {
			return i
		}
	}
	return i
}
