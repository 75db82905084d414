package report

import (
	"fmt"
	"time"
)

// sampleDocument is a report with every part RenderHTML draws: figures
// judged against targets, findings of each severity, line and bar charts
// (one with two series), a pending section, hostile and non-ASCII text.
// complete=false adds the reasons; signOff the monthly sign-off block.
func sampleDocument(complete, signOff bool) *Document {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	wm, cb, fin := at("2026-11-30T00:20:00Z"), at("2026-11-30T00:05:00Z"), at("2026-11-30T00:21:10Z")
	p, _ := ParseWeek("2026-W48")
	d := &Document{
		Kind: Weekly, Title: "Weekly reliability check", Workspace: "acme-prod", Period: p,
		GeneratedAt: at("2026-12-01T06:00:00Z"), Version: "v1.4.0-test",
		Parameters: []Field{{Name: "week", Value: "2026-W48"}, {Name: "as-of", Value: "2026-12-01T06:00:00Z"}, {Name: "format", Value: "html,json,csv"}},
		Complete:   complete, SignOff: signOff,
		Coverage: Coverage{
			Watermark: &wm, CompleteBefore: &cb, Events: 12345, Alerts: 7, DeadLetters: 2,
			Runs: []Run{{ID: "run-41", Name: "live", Started: at("2026-11-30T00:20:00Z"), Finished: &fin, Status: "succeeded", Events: 812}},
			Topics: []TopicProgress{{Topic: "pigment.audit.events", Partitions: []PartitionProgress{
				{Partition: 0, Archived: 6100, End: 6100}, {Partition: 1, Archived: 6245, End: 6245},
			}}},
		},
	}
	if !complete {
		d.Incomplete = []string{
			"extract's watermark 2026-11-29T23:00:00Z is before the period's end plus the overlap",
			"archive behind pigment.audit.events partition 1 by 120 records",
		}
	}
	daily := Table{ID: "daily-activity", Title: "Daily activity", Columns: []string{"Day", "Events", "Active members"}}
	for i := 0; i < 7; i++ {
		daily.Rows = append(daily.Rows, []string{p.Start.AddDate(0, 0, i).Format("2006-01-02"), fmt.Sprint(900 + 137*i%400), fmt.Sprint(40 + 3*i)})
	}
	hours := Table{ID: "logins-by-hour", Title: "Logins by hour (UTC)", Columns: []string{"Hour", "Logins", "Failed"}}
	for h := 0; h < 24; h++ {
		hours.Rows = append(hours.Rows, []string{fmt.Sprintf("%02d:00", h), fmt.Sprint((h*37)%90 + 5), fmt.Sprint(h % 4)})
	}
	apps := Table{ID: "changes-by-application", Title: "Most changed applications", Columns: []string{"Application", "Changes"},
		Rows: [][]string{
			{"Financial Planning FY2027 (Consolidated)", "418"}, {"Headcount", "260"}, {"Sales <script>alert(1)</script>", "97"},
			{"Ventes & Opérations — Zürich", "41"}, {"bell\x07and\x01nul", "3"}, {"bad\xffutf8", "1"},
		}}
	alerts := Table{ID: "alerts-by-rule", Title: "Alerts by rule", Columns: []string{"Rule", "Critical", "Warning"},
		Rows: [][]string{{"privilege_escalation", "2", "0"}, {"export_burst", "0", "3"}, {"api_key_created", "1", "1"}}}
	d.Sections = []Section{
		{ID: "scope", Title: "Scope", Records: 12345, Figures: []Figure{
			{Name: "Events", Value: "12345"}, {Name: "Alerts", Value: "7"}, {Name: "Dead letters", Value: "2", Target: "0", Status: Warning},
		}},
		{ID: "activity", Title: "Activity", Summary: "Activity was within the baseline; logins peak mid-morning.", Records: 7421,
			Figures: []Figure{
				{Name: "Active members", Value: "58", Target: "trend", Status: Info},
				{Name: "Failed-login share", Value: "7.4 %", Target: "< 5 %", Status: Critical},
			},
			Findings: []Finding{
				{Severity: Info, Title: "Quiet weekend", Detail: "Saturday and Sunday had 3 % of the week's events."},
				{Severity: Critical, Title: "Failed-login share above target", Detail: "7.4 % of 1,203 logins failed; target < 5 %."},
				{Severity: Warning, Title: "Change volume above baseline + 20 %", Detail: "<b>812</b> changes against 610."},
			},
			Tables: []Table{daily, hours, apps},
			Charts: []Chart{
				{ID: "daily-activity", Title: "Daily activity", Kind: Line, Table: "daily-activity", Label: 0, Values: []int{1}},
				{ID: "logins-by-hour", Title: "Logins by hour", Kind: Line, Table: "logins-by-hour", Label: 0, Values: []int{1, 2}},
				{ID: "changes-by-application", Title: "Changes by application", Kind: Bars, Table: "changes-by-application", Label: 0, Values: []int{1}},
			},
		},
		{ID: "alerts", Title: "Alerts", Records: 7, Tables: []Table{alerts},
			Charts: []Chart{{ID: "alerts-by-rule", Title: "Alerts by rule and severity", Kind: Bars, Table: "alerts-by-rule", Label: 0, Values: []int{1, 2}}}},
		{ID: "inventory", Title: "Workspace inventory", Pending: "The workspace inventory is not collected yet; this section is kept for it."},
	}
	return d
}

// longDocument is sampleDocument with a table long enough to span pages.
func longDocument() *Document {
	d := sampleDocument(false, true)
	t := Table{ID: "changes", Title: "Every change", Columns: []string{"Time", "Actor", "Application", "Change"}}
	for i := 0; i < 300; i++ {
		t.Rows = append(t.Rows, []string{fmt.Sprintf("2026-11-%02dT10:%02d:00Z", 23+i%7, i%60), fmt.Sprintf("member%03d@acme.test", i%41), "Headcount", "BlockUpdated"})
	}
	d.Sections = append(d.Sections, Section{ID: "changes", Title: "Changes", Records: 300, Tables: []Table{t}})
	return d
}
