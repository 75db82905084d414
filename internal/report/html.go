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
	if _, err := io.WriteString(w, strings.Map(visibleControl, buf.String())); err != nil {
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

// visibleControl shows the control characters HTML forbids, which audit
// data may carry (html/template passes them through), as their Unicode
// control pictures ("\x01" as "␁"), and C1 controls and invalid
// UTF-8 as U+FFFD: a reader sees that something was there, and the page
// stays valid. Tab, newline, form feed and carriage return are kept.
func visibleControl(r rune) rune {
	switch {
	case r == '\t' || r == '\n' || r == '\f' || r == '\r':
		return r
	case r < 0x20:
		return 0x2400 + r
	case r == 0x7f:
		return 0x2421
	case r >= 0x80 && r < 0xa0:
		return '\uFFFD'
	}
	return r
}
