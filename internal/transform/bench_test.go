package transform

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// benchEvent is a realistic event of about 600 bytes: a failed login as the
// simulator renders it in the described envelope.
func benchEvent(b *testing.B) []byte {
	return benchRaw(b, mustFailedLogin(b, pigmentsim.ShapeDescribed))
}

// benchMember is a realistic member event, the one with the most fields
// in every format (actor, target, new account type): an account-type
// change as the simulator renders it in the public envelope.
func benchMember(b *testing.B) []byte {
	return benchRaw(b, mustSimEvent(b, pigmentsim.ShapePublic, "UserAccountTypeUpdated"))
}

func benchRaw(b *testing.B, raw []byte) []byte {
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	return raw
}

func BenchmarkParse(b *testing.B) {
	raw := benchEvent(b)
	for b.Loop() {
		if _, err := event.Parse(raw, event.KindEvent); err != nil {
			b.Fatal(err)
		}
	}
}

// benchFormat measures Parse and format, reusing the output buffer and the
// Event as a forwarder does. The Event is declared once, outside the loop:
// passed to a func value it lives on the heap, and one allocation per run
// is not one per event.
func benchFormat(b *testing.B, format func(dst []byte, ev *event.Event) []byte) {
	benchFormatRaw(b, benchEvent(b), format)
}

func benchFormatRaw(b *testing.B, raw []byte, format func(dst []byte, ev *event.Event) []byte) {
	var buf []byte
	var ev event.Event
	for b.Loop() {
		var err error
		if ev, err = event.Parse(raw, event.KindEvent); err != nil {
			b.Fatal(err)
		}
		buf = format(buf[:0], &ev)
	}
}

func BenchmarkHEC(b *testing.B) {
	benchFormat(b, func(dst []byte, ev *event.Event) []byte { return AppendHEC(dst, ev, hecOpts) })
}

func BenchmarkECS(b *testing.B) { benchFormat(b, AppendECS) }

func BenchmarkHECMember(b *testing.B) {
	benchFormatRaw(b, benchMember(b), func(dst []byte, ev *event.Event) []byte { return AppendHEC(dst, ev, hecOpts) })
}

func BenchmarkECSMember(b *testing.B) { benchFormatRaw(b, benchMember(b), AppendECS) }

func BenchmarkSyslog(b *testing.B) {
	benchFormat(b, func(dst []byte, ev *event.Event) []byte { return AppendSyslog(dst, ev, syslogOpts) })
}

func BenchmarkCEF(b *testing.B) {
	benchFormat(b, func(dst []byte, ev *event.Event) []byte { return AppendCEF(dst, ev, syslogOpts) })
}
