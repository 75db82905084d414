package report

import (
	"context"
	"os"
	"strings"
	"testing"
)

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
