package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/report"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// The whole path: a period not extracted, not archived, then complete;
// byte-identical JSON and CSV for the same archive; the same report after
// the topic lost the period's records, and after a checkpoint reset and
// re-extraction; verify and attest on the written directories.
func TestReportFromTheArchive(t *testing.T) {
	t.Parallel()
	p := newPipeline(t)
	env := p.env(nil)
	week := report.LastCompleteWeek(time.Now())
	out := t.TempDir()
	dir := func(name string) string { return out + "/" + name }
	weekly := func(name string, extra ...string) []string {
		return append([]string{"weekly", "--week", week.Name, "--as-of", "2026-12-01T06:00:00Z",
			"--format", "json,csv", "--out", dir(name)}, extra...)
	}

	// Nothing extracted yet.
	wantExit(t, env, 3, []string{"no finished run", week.Name}, weekly("a")...)
	mustRun(t, env, "extract", "once")
	// The current week is not over: extract cannot vouch for it.
	this := report.LastCompleteWeek(time.Now().AddDate(0, 0, 7))
	wantExit(t, env, 3, []string{"extract watermark at", "need " + this.End.Add(10*time.Minute).Format(time.RFC3339)},
		"weekly", "--week", this.Name, "--format", "json", "--out", dir("now"))
	// Extracted, not archived: forward is not running. One dead letter of
	// the week waits to be counted by the archive's dead-letter group.
	writeDeadLetter(t, p.Brokers, p.Topic+"-dlq", week.Start.Add(36*time.Hour))
	quick := p.env(map[string]string{"REPORT_WAIT": "1s"})
	wantExit(t, quick, 3, []string{p.Topic + " partition 0 archived to offset 0 of", "consumer group forward-postgres,",
		p.Topic + "-dlq partition", "consumer group forward-postgres-dead-letters"}, weekly("a")...)
	if _, err := os.Stat(dir("a")); !os.IsNotExist(err) {
		t.Errorf("an incomplete report was written without --allow-incomplete: %v", err)
	}
	mustRun(t, quick, "report", weekly("incomplete", "--allow-incomplete")...)
	if d := readDocument(t, dir("incomplete")); d.Complete || len(d.Incomplete) == 0 {
		t.Errorf("--allow-incomplete wrote complete=%v, reasons %q; want false with reasons", d.Complete, d.Incomplete)
	}

	// After catch-up: complete.
	fwd := testkit.Start(t, *bins["forward"], env, "run")
	t.Cleanup(func() { fwd.Stop(); fwd.Wait(10 * time.Second) })
	mustRun(t, env, "report", weekly("a")...)
	a := readDocument(t, dir("a"))
	if !a.Complete || a.Kind != report.Weekly || a.Period.Name != week.Name || a.Version == "" || len(a.Coverage.Runs) == 0 {
		t.Fatalf("report = complete %v, kind %s, period %s, version %q, %d runs; want a complete weekly report of %s",
			a.Complete, a.Kind, a.Period.Name, a.Version, len(a.Coverage.Runs), week.Name)
	}
	if a.Coverage.DeadLetters != 1 {
		t.Errorf("report counts %d dead letters in %s, want the 1 written", a.Coverage.DeadLetters, week.Name)
	}
	if want := countInTopic(t, p, week); a.Coverage.Events != want || want == 0 {
		t.Errorf("report counts %d events in %s, the topic holds %d", a.Coverage.Events, week.Name, want)
	}
	sha256sumCheck(t, dir("a"))
	month := report.LastCompleteMonth(time.Now())
	mustRun(t, env, "report", "monthly", "--month", month.Name, "--format", "json", "--out", dir("month"))
	if m := readDocument(t, dir("month")); !m.Complete || m.Kind != report.Monthly || !m.SignOff || m.Period != month {
		t.Errorf("monthly report = complete %v, kind %s, sign-off %v, period %+v; want a complete monthly audit of %+v with a sign-off",
			m.Complete, m.Kind, m.SignOff, m.Period, month)
	}

	// The same archive, the same --as-of: the same bytes, while the
	// pipeline keeps running: an event after the period, extracted (the
	// live watermark and the topic's end move) and archived.
	now := time.Now().UTC()
	p.sim.Inject(pigmentsim.Injected{ID: "after-the-period", Type: "UserLoggedIn", ActorID: "member-after",
		EventTime: now, IngestionTime: now})
	before := offsets(t, p.Brokers, p.Topic, lastOffset)
	mustRun(t, env, "extract", "once")
	if offsets(t, p.Brokers, p.Topic, lastOffset) == before {
		t.Fatal("extract produced nothing after the period: the test would prove nothing")
	}
	mustRun(t, env, "report", weekly("b")...)
	sameFiles(t, dir("a"), dir("b"))

	// The topic lost the period (retention): the archive still has it.
	deleteRecords(t, p.Brokers, p.Topic)
	mustRun(t, env, "report", weekly("c")...)
	sameFiles(t, dir("a"), dir("c"))

	// A checkpoint reset and re-extraction: every event again in the topic,
	// once in the archive.
	mustRun(t, env, "extract", "checkpoint", "reset", "--to", week.Start.AddDate(0, 0, -1).Format(time.RFC3339),
		"--reason", "re-extract for the report test", "--operator", "test")
	end := offsets(t, p.Brokers, p.Topic, lastOffset)
	mustRun(t, env, "extract", "once")
	if again := offsets(t, p.Brokers, p.Topic, lastOffset) - end; again < a.Coverage.Events {
		t.Fatalf("the re-extraction produced %d records, fewer than the %d of the week: the test would prove nothing", again, a.Coverage.Events)
	}
	mustRun(t, env, "report", weekly("d")...)
	d := readDocument(t, dir("d"))
	if !d.Complete || d.Coverage.Events != a.Coverage.Events || !sameJSON(d.Sections, a.Sections) {
		t.Errorf("after reset and re-extraction: complete %v, %d events; want %d and the same sections", d.Complete, d.Coverage.Events, a.Coverage.Events)
	}

	// verify and attest.
	if out := mustRun(t, env, "report", "verify", dir("a")); !strings.Contains(out, "every file matches") {
		t.Errorf("verify of an unchanged report: %s", out)
	}
	flipByte(t, dir("b")+"/"+report.JSONFile)
	wantExit(t, env, 1, []string{"changed: report.json"}, "verify", dir("b"))
	if err := os.Remove(dir("c") + "/" + report.JSONFile); err != nil {
		t.Fatal(err)
	}
	wantExit(t, env, 1, []string{"missing: " + report.JSONFile}, "verify", dir("c"))
	wantExit(t, env, 1, []string{"attestation refused", "changed: report.json"},
		"attest", dir("b"), "--reviewer", "Ada Auditor", "--decision", "approved")
	att := mustRun(t, env, "report", "attest", dir("a"), "--reviewer", "Ada Auditor", "--decision", "approved", "--comment", "looks right")
	manifest, _ := os.ReadFile(dir("a") + "/" + report.ManifestFile)
	for _, want := range []string{"attestation 1 recorded", "Ada Auditor", "approved", "looks right", week.Name, sha256Hex(manifest)} {
		if !strings.Contains(att, want) {
			t.Errorf("attest printed no %q:\n%s", want, att)
		}
	}
	if list := mustRun(t, env, "report", "attestations", "--limit", "5"); !strings.Contains(list, "Ada Auditor") || strings.Count(list, "\n") != 2 {
		t.Errorf("attestations = %q, want a header and the one attestation", list)
	}
}
