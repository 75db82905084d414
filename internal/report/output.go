package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Format is one kind of output file.
type Format string

// The formats --format selects from.
const (
	FormatHTML Format = "html"
	FormatJSON Format = "json"
	FormatCSV  Format = "csv"
	FormatPDF  Format = "pdf"
)

// DefaultFormats is what a report writes without --format: no PDF, which
// needs a browser.
var DefaultFormats = []Format{FormatHTML, FormatJSON, FormatCSV}

// ParseFormats reads --format: a comma-separated list of html, json, csv
// and pdf, in any order, each at most once.
func ParseFormats(s string) ([]Format, error) {
	var out []Format
	for _, f := range strings.Split(s, ",") {
		f := Format(strings.ToLower(strings.TrimSpace(f)))
		switch {
		case !slices.Contains([]Format{FormatHTML, FormatJSON, FormatCSV, FormatPDF}, f):
			return nil, fmt.Errorf("format %q: want a list of html, json, csv, pdf", f)
		case slices.Contains(out, f):
			return nil, fmt.Errorf("format %q listed twice", f)
		}
		out = append(out, f)
	}
	return out, nil
}

// The files of a report directory besides the CSVs and the manifest.
const (
	JSONFile = "report.json"
	HTMLFile = "report.html"
	PDFFile  = "report.pdf"
)

// csvNumber is a cell a spreadsheet reads as a plain number: left as it is.
var csvNumber = regexp.MustCompile(`^[-+]?[0-9]+(\.[0-9]+)?$`)

// csvCell is a cell as a CSV holds it: one a spreadsheet would run as a
// formula (starting with = + - @, a tab or a carriage return) gets a
// leading apostrophe, so Excel and LibreOffice show it as text (OWASP, CSV
// injection). Member and application names come from the audited
// workspace: whoever may name an application must not run a formula on
// the auditor's machine. Plain numbers are left as they are; report.json
// keeps every value unchanged.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !csvNumber.MatchString(s) {
		return "'" + s
	}
	return s
}

func csvCells(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = csvCell(c)
	}
	return out
}

// tableID is what a table's ID may be, since it names a file.
var tableID = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)

// Write writes d into the directory dir in formats, then manifest.sha256
// over every file. The files are written into a new directory beside dir,
// which then takes dir's place: a reader never sees half a report, and a
// report written again for the same period replaces the old one whole
// (no stale file of the old one stays). A dir that exists and is not a
// report (no manifest) is refused rather than replaced. pdf prints
// report.pdf when formats ask for it.
func Write(ctx context.Context, dir string, d *Document, formats []Format, pdf Printer) (err error) {
	if err := checkTarget(dir); err != nil {
		return err
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	stage, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".new-")
	if err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(stage)
		}
	}()
	if err := os.Chmod(stage, 0o755); err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	if err := writeFiles(ctx, stage, d, formats, pdf); err != nil {
		return err
	}
	if err := writeManifest(stage); err != nil {
		return err
	}
	return replaceDir(stage, dir)
}

// checkTarget refuses a dir that exists and holds something other than a
// report.
func checkTarget(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("report directory: %w", err)
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err != nil {
		return fmt.Errorf("report directory %s exists and holds no %s: not replacing what is not a report", dir, ManifestFile)
	}
	return nil
}

// replaceDir moves stage to dir, moving an existing dir aside first and
// removing it once stage is in place.
func replaceDir(stage, dir string) error {
	old := stage + ".old"
	if err := os.Rename(dir, old); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(stage, dir); err != nil {
		return fmt.Errorf("replace %s: %w", dir, err)
	}
	return os.RemoveAll(old)
}

func writeFiles(ctx context.Context, dir string, d *Document, formats []Format, pdf Printer) error {
	if slices.Contains(formats, FormatJSON) {
		b, err := MarshalJSON(d)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, JSONFile), b, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", JSONFile, err)
		}
	}
	if slices.Contains(formats, FormatCSV) {
		if err := writeCSVs(dir, d); err != nil {
			return err
		}
	}
	if slices.Contains(formats, FormatHTML) || slices.Contains(formats, FormatPDF) {
		var b bytes.Buffer
		if err := RenderHTML(&b, d); err != nil {
			return fmt.Errorf("render %s: %w", HTMLFile, err)
		}
		if err := os.WriteFile(filepath.Join(dir, HTMLFile), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", HTMLFile, err)
		}
	}
	if slices.Contains(formats, FormatPDF) {
		if err := pdf.PrintPDF(ctx, filepath.Join(dir, HTMLFile), filepath.Join(dir, PDFFile)); err != nil {
			return fmt.Errorf("print %s: %w", PDFFile, err)
		}
		if !slices.Contains(formats, FormatHTML) { // printed from it, not asked for
			return os.Remove(filepath.Join(dir, HTMLFile))
		}
	}
	return nil
}

// MarshalJSON is report.json: the Document indented, with a final newline;
// the same Document gives the same bytes.
func MarshalJSON(d *Document) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode %s: %w", JSONFile, err)
	}
	return b.Bytes(), nil
}

// writeCSVs writes every table of d as ID.csv (RFC 4180: a header line of
// the columns, CRLF line ends, quotes where needed), each cell through
// csvCell.
func writeCSVs(dir string, d *Document) error {
	seen := map[string]bool{}
	for _, s := range d.Sections {
		for _, t := range s.Tables {
			if !tableID.MatchString(t.ID) || seen[t.ID] {
				return fmt.Errorf("table %q of section %q: an ID must be unique and match %s", t.ID, s.ID, tableID)
			}
			seen[t.ID] = true
			var b bytes.Buffer
			w := csv.NewWriter(&b)
			w.UseCRLF = true
			_ = w.Write(csvCells(t.Columns))
			for _, r := range t.Rows {
				_ = w.Write(csvCells(r))
			}
			w.Flush() // errors only from the buffer, which has none
			if err := w.Error(); err != nil {
				return fmt.Errorf("table %s: %w", t.ID, err)
			}
			if err := os.WriteFile(filepath.Join(dir, t.ID+".csv"), b.Bytes(), 0o644); err != nil {
				return fmt.Errorf("write %s.csv: %w", t.ID, err)
			}
		}
	}
	return nil
}
