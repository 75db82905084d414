package mcpserver

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pigment-siem/pipeline/internal/report"
)

// Limits cap every answer, so that no question, however asked, makes an
// unbounded query or an answer a client cannot hold.
type Limits struct {
	// MaxRows is the most rows a tool returns (MCP_MAX_ROWS); a limit asked
	// above it is lowered to it.
	MaxRows int
	// MaxBytes is the most bytes of rows a tool returns (MCP_MAX_BYTES):
	// rows past it are left out.
	MaxBytes int
	// MaxDays is the longest period a tool reads (MCP_MAX_DAYS): a longer
	// one is refused with a message that says so.
	MaxDays int
}

// DefaultLimits are the limits without configuration.
func DefaultLimits() Limits { return Limits{MaxRows: 500, MaxBytes: 256 << 10, MaxDays: 400} }

// defaultRows is how many rows a tool returns when the caller asks no limit.
const defaultRows = 50

// Result is what the table tools answer: the columns and rows of a table,
// the same as the reports' CSVs, and how the answer was capped, so the
// asker (an LLM) can say how complete it is.
type Result struct {
	Title   string     `json:"title" jsonschema:"what the rows are"`
	Columns []string   `json:"columns" jsonschema:"the names of the columns of each row"`
	Rows    [][]string `json:"rows" jsonschema:"the rows, each a list of cells in the order of columns"`
	// Truncated is true when rows were left out by the cap.
	Truncated bool   `json:"truncated" jsonschema:"true when more rows matched than are returned: narrow the question or raise limit"`
	Cap       string `json:"cap" jsonschema:"the cap applied to this answer, in rows and bytes"`
	// Scope says what the answer was computed over (period, snapshot).
	Scope string `json:"scope,omitempty" jsonschema:"the period, date or snapshot the answer covers"`
}

// newResult caps t at limit rows (at most MaxRows) and MaxBytes of rows.
// A table read with LIMIT limit+1 is known to be truncated when it holds
// more than limit rows.
func (l Limits) newResult(t report.Table, limit int, scope string) Result {
	r := Result{Title: t.Title, Columns: t.Columns, Rows: t.Rows, Scope: scope}
	if r.Rows == nil {
		r.Rows = [][]string{}
	}
	if len(r.Rows) > limit {
		r.Rows, r.Truncated = r.Rows[:limit], true
	}
	size := 0
	for i, row := range r.Rows {
		b, _ := json.Marshal(row)
		size += len(b) + 1
		if size > l.MaxBytes {
			r.Rows, r.Truncated = r.Rows[:i], true
			break
		}
	}
	r.Cap = fmt.Sprintf("at most %d rows and %d bytes of rows", limit, l.MaxBytes)
	return r
}

// limit is the rows to return for asked: defaultRows when 0, at most
// MaxRows; an error for a negative one.
func (l Limits) limit(asked int) (int, error) {
	switch {
	case asked < 0:
		return 0, fmt.Errorf("limit %d: want a positive number (at most %d)", asked, l.MaxRows)
	case asked == 0:
		return min(defaultRows, l.MaxRows), nil
	}
	return min(asked, l.MaxRows), nil
}

// PeriodArgs is the period a tool reads, in its input.
type PeriodArgs struct {
	Period string `json:"period,omitempty" jsonschema:"a calendar month (2026-11) or ISO week (2026-W48); instead of from and to"`
	From   string `json:"from,omitempty" jsonschema:"start, inclusive: a date (2026-11-01, UTC midnight) or an RFC 3339 time; default: 30 days before to"`
	To     string `json:"to,omitempty" jsonschema:"end, exclusive: a date or an RFC 3339 time; default: now"`
}

// Window is the period and the number of rows a tool answers, in its
// input.
type Window struct {
	PeriodArgs
	Limit int `json:"limit,omitempty" jsonschema:"most rows to return (default 50); the server caps it and says so in cap"`
}

// window resolves w against now: the period, and the rows to return.
func (l Limits) window(w Window, now time.Time) (report.Period, int, error) {
	p, err := l.period(w.PeriodArgs, now)
	if err != nil {
		return p, 0, err
	}
	limit, err := l.limit(w.Limit)
	return p, limit, err
}

// parseTime reads a date (UTC midnight) or an RFC 3339 time.
func parseTime(name, s string) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: want a date (2026-11-01) or an RFC 3339 time (2026-11-01T12:00:00Z)", name, s)
	}
	return t.UTC(), nil
}

// period resolves a's period against now, refusing one longer than
// MaxDays or ending before it starts.
func (l Limits) period(a PeriodArgs, now time.Time) (report.Period, error) {
	var p report.Period
	var err error
	switch {
	case a.Period != "" && (a.From != "" || a.To != ""):
		return p, fmt.Errorf("give period, or from and to, not both")
	case a.Period != "":
		if p, err = report.ParseMonth(a.Period); err != nil {
			if p, err = report.ParseWeek(a.Period); err != nil {
				return p, fmt.Errorf("period %q: want a month (2026-11) or an ISO week (2026-W48)", a.Period)
			}
		}
	default:
		p.End = now.UTC()
		if a.To != "" {
			if p.End, err = parseTime("to", a.To); err != nil {
				return p, err
			}
		}
		p.Start = p.End.AddDate(0, 0, -30)
		if a.From != "" {
			if p.Start, err = parseTime("from", a.From); err != nil {
				return p, err
			}
		}
		p.Name = p.Start.Format(time.RFC3339) + " to " + p.End.Format(time.RFC3339)
	}
	if !p.End.After(p.Start) {
		return p, fmt.Errorf("period %s: the end must come after the start", p.Name)
	}
	if days := p.End.Sub(p.Start).Hours() / 24; days > float64(l.MaxDays) {
		return p, fmt.Errorf("period %s is %.0f days: at most %d days can be asked at once; ask for a shorter period", p.Name, days, l.MaxDays)
	}
	return p, nil
}

// asOf resolves an "as of" time: now when empty.
func asOf(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now.UTC(), nil
	}
	return parseTime("as_of", s)
}

// scopeOf names a period for Result.Scope.
func scopeOf(p report.Period) string {
	return fmt.Sprintf("%s: from %s to %s (end excluded)", p.Name, p.Start.Format(time.RFC3339), p.End.Format(time.RFC3339))
}
