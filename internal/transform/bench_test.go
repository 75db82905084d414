package transform

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// benchEvent is a realistic event of about 600 bytes: a failed login as the
// simulator renders it in the described envelope.
func benchEvent(b *testing.B) []byte {
	raw := mustFailedLogin(b, pigmentsim.ShapeDescribed)
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

// The format benchmarks measure Parse and one format, reusing the output
// buffer as a forwarder does. (Calling the format through a func value
// would move the Event to the heap and measure that instead.)

func BenchmarkHEC(b *testing.B) {
	raw := benchEvent(b)
	var buf []byte
	for b.Loop() {
		ev, err := event.Parse(raw, event.KindEvent)
		if err != nil {
			b.Fatal(err)
		}
		buf = AppendHEC(buf[:0], &ev, hecOpts)
	}
}

func BenchmarkECS(b *testing.B) {
	raw := benchEvent(b)
	var buf []byte
	for b.Loop() {
		ev, err := event.Parse(raw, event.KindEvent)
		if err != nil {
			b.Fatal(err)
		}
		buf = AppendECS(buf[:0], &ev)
	}
}

func BenchmarkSyslog(b *testing.B) {
	raw := benchEvent(b)
	var buf []byte
	for b.Loop() {
		ev, err := event.Parse(raw, event.KindEvent)
		if err != nil {
			b.Fatal(err)
		}
		buf = AppendSyslog(buf[:0], &ev, syslogOpts)
	}
}

func BenchmarkCEF(b *testing.B) {
	raw := benchEvent(b)
	var buf []byte
	for b.Loop() {
		ev, err := event.Parse(raw, event.KindEvent)
		if err != nil {
			b.Fatal(err)
		}
		buf = AppendCEF(buf[:0], &ev, syslogOpts)
	}
}
