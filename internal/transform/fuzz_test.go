package transform

import (
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// fuzzSeeds adds the golden inputs and a few broken ones to f.
func fuzzSeeds(f *testing.F) {
	for _, c := range goldenCases(f) {
		if len(c.raw) < 4096 {
			f.Add(c.raw, c.kind == event.KindAlert)
		}
	}
	for _, s := range []string{``, `{`, `{"eventId":"\ud800"}`, `{"eventId":"e","actor":{"name":"\u0000"}}`, "{\"eventId\":\"e\x01\",\"a\":\"\\\x02\"}", `[1,2]`, `{"eventId":"e"}x`, `{"id":"a","actor":"x@y"}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
}

// FuzzAppend checks every format on anything Parse accepts: no panic, HEC
// and ECS valid one-line JSON carrying the original, syslog and CEF valid
// RFC 5424 lines.
func FuzzAppend(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte, alert bool) {
		kind := event.KindEvent
		if alert {
			kind = event.KindAlert
		}
		ev, err := event.Parse(raw, kind)
		if err != nil {
			return
		}
		checkOutputs(t, "fuzz", &ev)
	})
}

// FuzzAppendBuilt checks every format as FuzzAppend does on Events built
// field by field around a record Parse accepted: any field values, times
// of any year in zones other than UTC. The differential test cannot see a
// flaw the old code had too; this one checks the outputs themselves.
func FuzzAppendBuilt(f *testing.F) {
	f.Add([]byte(`{"eventId":"e"}`), false, "e", "UserGroupRemoved", "a\"", "a=b|c", "n]\\", "x", "日本\xc3",
		"::ffff:1.2.3.4", "fr", "failure", "t", "te", "Critical", "ti", "T1", int64(minUnix-1800), int64(1718000000), int8(1))
	f.Add([]byte(`{"eventId":"e"}`), true, "e\n", "", "", "", "", "", "", "01.2.3.4", "", "", "", "", "low", "", "",
		int64(maxUnix+1800), int64(-1), int8(-1))
	f.Fuzz(func(t *testing.T, raw []byte, alert bool, id, typ, actorID, actorEmail, actorName, appID, appName,
		ip, country, outcome, targetID, targetEmail, severity, title, mitre string, tm, ingested int64, zone int8) {
		kind := event.KindEvent
		if alert {
			kind = event.KindAlert
		}
		parsed, err := event.Parse(raw, kind)
		if err != nil {
			return
		}
		loc := time.FixedZone("Z", int(zone%15)*3600)
		ev := event.Event{Raw: parsed.Raw, Kind: kind, ID: id, Type: typ, ActorID: actorID, ActorEmail: actorEmail,
			ActorName: actorName, AppID: appID, AppName: appName, SourceIP: ip, Country: country, Outcome: outcome,
			TargetID: targetID, TargetEmail: targetEmail, TargetName: actorName, Severity: severity,
			BlockName: title, Title: title, Mitre: mitre,
			Time: time.Unix(tm, 0).In(loc), Ingested: time.Unix(ingested, tm%1e9).In(loc)}
		checkOutputs(t, "built", &ev)
	})
}
