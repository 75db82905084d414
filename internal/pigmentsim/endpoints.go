package pigmentsim

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// evPool holds page buffers of compact events.
var evPool = sync.Pool{New: func() any { b := make([]ev, 0, 1024); return &b }}

// serveEvents answers GET /api/audit/v1/events. The first page pins a
// snapshot (the clock at the request); its cursor carries that snapshot, the
// ingestedSince and the last served position. ingestedSince is required on
// every page and must equal the cursor's; it is checked against the lookback
// on every page, against the clock of that page.
func (s *Sim) serveEvents(w http.ResponseWriter, r *http.Request) {
	now := s.cfg.Clock()
	qs := r.URL.Query()
	since, err := parseISO(qs.Get("ingestedSince"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "invalid ingestedSince: "+err.Error())
		return
	}
	if since.Before(now.Add(-s.cfg.Lookback)) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(
			"ingestedSince must be within the last %d days", int(s.cfg.Lookback/(24*time.Hour))))
		return
	}
	q := query{since: since.UnixNano(), snapshot: now.UnixNano(), desc: s.cfg.Order == OrderDesc, limit: s.cfg.PageSize}
	if tok := qs.Get("cursor"); tok != "" {
		c, err := s.checkCursor(tok, q.since, now)
		if err != nil {
			writeError(w, http.StatusBadRequest, "invalid cursor")
			return
		}
		q.snapshot, q.afterIngest, q.afterID = c.Snapshot, c.Ingest, c.ID
	}

	pb := evPool.Get().(*[]ev)
	defer evPool.Put(pb)
	page, more, inj := s.st.page(q, now, (*pb)[:0])
	*pb = page
	var next string
	if more {
		last := page[len(page)-1]
		c := cursor{Snapshot: q.snapshot, Since: q.since, Ingest: last.ingest, Order: s.cfg.Order}
		if last.injected() {
			c.ID = inj[last.seq&^injectedFlag].ID
		} else {
			c.ID = genIDString(s.cfg.Seed, last.seq)
		}
		next = c.encode(s.cfg.Seed)
	}
	bb := bufPool.Get().(*[]byte)
	defer bufPool.Put(bb)
	*bb = s.rd.appendPage((*bb)[:0], page, inj, next)
	s.served.Add(int64(len(page)))
	s.writeBody(w, r, *bb)
}

// checkCursor decodes tok and checks it belongs to this run: same
// ingestedSince, same order, not from the future, not expired.
func (s *Sim) checkCursor(tok string, since int64, now time.Time) (cursor, error) {
	c, err := decodeCursor(tok, s.cfg.Seed)
	if err != nil {
		return c, err
	}
	switch {
	case c.Since != since:
		return c, fmt.Errorf("%w: ingestedSince differs from the cursor's", errInvalidCursor)
	case c.Order != s.cfg.Order:
		return c, fmt.Errorf("%w: order differs", errInvalidCursor)
	case c.Snapshot > now.UnixNano():
		return c, fmt.Errorf("%w: snapshot in the future", errInvalidCursor)
	case s.cfg.CursorTTL > 0 && now.Sub(time.Unix(0, c.Snapshot)) > s.cfg.CursorTTL:
		return c, fmt.Errorf("%w: expired", errInvalidCursor)
	}
	return c, nil
}

// isoLayouts are the ISO 8601 forms accepted for ingestedSince; the forms
// without a zone are read as UTC (Python's naive isoformat()).
var isoLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02",
}

func parseISO(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, errors.New("missing")
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 date-time", v)
}

func appendStrings(b []byte, list []string) []byte {
	for i, v := range list {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonenc.AppendString(b, v)
	}
	return b
}
