package report

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/chromedp/chromedp"
)

// Printer prints report.html to PDF through a headless Chromium, the same
// browser the report's tests check the page in, so the PDF is the page an
// auditor would print. It speaks the DevTools protocol (chromedp) rather
// than `chromium --print-to-pdf` so that it controls the paper, the
// backgrounds (status colours) and the timeout, and knows when the page
// has loaded instead of guessing with a virtual-time budget.
type Printer struct {
	// Browser is the browser's path; empty means FindBrowser's lookup on
	// PATH.
	Browser string
	// Timeout bounds starting the browser, loading and printing; zero
	// means one minute.
	Timeout time.Duration
}

// PrintPDF prints the HTML file at htmlPath to a PDF at pdfPath through a
// headless Chromium: CHROMIUM_PATH when set, else chromium, chromium-browser
// or google-chrome on PATH. The error wraps ErrNoBrowser when none is
// there. The program's configuration should rather pass CHROMIUM_PATH to
// Printer.Browser; this reads it, as exec.LookPath reads PATH, so that a
// caller with no configuration of its own finds the same browser.
func PrintPDF(ctx context.Context, htmlPath, pdfPath string) error {
	return Printer{Browser: os.Getenv("CHROMIUM_PATH")}.PrintPDF(ctx, htmlPath, pdfPath)
}

// PrintPDF prints the HTML file at htmlPath to a PDF at pdfPath, A4 with
// the page's own margins and backgrounds. pdfPath is written through a
// temporary file and renamed, so it is whole or absent.
func (p Printer) PrintPDF(ctx context.Context, htmlPath, pdfPath string) error {
	browser, err := FindBrowser(p.Browser)
	if err != nil {
		return fmt.Errorf("print %s to pdf: %w", htmlPath, err)
	}
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return fmt.Errorf("print %s to pdf: %w", htmlPath, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return fmt.Errorf("print %s to pdf: %w", htmlPath, err)
	}
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tab, closeBrowser := newBrowser(ctx, browser)
	defer closeBrowser()

	pdf, err := chromedp.Run(tab, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		if err := chromedp.Do(ctx, chromedp.Navigate(fileURL(abs))); err != nil {
			return nil, fmt.Errorf("load: %w", err)
		}
		return chromedp.PrintToPDF(
			chromedp.PDFPaper(chromedp.PaperA4), // unless the page's @page says otherwise
			chromedp.PDFPreferCSSPageSize(),
			chromedp.PDFPrintBackground(), // status colours and the INCOMPLETE banner
			chromedp.PDFOutlineAndTagged(),
			chromedp.PDFStream(),
		)(ctx, t)
	})
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("print %s to pdf with %s: not done within %s: %w", htmlPath, browser, timeout, err)
		}
		return fmt.Errorf("print %s to pdf with %s: %w", htmlPath, browser, err)
	}
	return writeFileAtomic(pdfPath, pdf)
}

func fileURL(abs string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

// writeFileAtomic writes b to path through a temporary file in the same
// directory, synced and renamed.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after the rename, there is nothing to remove
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
