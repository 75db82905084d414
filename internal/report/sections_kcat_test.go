package report

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// The event types as the test reads the topic: written out here, not taken
// from the package, so the count is an independent reading.
var (
	kLogin    = []string{"UserLoggedIn"}
	kChanges  = []string{"BlockCreated", "BlockModified", "BlockDeleted", "ApplicationCreated", "ApplicationDeleted"}
	kSecurity = []string{"RoleChanged", "UserAccountTypeUpdated", "AccessRightsChanged", "PermissionsChanged",
		"APIKeyCreated", "APIKeyRevoked", "SupportSessionStarted"}
	kAccount = []string{"RoleChanged", "UserAccountTypeUpdated"}
	kInvite  = []string{"MemberInvited", "UserInvited"}
	kStatus  = []string{"MemberDeactivated", "UserDeactivated", "UserReactivated"}
	kKeys    = []string{"APIKeyCreated", "APIKeyRevoked"}
)

// equal reports a difference between a count of the report and kcat's.
func equal(t *testing.T, what string, got, want int64) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, kcat counts %d", what, got, want)
	}
}

func cellInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("cell %q is not a count", s)
	}
	return n
}

func checkWeeklyCounts(t *testing.T, w *world, p Period, weekly []Section) {
	evs := kcatRead(t, w.brokers, w.events)
	alerts := kcatRead(t, w.brokers, w.alerts)
	from, to := p.Start, p.End
	equal(t, "scope records", section(t, weekly, "scope").Records, count(evs, from, to))
	equal(t, "logins records", section(t, weekly, "logins").Records, count(evs, from, to, kLogin...))
	equal(t, "changes records", section(t, weekly, "changes").Records, count(evs, from, to, kChanges...))
	equal(t, "security records", section(t, weekly, "security").Records, count(evs, from, to, kSecurity...))
	equal(t, "alerts records", section(t, weekly, "alerts").Records, count(alerts, from, to))
	for _, r := range table(t, weekly, "change_volume").Rows {
		start, _ := time.Parse(time.DateOnly, r[1])
		equal(t, "changes of "+r[0], cellInt(t, r[4]), count(evs, start, start.AddDate(0, 0, 7), kChanges...))
	}
	days := table(t, weekly, "daily_activity_by_day")
	if len(days.Rows) != 7 {
		t.Errorf("daily activity has %d days, want 7", len(days.Rows))
	}
	for _, r := range days.Rows {
		day, _ := time.Parse(time.DateOnly, r[0])
		equal(t, "events of "+r[0], cellInt(t, r[1]), count(evs, day, day.AddDate(0, 0, 1)))
		equal(t, "logins of "+r[0], cellInt(t, r[2]), count(evs, day, day.AddDate(0, 0, 1), kLogin...))
	}
	for h, r := range table(t, weekly, "logins_by_hour").Rows {
		var n int64
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			at := d.Add(time.Duration(h) * time.Hour)
			n += count(evs, at, at.Add(time.Hour), kLogin...)
		}
		equal(t, "logins at "+r[0], cellInt(t, r[1])+cellInt(t, r[2]), n)
	}
	if section(t, weekly, "security").Records == 0 || section(t, weekly, "changes").Records == 0 {
		t.Errorf("the week holds no security event or no change: the counts prove little")
	}
}

func checkMonthlyCounts(t *testing.T, w *world, p Period, monthly []Section) {
	evs := kcatRead(t, w.brokers, w.events)
	alerts := kcatRead(t, w.brokers, w.alerts)
	from, to := p.Start, p.End
	rows := func(id string) int64 { return int64(len(table(t, monthly, id).Rows)) }
	equal(t, "scope records", section(t, monthly, "scope").Records, count(evs, from, to))
	equal(t, "account_type_changes rows", rows("account_type_changes"), count(evs, from, to, kAccount...))
	equal(t, "invites rows", rows("invites"), count(evs, from, to, kInvite...))
	equal(t, "status_changes rows", rows("status_changes"), count(evs, from, to, kStatus...))
	equal(t, "api_key_changes rows", rows("api_key_changes"), count(evs, from, to, kKeys...))
	equal(t, "support_sessions rows", rows("support_sessions"), count(evs, from, to, "SupportSessionStarted"))
	equal(t, "alerts_list rows", rows("alerts_list"), count(alerts, from, to))
	io := table(t, monthly, "imports_exports")
	equal(t, "imports", sumColumn(io, 4), count(evs, from, to, "ImportExecuted"))
	equal(t, "exports", sumColumn(io, 5), count(evs, from, to, "ExportExecuted"))
	for _, id := range []string{"account_type_changes", "invites", "status_changes", "api_key_changes", "imports_exports"} {
		if rows(id) == 0 {
			t.Errorf("table %s is empty: the count proves little", id)
		}
	}
	// Incomplete days: no event on the topic that day, or a dead letter
	// (three were counted on 2026-11-24).
	var want []string
	for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
		if n := count(evs, d, d.AddDate(0, 0, 1)); n == 0 || fmtDay(d) == "2026-11-24" {
			want = append(want, fmtDay(d))
		}
	}
	var got []string
	for _, r := range table(t, monthly, "incomplete_days").Rows {
		got = append(got, r[0])
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("incomplete days %v, want %v", got, want)
	}
	equal(t, "dead letters", section(t, monthly, "exceptions").Records, 3)
}
