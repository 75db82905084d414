package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

// The page and its style are files, so they read as HTML and CSS; both are
// compiled into the binary, and the page refers to nothing outside itself.
//
//go:embed templates/report.html.tmpl templates/report.css
var templateFS embed.FS

var (
	reportCSS  = mustRead("templates/report.css")
	reportHTML = template.Must(template.New("report.html.tmpl").Funcs(htmlFuncs).Funcs(svgFuncs).
			ParseFS(templateFS, "templates/report.html.tmpl"))
)

// svgFuncs do the little arithmetic the chart template needs on
// coordinates that layoutChart already rounded.
var svgFuncs = template.FuncMap{
	"add0": func(a, b float64) float64 { return round1(a + b) },
	"sub0": func(a, b float64) float64 { return round1(a - b) },
	"half": func(a float64) float64 { return round1(a / 2) },
}

// RenderHTML writes d as one self-contained HTML page: inline CSS and SVG,
// no script, no reference to any other file or host, so it opens the same
// from a mail attachment, an archive or a browser with no network. Every
// chart is drawn above the table it reads; when d is not Complete the page
// says INCOMPLETE, with the reasons, at the top and on every printed page.
//
// The same Document gives the same bytes. Nothing is written when d cannot
// be drawn (a chart naming a missing table or a cell that is not a number).
func RenderHTML(w io.Writer, d *Document) error {
	v, err := newHTMLView(d)
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	var buf bytes.Buffer
	if err := reportHTML.Execute(&buf, v); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if _, err := io.WriteString(w, showControls(buf.String())); err != nil {
		return fmt.Errorf("html report: write: %w", err)
	}
	return nil
}

func mustRead(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// showControls writes the control characters HTML forbids, which audit
// data may carry and html/template passes through, as visible escapes
// ("\x07"), and invalid UTF-8 as U+FFFD: a reader sees that something was
// there, and the page stays valid. Tab, newline, form feed and carriage
// return are kept. (The fonts a browser has rarely draw the Unicode control
// pictures, so a plain escape is what reads.)
func showControls(page string) string {
	var b strings.Builder
	b.Grow(len(page))
	for _, r := range page {
		switch {
		case r == '\t' || r == '\n' || r == '\f' || r == '\r':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\x%02x", r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r) // utf8.RuneError for an invalid byte: U+FFFD
		}
	}
	return b.String()
}
