package transform

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// refFormat is one format next to its copy from before the speed work
// (ref_*_test.go): the new code must write the same bytes.
type refFormat struct {
	name     string
	new, old func([]byte, *event.Event) []byte
}

// refFormats are the four formats with the option sets the forwarder uses:
// defaults, and every option set.
func refFormats() []refFormat {
	hecAll := HECOptions{Host: "h\"ost", Source: "src", Sourcetype: "st", AlertSourcetype: "ast", Index: "idx"}
	sysAll := SyslogOptions{Hostname: "forwarder-1 é\x01", AppName: "app", Facility: 4}
	return []refFormat{
		{"HEC", func(b []byte, ev *event.Event) []byte { return AppendHEC(b, ev, hecOpts) },
			func(b []byte, ev *event.Event) []byte { return oldAppendHEC(b, ev, hecOpts) }},
		{"HECDefaults", func(b []byte, ev *event.Event) []byte { return AppendHEC(b, ev, HECOptions{}) },
			func(b []byte, ev *event.Event) []byte { return oldAppendHEC(b, ev, HECOptions{}) }},
		{"HECAll", func(b []byte, ev *event.Event) []byte { return AppendHEC(b, ev, hecAll) },
			func(b []byte, ev *event.Event) []byte { return oldAppendHEC(b, ev, hecAll) }},
		{"ECS", AppendECS, oldAppendECS},
		{"Syslog", func(b []byte, ev *event.Event) []byte { return AppendSyslog(b, ev, syslogOpts) },
			func(b []byte, ev *event.Event) []byte { return oldAppendSyslog(b, ev, syslogOpts) }},
		{"SyslogAll", func(b []byte, ev *event.Event) []byte { return AppendSyslog(b, ev, sysAll) },
			func(b []byte, ev *event.Event) []byte { return oldAppendSyslog(b, ev, sysAll) }},
		{"CEF", func(b []byte, ev *event.Event) []byte { return AppendCEF(b, ev, syslogOpts) },
			func(b []byte, ev *event.Event) []byte { return oldAppendCEF(b, ev, syslogOpts) }},
		{"CEFAll", func(b []byte, ev *event.Event) []byte { return AppendCEF(b, ev, sysAll) },
			func(b []byte, ev *event.Event) []byte { return oldAppendCEF(b, ev, sysAll) }},
		{"JSON", func(b []byte, ev *event.Event) []byte { return AppendJSON(b, ev.Raw) },
			func(b []byte, ev *event.Event) []byte { return oldAppendRaw(b, ev.Raw) }},
	}
}

// checkSameAsReference fails t when a format writes other bytes for ev than
// its reference copy does, appending to a non-empty buffer as a forwarder
// does.
func checkSameAsReference(t *testing.T, name string, ev *event.Event) {
	t.Helper()
	for _, f := range refFormats() {
		got, want := f.new([]byte("prefix"), ev), f.old([]byte("prefix"), ev)
		if !bytes.Equal(got, want) {
			t.Errorf("%s(%s) = %.400q, want (the old code's) %.400q", f.name, name, got, want)
		}
	}
}

// TestSameAsReference runs the golden inputs and the simulator's events of
// every type, in both envelopes, through the new and the old formats.
func TestSameAsReference(t *testing.T) {
	for _, c := range goldenAndSimCases(t, 3000) {
		ev, err := event.Parse(c.raw, c.kind)
		if err != nil {
			t.Fatalf("Parse(%s) error %v", c.name, err)
		}
		checkSameAsReference(t, c.name, &ev)
		ev.Kind = event.KindAlert // an event read as an alert: the alert branches on rich fields
		checkSameAsReference(t, c.name+"/alert", &ev)
	}
}

