package report

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func outputDocument() *Document {
	at := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	p, _ := ParseWeek("2026-W48")
	return &Document{
		Kind: Weekly, Title: "Weekly reliability check", Workspace: "acme", Period: p, GeneratedAt: at,
		Version: "test", Parameters: []Field{{Name: "period", Value: p.Name}}, Complete: true,
		Coverage: Coverage{Runs: []Run{}, Topics: []TopicProgress{}},
		Sections: []Section{{ID: "changes", Title: "Changes", Tables: []Table{{
			ID: "changes-by-application", Title: "Changes by application", Columns: []string{"application", "changes"},
			Rows: [][]string{{`Budget "FY27", draft`, "12"}, {"Sales\nplan", "3"}},
		}}}},
	}
}

func writeSample(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "weekly-2026-W48")
	if err := Write(context.Background(), dir, outputDocument(), []Format{FormatJSON, FormatCSV}, Printer{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A report directory holds report.json, one RFC 4180 CSV per table and a
// manifest that sha256sum itself accepts.
func TestWriteJSONCSVManifest(t *testing.T) {
	dir := writeSample(t)
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got, want := strings.Join(names, " "), "changes-by-application.csv manifest.sha256 report.json"; got != want {
		t.Errorf("files = %s, want %s", got, want)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, "changes-by-application.csv"))
	if want := "application,changes\r\n\"Budget \"\"FY27\"\", draft\",12\r\n\"Sales\r\nplan\",3\r\n"; string(csv) != want {
		t.Errorf("csv = %q, want %q", csv, want)
	}
	sums := exec.Command("sha256sum", "-c", ManifestFile)
	sums.Dir = dir
	if out, err := sums.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, out)
	}
	if _, err := Verify(dir); err != nil {
		t.Errorf("Verify of a fresh report: %v", err)
	}
	again := writeSample(t)
	a, _ := os.ReadFile(filepath.Join(dir, JSONFile))
	b, _ := os.ReadFile(filepath.Join(again, JSONFile))
	if string(a) != string(b) || !strings.HasSuffix(string(a), "}\n") {
		t.Errorf("report.json differs between two writes of one Document, or lacks its final newline")
	}
}

// Verify names a one-byte change, a missing file and an extra one.
func TestVerifyNamesEveryChange(t *testing.T) {
	for _, c := range []struct {
		name, want string
		change     func(dir string) error
	}{
		{"one byte", "changed: report.json", func(dir string) error {
			p := filepath.Join(dir, JSONFile)
			b, _ := os.ReadFile(p)
			b[10] ^= 1
			return os.WriteFile(p, b, 0o644)
		}},
		{"missing", "missing: changes-by-application.csv", func(dir string) error {
			return os.Remove(filepath.Join(dir, "changes-by-application.csv"))
		}},
		{"extra", "extra: notes.txt", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
		}},
	} {
		dir := writeSample(t)
		if err := c.change(dir); err != nil {
			t.Fatal(err)
		}
		_, err := Verify(dir)
		var ve *VerifyError
		if !errors.As(err, &ve) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Verify = %v, want a VerifyError naming %q", c.name, err, c.want)
		}
	}
}

// A report written again replaces the old one whole; a directory that is
// not a report is never replaced.
func TestWriteReplacesOnlyReports(t *testing.T) {
	dir := writeSample(t)
	if err := os.WriteFile(filepath.Join(dir, "stale.csv"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), dir, outputDocument(), []Format{FormatJSON}, Printer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err != nil {
		t.Errorf("after a rewrite: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "stale.csv")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file of the old report survived the rewrite: %v", err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "thesis.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(context.Background(), other, outputDocument(), []Format{FormatJSON}, Printer{}); err == nil {
		t.Error("Write replaced a directory that is not a report")
	}
	if _, err := os.Stat(filepath.Join(other, "thesis.txt")); err != nil {
		t.Errorf("the other directory lost its file: %v", err)
	}
}

func TestParseFormats(t *testing.T) {
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{"html,json,csv", "html json csv", true},
		{"PDF, json", "pdf json", true},
		{"json,docx", "", false},
		{"json,json", "", false},
		{"", "", false},
	} {
		got, err := ParseFormats(c.in)
		var s []string
		for _, f := range got {
			s = append(s, string(f))
		}
		if (err == nil) != c.ok || strings.Join(s, " ") != c.want {
			t.Errorf("ParseFormats(%q) = %v, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}
