package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Period is the half-open interval [Start, End) a report covers, in UTC,
// named as on the command line: "2026-W48" (an ISO 8601 week, Monday to
// Monday) or "2026-11" (a calendar month).
type Period struct {
	Name  string    `json:"name"`
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// ParseWeek reads an ISO week, "2026-W48".
func ParseWeek(s string) (Period, error) {
	year, week, ok := strings.Cut(s, "-W")
	y, err1 := strconv.Atoi(year)
	w, err2 := strconv.Atoi(week)
	if !ok || err1 != nil || err2 != nil || len(year) != 4 || len(week) != 2 || w < 1 || w > 53 {
		return Period{}, fmt.Errorf("week %q: want YYYY-Www, as 2026-W48", s)
	}
	p := isoWeek(y, w)
	if wy, ww := p.Start.ISOWeek(); wy != y || ww != w {
		return Period{}, fmt.Errorf("week %q: %d has no week %d", s, y, w)
	}
	return p, nil
}

// ParseMonth reads a calendar month, "2026-11".
func ParseMonth(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("month %q: want YYYY-MM, as 2026-11", s)
	}
	return month(t), nil
}

// LastCompleteWeek is the latest ISO week that ended at or before now.
func LastCompleteWeek(now time.Time) Period {
	y, w := now.UTC().AddDate(0, 0, -7).ISOWeek()
	return isoWeek(y, w)
}

// LastCompleteMonth is the latest calendar month that ended at or before now.
func LastCompleteMonth(now time.Time) Period {
	n := now.UTC()
	return month(time.Date(n.Year(), n.Month()-1, 1, 0, 0, 0, 0, time.UTC))
}

// isoWeek is week w of ISO year y: the week of January 4th is week 1.
func isoWeek(y, w int) Period {
	jan4 := time.Date(y, 1, 4, 0, 0, 0, 0, time.UTC)
	monday := jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+7*(w-1))
	return Period{Name: fmt.Sprintf("%04d-W%02d", y, w), Start: monday, End: monday.AddDate(0, 0, 7)}
}

func month(first time.Time) Period {
	start := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{Name: start.Format("2006-01"), Start: start, End: start.AddDate(0, 1, 0)}
}
