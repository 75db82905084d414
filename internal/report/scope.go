package report

import (
	"context"
	"fmt"
	"strconv"
)

// scopeSection counts what the archive holds for p: the events that
// happened in it (by event time), the alerts whose window starts in it, and
// the dead letters of its days.
func scopeSection(ctx context.Context, db DB, p Period) (Section, error) {
	var events, alerts, dead int64
	err := db.QueryRow(ctx, `
		SELECT (SELECT count(*) FROM archive_events WHERE event_time >= $1 AND event_time < $2),
		       (SELECT count(*) FROM archive_alerts WHERE window_start >= $1 AND window_start < $2),
		       (SELECT count(*) FROM archive_dead_letters WHERE day >= $1::date AND day < $2::date)`,
		p.Start, p.End).Scan(&events, &alerts, &dead)
	if err != nil {
		return Section{}, fmt.Errorf("scope of %s: %w", p.Name, err)
	}
	return Section{
		ID: "scope", Title: "Scope", Records: events,
		Figures: []Figure{
			{Name: "Events", Value: strconv.FormatInt(events, 10)},
			{Name: "Alerts", Value: strconv.FormatInt(alerts, 10)},
			{Name: "Dead letters", Value: strconv.FormatInt(dead, 10)},
		},
	}, nil
}
