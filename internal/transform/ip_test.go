package transform

import (
	"net/netip"
	"testing"
)

// FuzzValidIP: validIP accepts what netip.ParseAddr accepts (without a
// zone), as the same address, and appendIP writes what AppendTo writes.
func FuzzValidIP(f *testing.F) {
	for _, s := range []string{"192.0.2.7", "0.0.0.0", "255.255.255.255", "256.1.1.1", "01.2.3.4", "1.2.3", "1.2.3.4.",
		".1.2.3", "1..2.3", "1.2.3.4.5", "1.2.3.04", "0.0.0.00", "1.2.3.4%eth0", "::ffff:1.2.3.4", "2001:DB8::1", "fe80::1%1", "", "١.2.3.4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ip, ok := validIP(s)
		want, err := netip.ParseAddr(s)
		if wantOK := err == nil && want.Zone() == ""; ok != wantOK || ok && ip != want {
			t.Fatalf("validIP(%q) = %v, %v; want %v, %v", s, ip, ok, want, wantOK)
		}
		if ok {
			if got, want := string(appendIP(nil, ip, s)), want.String(); got != want {
				t.Fatalf("appendIP(%q) = %s, want %s", s, got, want)
			}
		}
	})
}
