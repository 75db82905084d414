package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/report"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// Bad input: a clear message and exit 2 for the command line, 1 for an
// unreachable database, whose password is never shown.
func TestBadInput(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "postgres://auditor:s3cret-pw@" + l.Addr().String() + "/pigment?sslmode=disable&connect_timeout=2"
	l.Close()
	_, brokers := testkit.MustKafka(t)
	env := map[string]string{"DATABASE_URL": down, "KAFKA_BROKERS": brokers, "LOG_FORMAT": "json"}
	dir := t.TempDir()
	for _, c := range []struct {
		args  []string
		code  int
		wants []string
	}{
		{[]string{"monthly", "--month", "2026-13"}, 2, []string{`--month: month "2026-13": want YYYY-MM`}},
		{[]string{"weekly", "--week", "2026-48"}, 2, []string{`--week: week "2026-48": want YYYY-Www`}},
		{[]string{"weekly", "--format", "html,docx"}, 2, []string{`--format: format "docx": want a list of html, json, csv, pdf`}},
		{[]string{"weekly", "--as-of", "yesterday"}, 2, []string{"--as-of: want RFC 3339"}},
		{[]string{"weekly", "extra"}, 2, []string{"want 0 argument(s)"}},
		{[]string{"verify"}, 2, []string{"want 1 argument(s)"}},
		{[]string{"attest", dir, "--decision", "approved"}, 2, []string{"--reviewer is required"}},
		{[]string{"attest", dir, "--reviewer", "Ada", "--decision", "maybe"}, 2, []string{`--decision "maybe": want approved or rejected`}},
		{[]string{"frobnicate"}, 2, []string{`unknown command "frobnicate"`}},
		{[]string{"weekly", "--week", "2026-W48", "--out", filepath.Join(dir, "w")}, 1, []string{"database at postgres://auditor:xxxxx@127.0.0.1", "connect"}},
		{[]string{"attestations"}, 1, []string{"database at postgres://auditor:xxxxx@127.0.0.1"}},
		{[]string{"verify", dir}, 1, []string{"manifest.sha256: no such file"}},
	} {
		code, stdout, stderr := runProgram(t, env, "report", c.args...)
		ok := code == c.code && !strings.Contains(stdout+stderr, "s3cret-pw")
		for _, w := range c.wants {
			ok = ok && strings.Contains(stderr, w)
		}
		if !ok {
			t.Errorf("report %v = exit %d; want %d with %q and no password; stdout %q; stderr:\n%s", c.args, code, c.code, c.wants, stdout, testkit.Tail(stderr, 2048))
		}
	}
}

// An archive database that was never set up says so, rather than naming a
// missing table.
func TestNoArchive(t *testing.T) {
	t.Parallel()
	_, brokers := testkit.MustKafka(t)
	env := map[string]string{"DATABASE_URL": testkit.MustPostgres(t), "ARCHIVE_DATABASE_URL": testkit.MustPostgres(t),
		"KAFKA_BROKERS": brokers, "REPORT_WAIT": "0s"}
	code, _, stderr := runProgram(t, env, "report", "weekly", "--allow-incomplete", "--format", "json", "--out", filepath.Join(t.TempDir(), "w"))
	if code != 1 || !strings.Contains(stderr, "the archive database has no archive") || !strings.Contains(stderr, "SINK=postgres") {
		t.Errorf("report weekly without an archive = exit %d; want 1 saying how to set the archive up; stderr:\n%s", code, testkit.Tail(stderr, 2048))
	}
}

// The default formats write report.html too. Enabled by itself once
// report.RenderHTML is built (R3); until then it says why it skips.
func TestDefaultFormatsWriteHTML(t *testing.T) {
	t.Parallel()
	if err := report.RenderHTML(&bytes.Buffer{}, &report.Document{}); err != nil && strings.Contains(err.Error(), "not built yet") {
		t.Skip("report.RenderHTML is not built yet: " + err.Error())
	}
	p := newPipeline(t)
	env := p.env(nil)
	fwd := testkit.Start(t, *bins["forward"], env, "run")
	t.Cleanup(func() { fwd.Stop(); fwd.Wait(10 * time.Second) })
	mustRun(t, env, "extract", "once")
	out := filepath.Join(t.TempDir(), "weekly")
	stdout := mustRun(t, env, "report", "weekly", "--out", out)
	if !strings.Contains(stdout, "open file://"+out+"/report.html") {
		t.Errorf("report weekly printed %q, want where to open the HTML", stdout)
	}
	for _, f := range []string{report.HTMLFile, report.JSONFile, report.ManifestFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("default formats: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, report.PDFFile)); !os.IsNotExist(err) {
		t.Errorf("a PDF without --format pdf: %v", err)
	}
	mustRun(t, env, "report", "verify", out)

	// PDF alone: printed from the HTML, which is not kept; with no browser,
	// a clear error and no report.
	pdf := filepath.Join(t.TempDir(), "pdf")
	mustRun(t, env, "report", "weekly", "--format", "pdf", "--out", pdf)
	if b, err := os.ReadFile(filepath.Join(pdf, report.PDFFile)); err != nil || !strings.HasPrefix(string(b), "%PDF-") {
		t.Errorf("--format pdf wrote no PDF: %v", err)
	}
	if _, err := os.Stat(filepath.Join(pdf, report.HTMLFile)); !os.IsNotExist(err) {
		t.Errorf("--format pdf kept report.html: %v", err)
	}
	mustRun(t, env, "report", "verify", pdf)
	none := filepath.Join(t.TempDir(), "none")
	code, _, stderr := runProgram(t, env.With(map[string]string{"CHROMIUM_PATH": "/nonexistent/chromium"}), "report",
		"weekly", "--format", "pdf,json", "--out", none)
	if _, err := os.Stat(none); code != 1 || !strings.Contains(stderr, "CHROMIUM_PATH=/nonexistent/chromium is not an executable") || !os.IsNotExist(err) {
		t.Errorf("--format pdf without a browser = exit %d, report dir %v; want 1 naming the browser and no report; stderr:\n%s", code, err, testkit.Tail(stderr, 2048))
	}
}

// The report's sessions on the archive compile no query (jit off): a
// monthly audit's queries cost enough for Postgres to JIT-compile them,
// which took 5 of the 6 s the audit of a 400,000-event archive took. An
// archive URL that sets jit itself keeps its choice.
func TestArchiveSessionsWithoutJIT(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := testkit.MustPostgres(t)
	for _, c := range []struct{ url, want string }{{u, "off"}, {u + "&jit=on", "on"}} {
		a := &app{cfg: &Config{Database: daemon.Database{DatabaseURL: c.url}}}
		pool, err := a.openArchive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var jit string
		err = pool.QueryRow(ctx, "SHOW jit").Scan(&jit)
		pool.Close()
		if err != nil || jit != c.want {
			t.Errorf("archive session of %s: jit = %q, %v; want %s", c.url, jit, err, c.want)
		}
	}
}
