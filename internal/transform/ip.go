package transform

import "net/netip"

// validIP parses s when it is an IP address without a zone. A dotted quad,
// what nearly every event carries, is read by hand: netip.ParseAddr was a
// tenth of a format's cost.
func validIP(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	if a, ok := parseDottedQuad(s); ok {
		return netip.AddrFrom4(a), true
	}
	ip, err := netip.ParseAddr(s)
	return ip, err == nil && ip.Zone() == ""
}

// parseDottedQuad reads s when it is an IPv4 address as netip.ParseAddr
// accepts it: four decimal fields of at most 255, without leading zeros.
// Anything else is left to ParseAddr.
func parseDottedQuad(s string) (a [4]byte, ok bool) {
	field, v, digits := 0, 0, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if digits > 0 && v == 0 {
				return a, false // a leading zero
			}
			if v = v*10 + int(c-'0'); v > 255 {
				return a, false
			}
			digits++
		case c == '.' && digits > 0 && field < 3:
			a[field] = byte(v)
			field, v, digits = field+1, 0, 0
		default:
			return a, false
		}
	}
	if field != 3 || digits == 0 {
		return a, false
	}
	a[3] = byte(v)
	return a, true
}

// appendIP appends ip, which validIP read from s, as ip.AppendTo does: an
// IPv4 address as s itself (ParseAddr accepts only the form AppendTo
// writes), others through AppendTo.
func appendIP(dst []byte, ip netip.Addr, s string) []byte {
	if ip.Is4() {
		return append(dst, s...)
	}
	return ip.AppendTo(dst)
}
