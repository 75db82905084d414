package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/report"
)

// A reviewer's comment or name is free text: a newline or tab in it must
// not make the listing show a row that no attestation holds.
func TestAttestationsListingKeepsOneLineEach(t *testing.T) {
	forged := "ok\n99\t2026-01-01T00:00:00Z\tMallory\tapproved"
	var out strings.Builder
	err := printAttestations(&out, []report.Attestation{{ID: 1, At: time.Unix(0, 0).UTC(), Reviewer: "Eve\tX",
		Decision: report.Rejected, Comment: forged, ManifestSHA256: strings.Repeat("a", 64)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Count(got, "\n") != 2 || !strings.Contains(got, `"ok\n99\t2026`) || !strings.Contains(got, `"Eve\tX"`) {
		t.Errorf("listing = %q, want a header and one line, control characters quoted", got)
	}
}
