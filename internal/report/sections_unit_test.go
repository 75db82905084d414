package report

import (
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

func TestJudgeVolume(t *testing.T) {
	week := func(events, changes int64) weekFigures { return weekFigures{Events: events, BlockChanges: changes} }
	for _, tc := range []struct {
		name     string
		current  int64
		previous []weekFigures
		want     volumeVerdict
	}{
		{"at the limit is not over", 120, []weekFigures{week(1, 100), week(1, 100), week(1, 100), week(1, 100)},
			volumeVerdict{Weeks: 4, Baseline: 100, Limit: 120}},
		{"past the limit", 121, []weekFigures{week(1, 100), week(1, 100), week(1, 100), week(1, 100)},
			volumeVerdict{Weeks: 4, Baseline: 100, Limit: 120, Over: true}},
		{"mean of unequal weeks", 100, []weekFigures{week(1, 50), week(1, 150), week(1, 0), week(1, 100)},
			volumeVerdict{Weeks: 4, Baseline: 75, Limit: 90, Over: true}},
		{"weeks before the archive are left out", 100, []weekFigures{week(0, 0), week(0, 0), week(9, 90), week(9, 100)},
			volumeVerdict{Weeks: 2, Baseline: 95, Limit: 114}},
		{"a quiet week with events counts as zero changes", 10, []weekFigures{week(5, 0), week(5, 0)},
			volumeVerdict{Weeks: 2, Baseline: 0, Limit: 0, Over: true}},
		{"no baseline", 500, []weekFigures{week(0, 0), week(0, 0), week(0, 0), week(0, 0)}, volumeVerdict{}},
	} {
		got := judgeVolume(tc.current, tc.previous)
		if fmt.Sprintf("%.6f %v", got.Limit, got.Over) != fmt.Sprintf("%.6f %v", tc.want.Limit, tc.want.Over) ||
			got.Weeks != tc.want.Weeks || got.Baseline != tc.want.Baseline {
			t.Errorf("%s: judgeVolume(%d) = %+v, want %+v", tc.name, tc.current, got, tc.want)
		}
	}
}

func TestDormantDays(t *testing.T) {
	end := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		ref          time.Time
		days, bucket int
	}{
		{end.Add(-time.Hour), 0, 0},
		{end.AddDate(0, 0, -29).Add(-23 * time.Hour), 29, 0},
		{end.AddDate(0, 0, -30), 30, 30},
		{end.AddDate(0, 0, -59), 59, 30},
		{end.AddDate(0, 0, -60), 60, 60},
		{end.AddDate(0, 0, -89).Add(-time.Second), 89, 60},
		{end.AddDate(0, 0, -90), 90, 90},
		{end.AddDate(-2, 0, 0), 730, 90},
	} {
		if days, bucket := dormantDays(tc.ref, end); days != tc.days || bucket != tc.bucket {
			t.Errorf("dormantDays(%s) = %d, %d; want %d, %d", tc.ref, days, bucket, tc.days, tc.bucket)
		}
	}
}

