package report

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// caseEvent is one hand-written event (the described envelope): its time
// is a day of 2026 at noon UTC, "MM-DD"; its actor a member id (with the
// email id@acme.example), "email:id" for the email alone, or "id=other"
// for id with the email other@acme.example.
type caseEvent struct {
	id, typ, day, actor, metadata string
}

// mustCaseArchive archives evs through the real sink and returns the
// archive.
func mustCaseArchive(t *testing.T, evs []caseEvent) *pgxpool.Pool {
	t.Helper()
	sink, db := mustArchive(t, "")
	var rows [][]byte
	for _, e := range evs {
		actor := fmt.Sprintf(`{"memberId":%q,"email":"%s@acme.example"}`, e.actor, e.actor)
		if m, ok := strings.CutPrefix(e.actor, "email:"); ok { // an actor named by email alone
			actor = fmt.Sprintf(`{"email":"%s@acme.example"}`, m)
		}
		if id, m, ok := strings.Cut(e.actor, "="); ok { // an actor whose email is another's
			actor = fmt.Sprintf(`{"memberId":%q,"email":"%s@acme.example"}`, id, m)
		}
		raw := fmt.Sprintf(`{"eventId":%q,"eventType":%q,"eventTimestamp":"2026-%sT12:00:00Z","ingestionTimestamp":"2026-%sT12:01:00Z",`+
			`"actor":%s,"metadata":{%s}}`, e.id, e.typ, e.day, e.day, actor, e.metadata)
		ev, err := event.Parse([]byte(raw), event.KindEvent)
		if err != nil {
			t.Fatalf("parse %s: %v", raw, err)
		}
		rows = append(rows, transform.AppendArchive(nil, &ev))
	}
	if _, err := sink.Send(context.Background(), rows, nil); err != nil {
		t.Fatal(err)
	}
	return db
}

func target(id string) string {
	return fmt.Sprintf(`"targetMemberId":%q,"targetEmail":"%s@acme.example"`, id, id)
}

func roleChange(id, before, after string) string {
	return target(id) + fmt.Sprintf(`,"previousRole":%q,"newRole":%q`, before, after)
}

// TestSectionsEdgeCases: activity after a deactivation stops at a
// reactivation and starts again at the next deactivation, one made before
// the month included; dormancy counts from the last successful login (else
// the first time seen) and leaves deactivated members out; the privileged
// state is the latest account type (an application role does not change
// it; an invitation's type counts); a revoked key is no longer open.
func TestSectionsEdgeCases(t *testing.T) {
	t.Parallel()
	ok, failed := `"outcome":"success"`, `"outcome":"failure"`
	db := mustCaseArchive(t, []caseEvent{
		{"d1", "MemberDeactivated", "10-20", "admin", target("m-d")},
		{"a1", "UserLoggedIn", "11-03", "m-d", ok},
		{"r1", "UserReactivated", "11-05", "admin", target("m-d")},
		{"a2", "BlockModified", "11-06", "m-d", ""},
		{"d2", "UserDeactivated", "11-10", "admin", target("m-d")},
		{"a3", "ExportExecuted", "11-12", "m-d", ""},
		{"a4", "ExportExecuted", "12-02", "m-d", ""}, // after the month

		{"o1", "UserLoggedIn", "09-15", "m-old", ok},
		{"o2", "BlockModified", "11-20", "m-old", ""},
		{"n1", "ApplicationAccessed", "10-01", "m-never", ""},
		{"f1", "UserLoggedIn", "10-10", "m-failed", failed},
		{"x1", "UserLoggedIn", "11-29", "m-fresh", ok},
		{"g1", "UserLoggedIn", "08-01", "m-gone", ok},
		{"g2", "MemberDeactivated", "08-02", "admin", target("m-gone")},
		{"z1", "UserLoggedIn", "11-30", "admin", ok},

		{"p1", "MemberInvited", "10-01", "admin", target("m-p") + `,"accountType":"Workspace Admin"`},
		{"q1", "RoleChanged", "11-02", "admin", roleChange("m-q", "Builder", "Security Admin")},
		{"q2", "RoleChanged", "11-03", "admin", roleChange("m-q", "Viewer", "Editor")},
		{"s1", "UserAccountTypeUpdated", "11-01", "admin", target("m-r") + `,"previousAccountType":"Builder","newAccountType":"Admin"`},
		{"s2", "UserAccountTypeUpdated", "11-20", "admin", target("m-r") + `,"previousAccountType":"Admin","newAccountType":"Builder"`},
		{"t1", "RoleChanged", "12-02", "admin", roleChange("m-t", "Builder", "Workspace Admin")},

		{"k1", "APIKeyCreated", "10-05", "admin", `"apiKeyId":"k-1","apiKeyName":"one"`},
		{"k2", "APIKeyRevoked", "11-07", "admin", `"apiKeyId":"k-1","apiKeyName":"one"`},
		{"k3", "APIKeyCreated", "11-08", "admin", `"apiKeyId":"k-2","apiKeyName":"two"`},
		{"k4", "APIKeyCreated", "12-03", "admin", `"apiKeyId":"k-3","apiKeyName":"three"`},
	})
	month, _ := ParseMonth("2026-11")
	monthly, err := MonthlySections(context.Background(), db, month)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		table string
		cols  []int
		want  string
	}{
		// member id, deactivation, events, event ids
		{"activity_after_deactivation", []int{1, 3, 4, 8}, "[[m-d d1 1 a1] [m-d d2 1 a3]]"},
		// member id, last login, days, bucket
		{"dormant_members", []int{1, 2, 4, 5}, "[[m-old 2026-09-15T12:00:00Z 76 60+ days] [m-never none in the archive 60 60+ days] " +
			"[m-failed none in the archive 51 30+ days]]"},
		// member id, account type, event id
		{"privileged_members", []int{1, 2, 7}, "[[m-q Security Admin q1] [m-p Workspace Admin p1]]"},
		// key id, change
		{"api_key_changes", []int{5, 1}, "[[k-1 revoked] [k-2 created]]"},
		{"api_keys_open", []int{3, 6}, "[[k-2 k3]]"},
		{"status_changes", []int{1, 4}, "[[reactivated m-d] [deactivated m-d]]"},
		{"account_type_changes", []int{6, 8, 9}, "[[m-r Builder Admin] [m-q Builder Security Admin] [m-q Viewer Editor] [m-r Admin Builder]]"},
		{"imports_exports", []int{1, 5}, "[[m-d 1]]"},
	} {
		var got [][]string
		for _, r := range table(t, monthly, tc.table).Rows {
			var picked []string
			for _, c := range tc.cols {
				picked = append(picked, r[c])
			}
			got = append(got, picked)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s columns %v = %v, want %s", tc.table, tc.cols, got, tc.want)
		}
	}
	// 4 account-type or role changes, no invitation, 2 status changes, 2
	// events after a deactivation.
	if s := section(t, monthly, "access_control"); s.Records != 8 {
		t.Errorf("access_control records = %d, want 8", s.Records)
	}
}
