package mcpserver_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pigment-siem/pipeline/internal/mcpserver"
)

// TestTimesInUTCWhateverTZ: the server tells clients "Times are UTC", yet
// pgx reads a timestamptz in the process's local zone; on a host whose TZ
// is not UTC, the coverage and the attestations said +09:00. The test runs
// itself again under TZ=Asia/Tokyo, the only way to change the zone
// Local is without racing the parallel tests.
func TestTimesInUTCWhateverTZ(t *testing.T) {
	if os.Getenv("MCPSERVER_TZ_CHILD") == "" {
		t.Parallel()
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestTimesInUTCWhateverTZ$", "-test.count=1")
		cmd.Env = append(os.Environ(), "TZ=Asia/Tokyo", "MCPSERVER_TZ_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("under TZ=Asia/Tokyo: %v\n%s", err, out)
		}
		return
	}
	w := mustWorld(t)
	if _, err := w.admin.Exec(t.Context(), `INSERT INTO report_attestations (reviewer, decision, manifest_sha256, kind, period, workspace, directory)
		VALUES ('rita', 'approved', repeat('a', 64), 'weekly', '2026-W48', 'ws', '/r')`); err != nil {
		t.Fatal(err)
	}
	cs := w.stdioClient(t)
	res, err := cs.ReadResource(t.Context(), &mcp.ReadResourceParams{URI: mcpserver.URICoverage})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Contents[0].Text; strings.Contains(got, "+09:00") {
		t.Errorf("coverage under TZ=Asia/Tokyo = %s, want UTC times", got)
	}
	tool := call(t, cs, "latest_report", map[string]any{}, nil)
	if got := text(tool); strings.Contains(got, "+09:00") || !strings.Contains(got, "attestedAt") {
		t.Errorf("latest_report under TZ=Asia/Tokyo = %s, want its attestation in UTC", got)
	}
}
