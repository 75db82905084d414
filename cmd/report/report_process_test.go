package main

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/record"
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
	dir := func(name string) string { return filepath.Join(out, name) }
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
	// Extracted, not archived: forward is not running.
	quick := p.env(map[string]string{"REPORT_WAIT": "1s"})
	wantExit(t, quick, 3, []string{p.topic + " partition 0 archived to offset 0 of", "consumer group forward-postgres"}, weekly("a")...)
	if _, err := os.Stat(dir("a")); !os.IsNotExist(err) {
		t.Errorf("an incomplete report was written without --allow-incomplete: %v", err)
	}
	mustRun(t, quick, "report", weekly("incomplete", "--allow-incomplete")...)
	if d := readDocument(t, dir("incomplete")); d.Complete || len(d.Incomplete) == 0 {
		t.Errorf("--allow-incomplete wrote complete=%v, reasons %q; want false with reasons", d.Complete, d.Incomplete)
	}

	// After catch-up: complete.
	fwd := testkit.Start(t, bins["forward"], env, "run")
	t.Cleanup(func() { fwd.Stop(); fwd.Wait(10 * time.Second) })
	mustRun(t, env, "report", weekly("a")...)
	a := readDocument(t, dir("a"))
	if !a.Complete || a.Kind != report.Weekly || a.Period.Name != week.Name || a.Version == "" || len(a.Coverage.Runs) == 0 {
		t.Fatalf("report = complete %v, kind %s, period %s, version %q, %d runs; want a complete weekly report of %s",
			a.Complete, a.Kind, a.Period.Name, a.Version, len(a.Coverage.Runs), week.Name)
	}
	if want := countInTopic(t, p, week); a.Coverage.Events != want || want == 0 {
		t.Errorf("report counts %d events in %s, the topic holds %d", a.Coverage.Events, week.Name, want)
	}
	sums := exec.Command("sha256sum", "-c", report.ManifestFile)
	sums.Dir = dir("a")
	if b, err := sums.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c in the report: %v\n%s", err, b)
	}

	// The same archive, the same --as-of: the same bytes.
	mustRun(t, env, "report", weekly("b")...)
	sameFiles(t, dir("a"), dir("b"))

	// The topic lost the period (retention): the archive still has it.
	deleteRecords(t, p.brokers, p.topic)
	mustRun(t, env, "report", weekly("c")...)
	sameFiles(t, dir("a"), dir("c"))

	// A checkpoint reset and re-extraction: every event again in the topic,
	// once in the archive.
	mustRun(t, env, "extract", "checkpoint", "reset", "--to", week.Start.AddDate(0, 0, -1).Format(time.RFC3339),
		"--reason", "re-extract for the report test", "--operator", "test")
	end := offsets(t, p.brokers, p.topic, -1)
	mustRun(t, env, "extract", "once")
	if again := offsets(t, p.brokers, p.topic, -1) - end; again < a.Coverage.Events {
		t.Fatalf("the re-extraction produced %d records, fewer than the %d of the week: the test would prove nothing", again, a.Coverage.Events)
	}
	mustRun(t, env, "report", weekly("d")...)
	d := readDocument(t, dir("d"))
	if !d.Complete || d.Coverage.Events != a.Coverage.Events || !slices.EqualFunc(d.Sections, a.Sections, sameSection) {
		t.Errorf("after reset and re-extraction: complete %v, %d events; want %d and the same sections", d.Complete, d.Coverage.Events, a.Coverage.Events)
	}

	// verify and attest.
	if out := mustRun(t, env, "report", "verify", dir("a")); !strings.Contains(out, "every file matches") {
		t.Errorf("verify of an unchanged report: %s", out)
	}
	flipByte(t, filepath.Join(dir("b"), report.JSONFile))
	wantExit(t, env, 1, []string{"changed: report.json"}, "verify", dir("b"))
	if err := os.Remove(filepath.Join(dir("c"), report.JSONFile)); err != nil {
		t.Fatal(err)
	}
	wantExit(t, env, 1, []string{"missing: " + report.JSONFile}, "verify", dir("c"))
	wantExit(t, env, 1, []string{"attestation refused", "changed: report.json"},
		"attest", dir("b"), "--reviewer", "Ada Auditor", "--decision", "approved")
	att := mustRun(t, env, "report", "attest", dir("a"), "--reviewer", "Ada Auditor", "--decision", "approved", "--comment", "looks right")
	manifest, _ := os.ReadFile(filepath.Join(dir("a"), report.ManifestFile))
	for _, want := range []string{"attestation 1 recorded", "Ada Auditor", "approved", "looks right", week.Name, sha256Hex(manifest)} {
		if !strings.Contains(att, want) {
			t.Errorf("attest printed no %q:\n%s", want, att)
		}
	}
	if list := mustRun(t, env, "report", "attestations", "--limit", "5"); !strings.Contains(list, "Ada Auditor") || strings.Count(list, "\n") != 2 {
		t.Errorf("attestations = %q, want a header and the one attestation", list)
	}
}

// countInTopic counts the distinct events of the topic whose event time is
// in p, read with a plain Kafka client, as an independent count.
func countInTopic(t *testing.T, p *pipeline, per report.Period) int64 {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range testkit.ReadAll(t, p.brokers, p.topic) {
		var e struct {
			EventTimestamp time.Time `json:"eventTimestamp"`
		}
		if err := json.Unmarshal(m.Value, &e); err != nil {
			t.Fatalf("record %s: %v", m.Key, err)
		}
		if !e.EventTimestamp.Before(per.Start) && e.EventTimestamp.Before(per.End) {
			seen[testkit.Header(m, record.HeaderEventID)] = true
		}
	}
	return int64(len(seen))
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := files(t, a), files(t, b)
	if !slices.Equal(slices.Sorted(maps.Keys(fa)), slices.Sorted(maps.Keys(fb))) {
		t.Fatalf("%s has %v, %s has %v", a, slices.Sorted(maps.Keys(fa)), b, slices.Sorted(maps.Keys(fb)))
	}
	for name, body := range fa {
		if fb[name] != body {
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}

func sameSection(a, b report.Section) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