// FuzzSameAsReference compares the new and the old formats on records Parse
// accepts and on Events built field by field, which reach combinations
// Parse would not produce (any Raw bytes, times of any year).
func FuzzSameAsReference(f *testing.F) {
	for _, c := range goldenCases(f) {
		if len(c.raw) < 4096 {
			ev, _ := event.Parse(c.raw, c.kind)
			f.Add(c.raw, c.kind == event.KindAlert, ev.ID, ev.Type, ev.ActorID, ev.ActorEmail, ev.ActorName,
				ev.AppID, ev.AppName, ev.SourceIP, ev.Country, ev.Outcome, ev.TargetID, ev.TargetEmail,
				ev.Severity, ev.BlockName, ev.Title, ev.Mitre, ev.Time.UnixNano(), ev.Ingested.UnixNano())
		}
	}
	f.Add([]byte("{\"a\":\"\\\xff\"}\r\n"), false, "i\x00", "UserGroupRemoved", "", "a=b|c", "", "", "日本\xc3",
		"::ffff:1.2.3.4", "é1", "failure", "t", "", "Critical", "", "", "T1", int64(math.MinInt64), int64(1))
	f.Fuzz(func(t *testing.T, raw []byte, alert bool, id, typ, actorID, actorEmail, actorName, appID, appName,
		ip, country, outcome, targetID, targetEmail, severity, block, title, mitre string, tm, ingested int64) {
		kind := event.KindEvent
		if alert {
			kind = event.KindAlert
		}
		if ev, err := event.Parse(raw, kind); err == nil {
			checkSameAsReference(t, "parsed", &ev)
		}
		ev := event.Event{Raw: raw, Kind: kind, ID: id, Type: typ, ActorID: actorID, ActorEmail: actorEmail,
			ActorName: actorName, AppID: appID, AppName: appName, SourceIP: ip, Country: country, Outcome: outcome,
			TargetID: targetID, TargetEmail: targetEmail, TargetName: actorName, Severity: severity,
			BlockID: block, BlockName: title, Title: title, Mitre: mitre,
			Time: time.Unix(0, tm).In(time.FixedZone("X", 3600)), Ingested: time.Unix(ingested, tm%1e9)}
		checkSameAsReference(t, "built", &ev)
	})
}

// BenchmarkFormatOnly measures each format alone, on an event parsed once,
// as the current code and as the reference copy of the old code, so both
// run in the same process under the same load. Compare with
// go test -run '^$' -bench FormatOnly -count 5 and benchstat-like reading
// of the old/new pairs.
func BenchmarkFormatOnly(b *testing.B) {
	events := []struct {
		name string
		raw  []byte
	}{
		{"login", mustFailedLogin(b, pigmentsim.ShapeDescribed)},
		{"member", mustSimEvent(b, pigmentsim.ShapePublic, "UserAccountTypeUpdated")},
	}
	for _, e := range events {
		ev, err := event.Parse(e.raw, event.KindEvent)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range refFormats() {
			if f.name != "HEC" && f.name != "ECS" && f.name != "Syslog" && f.name != "CEF" {
				continue
			}
			for _, v := range []struct {
				name string
				fn   func([]byte, *event.Event) []byte
			}{{"old", f.old}, {"new", f.new}} {
				b.Run(f.name+"/"+e.name+"/"+v.name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(e.raw)))
					var buf []byte
					for b.Loop() {
						buf = v.fn(buf[:0], &ev)
					}
				})
			}
		}
	}
}

// FuzzPlain compares appendRaw's fast check with the old one directly: a
// wrong "not plain" would not show in the output, the slow path copying
// plain JSON unchanged.
func FuzzPlain(f *testing.F) {
	f.Add([]byte(`{"name":"Zoë Dubois","x":"日本 \u00e9","y":"` + "\xff\xc3" + `"}`))
	f.Add([]byte("0123456789abcdef0123456789abcdef\xe6\x97\xa5\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := plain(b), oldPlain(b); got != want {
			t.Fatalf("plain(%q) = %v, want %v", b, got, want)
		}
	})
}

// TestSeverityTableSameAsReference: the notability classes store per type
// name gives every known type the severity the old per-event search did.
func TestSeverityTableSameAsReference(t *testing.T) {
	for typ := range classes {
		for _, outcome := range []string{"", "success", "failure"} {
			ev := event.Event{Type: typ, Outcome: outcome}
			if got, want := SyslogSeverity(&ev), oldSyslogSeverity(&ev); got != want {
				t.Errorf("SyslogSeverity(%s, %q) = %d, want %d", typ, outcome, got, want)
			}
		}
	}
}
