package report

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// mustBrowser returns the browser the tests drive. Without one they skip
// on a developer's machine, and fail in CI (CI=true), where .ci/run
// installs chromium: a browser check never passes by not running.
func mustBrowser(tb testing.TB) string {
	tb.Helper()
	path, err := FindBrowser(os.Getenv("CHROMIUM_PATH"))
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("CI must have a browser: %v", err)
		}
		tb.Skipf("no browser (CI would fail): %v", err)
	}
	return path
}

// mustWriteHTML renders d to report.html in a test directory.
func mustWriteHTML(tb testing.TB, d *Document) string {
	tb.Helper()
	var page bytes.Buffer
	if err := RenderHTML(&page, d); err != nil {
		tb.Fatalf("RenderHTML: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "report.html")
	if err := os.WriteFile(path, page.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// pdfPage finds the page objects of a PDF: "/Type /Page", and not the
// "/Type /Pages" nodes of the page tree.
var pdfPage = regexp.MustCompile(`/Type\s*/Page\b`)

func TestPrintPDF(t *testing.T) {
	browser := mustBrowser(t)
	htmlPath := mustWriteHTML(t, longDocument())
	pdfPath := filepath.Join(filepath.Dir(htmlPath), "report.pdf")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := (Printer{Browser: browser}).PrintPDF(ctx, htmlPath, pdfPath); err != nil {
		t.Fatalf("PrintPDF: %v", err)
	}
	pdf, err := os.ReadFile(pdfPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("report.pdf starts with %q, want %%PDF-", pdf[:min(len(pdf), 8)])
	}
	if n := len(pdfPage.FindAll(pdf, -1)); n < 2 {
		t.Errorf("report.pdf has %d pages, want more than one for a long report", n)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(pdfPath), ".report.pdf.*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestPrintPDFNoBrowser: CHROMIUM_PATH naming nothing is an error that
// says which browser is missing and how to get one, and no PDF is written.
func TestPrintPDFNoBrowser(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no-such-chromium")
	t.Setenv("CHROMIUM_PATH", missing)
	pdfPath := filepath.Join(dir, "report.pdf")
	err := PrintPDF(context.Background(), mustWriteHTML(t, sampleDocument(true, false)), pdfPath)
	if !errors.Is(err, ErrNoBrowser) {
		t.Fatalf("PrintPDF error = %v, want ErrNoBrowser", err)
	}
	for _, want := range []string{"CHROMIUM_PATH=" + missing, "chromium"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := os.Stat(pdfPath); !os.IsNotExist(err) {
		t.Errorf("report.pdf exists after a failed print: %v", err)
	}
}

func TestFindBrowserOnPath(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("PATH", dir)
	if _, err := FindBrowser(""); !errors.Is(err, ErrNoBrowser) || !strings.Contains(err.Error(), "chromium-browser") {
		t.Errorf("FindBrowser with an empty PATH = %v, want ErrNoBrowser naming what it looked for", err)
	}
	fake := filepath.Join(dir, "chromium-browser")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindBrowser(""); err != nil || got != fake {
		t.Errorf("FindBrowser = %q, %v; want %q", got, err, fake)
	}
}

// TestPrintPDFTimeout: a print that cannot finish in time ends with an
// error that says so, and leaves no PDF.
func TestPrintPDFTimeout(t *testing.T) {
	browser := mustBrowser(t)
	htmlPath := mustWriteHTML(t, sampleDocument(true, false))
	pdfPath := filepath.Join(filepath.Dir(htmlPath), "report.pdf")
	err := (Printer{Browser: browser, Timeout: time.Millisecond}).PrintPDF(context.Background(), htmlPath, pdfPath)
	if err == nil || !strings.Contains(err.Error(), "not done within 1ms") {
		t.Errorf("PrintPDF with a 1ms timeout = %v, want it to say it was not done in time", err)
	}
	if _, err := os.Stat(pdfPath); !os.IsNotExist(err) {
		t.Errorf("report.pdf exists after a timed-out print: %v", err)
	}
}
