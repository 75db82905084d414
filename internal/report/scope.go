package report

import (
	"context"
	"fmt"
	"strconv"
)

// scopeSection counts what the archive holds for p: the events that
// happened in it (by event time), the alerts whose window starts in it, and
// the dead letters of its days; and the topics they were read from.
func scopeSection(ctx context.Context, db DB, p Period) (Section, error) {
	events, alerts, dead, err := periodCounts(ctx, db, p)
	if err != nil {
		return Section{}, fmt.Errorf("scope of %s: %w", p.Name, err)
	}
	sources, err := queryTable(ctx, db, Table{ID: "sources",
		Title:   "Sources: the topics the archive read the period from (events by ingestion time, alerts by window start)",
		Columns: []string{"records", "topic", "count", "first", "last"}}, `
		SELECT 'events', coalesce(kafka_topic, ''), count(*), min(ingestion_time), max(ingestion_time)
		FROM archive_events WHERE event_time >= $1 AND event_time < $2 GROUP BY kafka_topic
		UNION ALL
		SELECT 'alerts', coalesce(kafka_topic, ''), count(*), min(window_start), max(window_start)
		FROM archive_alerts WHERE window_start >= $1 AND window_start < $2 GROUP BY kafka_topic
		ORDER BY 1 DESC, 2`, p.Start, p.End)
	if err != nil {
		return Section{}, fmt.Errorf("scope of %s: %w", p.Name, err)
	}
	return Section{
		ID: "scope", Title: "Scope",
		Summary: fmt.Sprintf("Events with an event time from %s to %s (excluded), alerts whose window starts then, "+
			"and dead letters of those days, as archived.", fmtTime(p.Start), fmtTime(p.End)),
		Records: events,
		Figures: []Figure{
			{Name: "Period", Value: p.Name},
			{Name: "Events", Value: strconv.FormatInt(events, 10)},
			{Name: "Alerts", Value: strconv.FormatInt(alerts, 10)},
			{Name: "Dead letters", Value: strconv.FormatInt(dead, 10)},
		},
		Tables: []Table{sources},
	}, nil
}

// periodCounts counts the events that happened in p, the alerts whose
// window starts in it and the dead letters of its days (UTC). The days are
// parameters of their own ($3, $4): $1::date would cast the timestamptz in
// the session's TimeZone, a day early west of UTC.
func periodCounts(ctx context.Context, db DB, p Period) (events, alerts, dead int64, err error) {
	err = db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM archive_events WHERE event_time >= $1 AND event_time < $2),
		       (SELECT count(*) FROM archive_alerts WHERE window_start >= $1 AND window_start < $2),
		       (SELECT count(*) FROM archive_dead_letters WHERE day >= $3::date AND day < $4::date)`,
		p.Start, p.End, p.Start.UTC(), p.End.UTC()).Scan(&events, &alerts, &dead)
	return events, alerts, dead, err
}

// withRecordCounts adds to the scope section (the first) a table of the
// records each section counted, so a reader can check them against the
// topic.
func withRecordCounts(sections []Section) []Section {
	t := Table{ID: "record_counts", Title: "Records counted per section",
		Columns: []string{"section", "title", "records"}, Rows: [][]string{}}
	for _, s := range sections {
		n := fmtCount(s.Records)
		if s.Pending != "" {
			n = "pending"
		}
		t.Rows = append(t.Rows, []string{s.ID, s.Title, n})
	}
	sections[0].Tables = append(sections[0].Tables, t)
	return sections
}