func TestFormats(t *testing.T) {
	at := time.Date(2026, 11, 27, 13, 30, 0, 123456789, time.FixedZone("CET", 3600))
	for _, tc := range []struct{ got, want string }{
		{fmtTime(at), "2026-11-27T12:30:00Z"},
		{fmtTime(time.Time{}), ""},
		{fmtDay(at.Add(12 * time.Hour)), "2026-11-28"},
		{fmtPercent(71, 816), "8.7 %"},
		{fmtPercent(1, 20), "5.0 %"},
		{fmtPercent(0, 0), "n/a"},
		{fmtNumber(931.2000001), "931.2"},
		{fmtNumber(776), "776"},
		{plural(1, "event", "events"), "1 event"},
		{plural(0, "event", "events"), "0 events"},
		{cell(nil, 0), ""},
		{cell(int64(42), pgtype.Int8OID), "42"},
		{cell(int32(-3), pgtype.Int4OID), "-3"},
		{cell(at, pgtype.TimestamptzOID), "2026-11-27T12:30:00Z"},
		{cell(time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC), pgtype.DateOID), "2026-11-24"},
		{cell([]any{"e-1", "e-2"}, pgtype.TextArrayOID), "e-1 e-2"},
		{cell("Zürich", pgtype.TextOID), "Zürich"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestAccountTypes(t *testing.T) {
	for _, tc := range []struct {
		in, name string
		priv     bool
	}{
		{in: "Primary Owner", name: PrimaryOwner, priv: true},
		{in: "security_admin", name: SecurityAdmin, priv: true},
		{in: "Admin", name: WorkspaceAdmin, priv: true},
		{in: "WORKSPACE ADMIN", name: WorkspaceAdmin, priv: true},
		{in: "Builder", name: Builder, priv: false},
		{in: "Standard User", name: StandardMember, priv: false},
		{in: "Member", name: StandardMember, priv: false},
		{in: "Editor", name: "", priv: false}, // a licence or an application role
		{in: "", name: "", priv: false},
	} {
		name, _, _ := accountType(tc.in)
		if name != tc.name || privileged(tc.in) != tc.priv {
			t.Errorf("accountType(%q) = %q, privileged %v; want %q, %v", tc.in, name, privileged(tc.in), tc.name, tc.priv)
		}
	}
}

func TestGrantFinding(t *testing.T) {
	row := func(by, member, before, after string) []string {
		return []string{"2026-11-27T10:30:00Z", "RoleChanged", "account type or role", by + "@x", by, member + "@x", member,
			"", before, after, "e-1"}
	}
	for _, tc := range []struct {
		name string
		row  []string
		want Severity // "" for no finding
	}{
		{"raised to admin by another", row("m1", "m2", "Standard Member", "Workspace Admin"), Warning},
		{"raised themselves", row("m2", "m2", "Standard Member", "Workspace Admin"), Critical},
		{"from nothing known", row("m1", "m2", "", "Security Admin"), Warning},
		{"an unknown role before", row("m1", "m2", "Editor", "Admin"), Warning},
		{"lowered", row("m1", "m2", "Primary Owner", "Workspace Admin"), ""},
		{"same level", row("m1", "m2", "Workspace Admin", "Admin"), ""},
		{"up but not privileged", row("m1", "m2", "Standard Member", "Builder"), ""},
		{"an application role", row("m1", "m2", "Viewer", "Editor"), ""},
	} {
		f, ok := grantFinding(tc.row)
		if got := map[bool]Severity{true: f.Severity}[ok]; got != tc.want {
			t.Errorf("%s: grantFinding = %q (%+v), want %q", tc.name, got, f, tc.want)
		}
	}
}

func TestJudgeFailedShare(t *testing.T) {
	for _, tc := range []struct {
		failed, attempts int64
		want             Severity
	}{
		{0, 0, Info}, {4, 100, Info}, {5, 100, Warning}, {1, 19, Warning}, {1, 21, Info}, {10, 10, Warning},
	} {
		if got := judgeFailedShare(tc.failed, tc.attempts); got != tc.want {
			t.Errorf("judgeFailedShare(%d, %d) = %s, want %s", tc.failed, tc.attempts, got, tc.want)
		}
	}
}

func TestIncompleteDays(t *testing.T) {
	days := Table{Rows: [][]string{{"2026-11-01", "0", "0", "0"}, {"2026-11-02", "10", "2", "3"},
		{"2026-11-03", "12", "2", "3"}, {"2026-11-04", "0", "0", "0"}}}
	letters := Table{Rows: [][]string{{"2026-11-03", "extract", "missing eventId", "2"},
		{"2026-11-03", "forward:postgres", "invalid record", "1"}, {"2026-11-04", "extract", "oversized", "4"}}}
	got := fmt.Sprint(incompleteDays(days, letters).Rows)
	want := "[[2026-11-01 0 0 no archived event] [2026-11-03 12 3 dead letters] [2026-11-04 0 4 no archived event; dead letters]]"
	if got != want {
		t.Errorf("incompleteDays = %s, want %s", got, want)
	}
}

func TestReadRaw(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{`{"metadata":{"targetMemberId":"m","accountType":"Builder"}}`, "Builder"},
		{`{"payload":{"id":"m","accountType":"Security Admin"}}`, "Security Admin"},
		{`{"payload":{"id":"m"}}`, ""},
		{`{not json`, ""},
	} {
		if got := inviteAccountType([]byte(tc.raw)); got != tc.want {
			t.Errorf("inviteAccountType(%s) = %q, want %q", tc.raw, got, tc.want)
		}
	}
	k := readAPIKey([]byte(`{"payload":{"apiKeyId":"k-1","apiKeyName":"ci","apiKeyType":"Import"}}`))
	if k != (apiKey{ID: "k-1", Name: "ci", Type: "Import"}) {
		t.Errorf("readAPIKey = %+v", k)
	}
}
