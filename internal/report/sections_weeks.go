package report

import (
	"context"
	"fmt"

	"github.com/pigment-siem/pipeline/internal/kpi"
)

// baselineWeeks is how many weeks before the reported one the active
// members' trend shows and the change volume's baseline averages: the
// change-volume KPI's (internal/kpi), so the report and the KPI agree.
const baselineWeeks = kpi.BaselineWeeks

// weekFigures are the counts of one week the trend and the baseline need.
type weekFigures struct {
	Period        Period
	Events        int64 // every archived event: 0 means the archive does not hold the week
	ActiveMembers int64 // members with a successful login
	Logins        int64 // successful logins
	BlockChanges  int64
	AppChanges    int64
}

// Changes is the week's change volume: block and application changes.
func (w weekFigures) Changes() int64 { return w.BlockChanges + w.AppChanges }

// weeksUpTo returns the figures of the baselineWeeks weeks before p and of
// p itself, oldest first.
func weeksUpTo(ctx context.Context, db DB, p Period) ([]weekFigures, error) {
	weeks := make([]weekFigures, 0, baselineWeeks+1)
	for i := baselineWeeks; i >= 0; i-- {
		start := p.Start.AddDate(0, 0, -7*i)
		y, n := start.ISOWeek()
		w := weekFigures{Period: Period{Name: fmt.Sprintf("%04d-W%02d", y, n), Start: start, End: start.AddDate(0, 0, 7)}}
		err := db.QueryRow(ctx, `
			SELECT count(*),
			       count(DISTINCT coalesce(actor_id, actor_email)) FILTER (WHERE event_type = ANY($3) AND outcome IS DISTINCT FROM 'failure'),
			       count(*) FILTER (WHERE event_type = ANY($3) AND outcome IS DISTINCT FROM 'failure'),
			       count(*) FILTER (WHERE event_type = ANY($4)),
			       count(*) FILTER (WHERE event_type = ANY($5))
			FROM archive_events WHERE event_time >= $1 AND event_time < $2`,
			w.Period.Start, w.Period.End, typesLogin, typesBlockChange, typesAppChange).
			Scan(&w.Events, &w.ActiveMembers, &w.Logins, &w.BlockChanges, &w.AppChanges)
		if err != nil {
			return nil, fmt.Errorf("figures of week %s: %w", w.Period.Name, err)
		}
		weeks = append(weeks, w)
	}
	return weeks, nil
}

// volumeVerdict is the change volume judged against its baseline.
type volumeVerdict = kpi.Verdict

// judgeVolume judges a week's change volume as the change-volume KPI does
// (kpi.JudgeVolume): against the mean of the previous weeks the archive
// holds, plus 20 %.
func judgeVolume(current int64, previous []weekFigures) volumeVerdict {
	weeks := make([]kpi.Week, len(previous))
	for i, w := range previous {
		weeks[i] = kpi.Week{Events: w.Events, Changes: w.Changes()}
	}
	return kpi.JudgeVolume(current, weeks)
}

// activeMembersSection is the count of members who logged in during the
// week, and its trend over the previous weeks.
func activeMembersSection(weeks []weekFigures) Section {
	cur := weeks[len(weeks)-1]
	t := Table{ID: "active_members_trend", Title: "Active members by week",
		Columns: []string{"week", "start", "active members", "logins"}, Rows: [][]string{}}
	for _, w := range weeks {
		t.Rows = append(t.Rows, []string{w.Period.Name, fmtDay(w.Period.Start), fmtCount(w.ActiveMembers), fmtCount(w.Logins)})
	}
	return Section{
		ID: "active_members", Title: "Active members",
		Summary: fmt.Sprintf("%s logged in successfully during %s (members with at least one successful UserLoggedIn).",
			plural(cur.ActiveMembers, "member", "members"), cur.Period.Name),
		Records: cur.Logins,
		Figures: []Figure{{Name: "Active members", Value: fmtCount(cur.ActiveMembers), Target: "monitor the trend"}},
		Tables:  []Table{t},
		Charts: []Chart{{ID: "active_members_chart", Title: "Active members by week", Kind: Line,
			Table: t.ID, Label: 0, Values: []int{2}}},
	}
}

// changeVolumeFigures returns the change volume's figures, findings and
// table over weeks (the reported week last).
func changeVolumeFigures(weeks []weekFigures) ([]Figure, []Finding, Table) {
	cur := weeks[len(weeks)-1]
	v := judgeVolume(cur.Changes(), weeks[:len(weeks)-1])
	t := Table{ID: "change_volume", Title: "Block and application changes by week",
		Columns: []string{"week", "start", "block changes", "application changes", "changes"}, Rows: [][]string{}}
	for _, w := range weeks {
		t.Rows = append(t.Rows, []string{w.Period.Name, fmtDay(w.Period.Start),
			fmtCount(w.BlockChanges), fmtCount(w.AppChanges), fmtCount(w.Changes())})
	}
	fig := Figure{Name: "Changes", Value: fmtCount(cur.Changes()), Status: Info}
	var findings []Finding
	switch {
	case v.Weeks == 0:
		fig.Target = "baseline + 20 % (no baseline: the archive holds none of the previous weeks)"
		findings = append(findings, Finding{Severity: Info, Title: "No baseline for the change volume",
			Detail: fmt.Sprintf("The archive holds no event in the %d weeks before %s.", baselineWeeks, cur.Period.Name)})
	case v.Over:
		fig.Target, fig.Status = "≤ "+fmtNumber(v.Limit), Warning
		findings = append(findings, Finding{Severity: Warning, Title: "Change volume above its baseline",
			Detail: fmt.Sprintf("%s changes in %s, above %s: the mean of the previous %s (%s) plus 20 %%.",
				fmtCount(cur.Changes()), cur.Period.Name, fmtNumber(v.Limit), plural(int64(v.Weeks), "week", "weeks"), fmtNumber(v.Baseline))})
	default:
		fig.Target = "≤ " + fmtNumber(v.Limit)
	}
	figs := []Figure{fig, {Name: "Baseline (mean of previous weeks)", Value: fmtNumber(v.Baseline)}}
	return figs, findings, t
}
