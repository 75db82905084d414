package report

import (
	"context"
	"fmt"
	"testing"
)

// A member is one member whether an event names them by id, by email or by
// both: a reactivation naming only the email ends a deactivation naming
// the id (no activity after it is reported), and the activity of an actor
// named by email alone after a deactivation naming the member's id (and
// email) is reported; an email known to belong to one member id stands for
// it.
func TestActivityAfterDeactivationByIDOrEmail(t *testing.T) {
	t.Parallel()
	email := func(id string) string { return fmt.Sprintf(`"targetEmail":"%s@acme.example"`, id) }
	db := mustCaseArchive(t, []caseEvent{
		{"x1", "MemberDeactivated", "11-02", "admin", target("m-x")},
		{"x2", "MemberReactivated", "11-04", "admin", email("m-x")},
		{"x3", "BlockModified", "11-06", "m-x", ""},

		{"y1", "UserDeactivated", "11-10", "admin", target("m-y")},
		{"y2", "ExportExecuted", "11-12", "email:m-y", ""},

		// Another member with the same email: not m-y.
		{"w1", "ExportExecuted", "11-13", "m-w=m-y", ""},

		// Deactivated by email alone, known by id and email from an
		// earlier status change; reactivated by id alone.
		{"z0", "UserReactivated", "10-01", "admin", target("m-z")},
		{"z1", "UserDeactivated", "11-14", "admin", email("m-z")},
		{"z2", "ExportExecuted", "11-15", "m-z", ""},
		{"z3", "UserReactivated", "11-16", "admin", `"targetMemberId":"m-z"`},
		{"z4", "ExportExecuted", "11-17", "m-z", ""},
	})
	monthly := november(t, db)
	var got [][]string
	for _, r := range table(t, monthly, "activity_after_deactivation").Rows {
		got = append(got, []string{r[0], r[3], r[4], r[8]})
	}
	// member, deactivation, events, event ids
	if want := "[[m-y@acme.example y1 1 y2] [m-z@acme.example z1 1 z2]]"; fmt.Sprint(got) != want {
		t.Errorf("activity after deactivation = %v, want %s", got, want)
	}
}

// Dormancy sees one member across events naming them by id and email and
// events naming the email alone: a member who logs in by id is not dormant
// for their email-only events, and a member deactivated by an event naming
// only their email is left out as deactivated.
func TestDormantByIDOrEmail(t *testing.T) {
	t.Parallel()
	ok := `"outcome":"success"`
	db := mustCaseArchive(t, []caseEvent{
		{"s1", "ApplicationAccessed", "10-01", "email:m-s", ""},
		{"s2", "UserLoggedIn", "11-25", "m-s", ok},

		{"u1", "UserLoggedIn", "08-01", "m-u", ok},
		{"u2", "UserDeactivated", "09-01", "admin", `"targetEmail":"m-u@acme.example"`},
	})
	monthly := november(t, db)
	var got []string
	for _, r := range table(t, monthly, "dormant_members").Rows {
		got = append(got, r[1])
	}
	if fmt.Sprint(got) != "[admin]" {
		t.Errorf("dormant members = %v, want [admin] (who never logged in)", got)
	}
}

// An invitation names the email (the member has no id yet); a later
// account-type change names id and email: one member, whose latest
// account type counts, not a privileged invitation left over.
func TestPrivilegedByIDOrEmail(t *testing.T) {
	t.Parallel()
	email := func(id string) string { return fmt.Sprintf(`"targetEmail":"%s@acme.example"`, id) }
	db := mustCaseArchive(t, []caseEvent{
		{"v1", "UserInvited", "10-01", "admin", email("m-v") + `,"accountType":"Workspace Admin"`},
		{"v2", "UserAccountTypeUpdated", "11-10", "admin", target("m-v") + `,"previousAccountType":"Admin","newAccountType":"Builder"`},
		{"w1", "UserInvited", "10-02", "admin", email("m-w") + `,"accountType":"Security Admin"`},
	})
	monthly := november(t, db)
	var got []string
	for _, r := range table(t, monthly, "privileged_members").Rows {
		got = append(got, r[0]+" "+r[2])
	}
	if want := "[m-w@acme.example Security Admin]"; fmt.Sprint(got) != want {
		t.Errorf("privileged members = %v, want %s", got, want)
	}
}

// november is the monthly audit of 2026-11 from db.
func november(t *testing.T, db DB) []Section {
	t.Helper()
	month, _ := ParseMonth("2026-11")
	monthly, err := MonthlySections(context.Background(), db, month)
	if err != nil {
		t.Fatal(err)
	}
	return monthly
}
