package detect

import (
	"fmt"
	"math"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// offHours alerts on a successful (or outcome-less) event of the rule's
// types by an actor outside business hours in the rule's time zone: one
// alert per actor per suppression period (by default a local day).
func (e *Engine) offHours(r *rule, ev *event.Event, t int64) bool {
	v := actorKey(ev)
	if ev.Outcome == "failure" || v == "" {
		return true
	}
	if e.zones[r.idx].businessTime(r, t) {
		if _, end := e.period(r, t); end <= e.wm {
			return false
		}
		return true
	}
	return e.instant(r, scopeActor, v, ev, t, func() string {
		lt := time.Unix(0, t).In(r.loc)
		return fmt.Sprintf("%s by %s at %s (%s), outside business hours", ev.Type, who(ev), lt.Format("Mon 2006-01-02 15:04"), r.loc)
	})
}

// zoneCache remembers the span of a time zone in which its UTC offset is
// constant, so local time of day and weekday are integer arithmetic.
type zoneCache struct {
	start, end int64 // [start, end) Unix ns; end == start: empty
	offset     int64 // ns east of UTC
}

// businessTime reports whether t (Unix ns) is within rule r's business
// hours, like r.businessTime(time.Unix(0, t).In(r.loc)).
func (z *zoneCache) businessTime(r *rule, t int64) bool {
	if t < z.start || t >= z.end {
		lt := time.Unix(0, t).In(r.loc)
		_, off := lt.Zone()
		zs, ze := lt.ZoneBounds()
		z.start, z.end, z.offset = math.MinInt64, math.MaxInt64, int64(off)*int64(time.Second)
		if !zs.IsZero() {
			z.start = zs.UnixNano()
		}
		if !ze.IsZero() {
			z.end = ze.UnixNano()
		}
		if t < z.start || t >= z.end { // out of the int64 ns range: no caching
			z.start, z.end = 0, 0
			return r.businessTime(lt)
		}
	}
	const dayNs = 24 * hour
	local := t + z.offset
	days := local / dayNs
	if local%dayNs < 0 {
		days--
	}
	m := int((local - days*dayNs) / int64(time.Minute))
	wd := time.Weekday((days%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
	return r.bhDays[wd] && m >= r.bhStart && m < r.bhEnd
}

// businessTime reports whether lt, a local time, is within business hours.
func (r *rule) businessTime(lt time.Time) bool {
	m := lt.Hour()*60 + lt.Minute()
	return r.bhDays[lt.Weekday()] && m >= r.bhStart && m < r.bhEnd
}
