package sinks_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
)

// outcomes renders results as one letter each: D(elivered), R(etry), X (reject).
func outcomes(rs []sinks.Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteByte("DRX"[r.Outcome])
	}
	return b.String()
}

// noSecret fails when a secret shows up in an error or a Result.
func noSecret(tb testing.TB, secret string, rs []sinks.Result, err error) {
	tb.Helper()
	if err != nil && strings.Contains(err.Error(), secret) {
		tb.Errorf("error %q contains the secret", err)
	}
	for i, r := range rs {
		if strings.Contains(r.Reason, secret) {
			tb.Errorf("result %d reason %q contains the secret", i, r.Reason)
		}
	}
}

// hecEvents returns n HEC events with eventIds e-0..e-(n-1).
func hecEvents(n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = fmt.Appendf(nil, `{"time":1767225600.123,"host":"h","source":"pigment:audit","sourcetype":"pigment:audit","event":{"eventId":"e-%d","eventType":"USER_LOGIN"}}`, i)
	}
	return recs
}

// ids returns e-0..e-(n-1).
func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("e-%d", i)
	}
	return out
}

// with returns a copy of recs where recs[i] is replaced by r.
func with(recs [][]byte, i int, r string) [][]byte {
	out := append([][]byte(nil), recs...)
	out[i] = []byte(r)
	return out
}
