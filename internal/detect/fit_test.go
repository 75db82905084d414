package detect

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// TestMarshalFit cuts alerts of every oversized shape to a limit: each
// result fits, is valid JSON in valid UTF-8, is flagged, and keeps its ID,
// count and the beginning of its texts and evidence.
func TestMarshalFit(t *testing.T) {
	base := Alert{ID: "5f1c0000-0000-5000-8000-000000000001", Rule: "bulk-deletion", Severity: "high",
		Title: "Bulk deletion", Description: "11 deletions", Actor: "member-1", ActorEmail: "a@example.com",
		Window: Window{Start: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC), End: time.Date(2026, 11, 20, 11, 0, 0, 0, time.UTC)},
		Count:  11, Evidence: []string{"e1", "e2"}, Mitre: "T1485", Runbook: "Confirm with the actor."}
	var ids []string
	for i := range 20 {
		ids = append(ids, fmt.Sprintf("event-%02d-%s", i, strings.Repeat("x", 900)))
	}
	tests := []struct {
		name    string
		edit    func(*Alert)
		limit   int
		wantCut bool
	}{
		{"small: unchanged", func(*Alert) {}, 4096, false},
		{"huge email", func(a *Alert) { a.ActorEmail = strings.Repeat("m", 50000) + "@example.com" }, 16384, true},
		{"huge actor everywhere", func(a *Alert) {
			n := strings.Repeat("n", 30000)
			a.Actor, a.ActorEmail, a.Title, a.Description = n, n, "Bulk deletion by "+n, n+" deleted 11 blocks"
		}, 16384, true},
		{"long evidence", func(a *Alert) { a.Evidence = ids }, 8000, true},
		{"non-ASCII name", func(a *Alert) { a.ActorEmail = strings.Repeat("é漢", 20000) }, 16384, true},
		{"control characters (escaped six times longer)", func(a *Alert) { a.Description = strings.Repeat("\x01", 20000) }, 16384, true},
		{"everything at once", func(a *Alert) {
			a.Evidence, a.Application, a.Runbook = ids, strings.Repeat("p", 40000), strings.Repeat("r", 40000)
		}, 16384, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := base
			a.Evidence = slices.Clone(base.Evidence)
			tt.edit(&a)
			b, cut, err := a.MarshalFit(tt.limit)
			if err != nil {
				t.Fatalf("MarshalFit(%d) error: %v", tt.limit, err)
			}
			if cut != tt.wantCut || len(b) > tt.limit || !utf8.Valid(b) {
				t.Fatalf("MarshalFit(%d) = %d bytes, cut %v (valid UTF-8: %v), want at most %d, cut %v", tt.limit, len(b), cut, utf8.Valid(b), tt.limit, tt.wantCut)
			}
			var got Alert
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("MarshalFit output is not JSON: %v", err)
			}
			if got.Truncated != tt.wantCut || got.ID != a.ID || got.Count != a.Count || got.Rule != a.Rule || !got.Window.Start.Equal(a.Window.Start) {
				t.Errorf("MarshalFit kept truncated=%v id=%s count=%d rule=%s; want truncated=%v and the rest intact", got.Truncated, got.ID, got.Count, got.Rule, tt.wantCut)
			}
			if got.Evidence == nil || !slices.Equal(got.Evidence, a.Evidence[:len(got.Evidence)]) {
				t.Errorf("evidence = %d IDs, want a prefix of the %d original ones (never null)", len(got.Evidence), len(a.Evidence))
			}
			for _, f := range [][2]string{{got.Title, a.Title}, {got.Description, a.Description}, {got.ActorEmail, a.ActorEmail}, {got.Application, a.Application}} {
				if !strings.HasPrefix(f[1], strings.TrimSuffix(f[0], ellipsis)) {
					t.Errorf("text %.30q… is not the beginning of %.30q…", f[0], f[1])
				}
			}
			if !tt.wantCut && !strings.Contains(string(b), `"evidence":["e1","e2"]`) || !tt.wantCut && strings.Contains(string(b), "truncated") {
				t.Errorf("an alert that fits changed: %s", b)
			}
		})
	}
	if _, _, err := base.MarshalFit(100); err == nil {
		t.Error("MarshalFit(100): no error, want one (not even the ID fits)")
	}
}
