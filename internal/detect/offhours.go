package detect

import (
	"fmt"
	"time"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// offHours alerts on a successful (or outcome-less) event of the rule's
// types by an actor outside business hours in the rule's time zone: one
// alert per actor per suppression period (by default a local day).
func (e *Engine) offHours(r *rule, ev *transform.Event, t int64) bool {
	v := actorKey(ev)
	if ev.Outcome == "failure" || v == "" {
		return true
	}
	lt := time.Unix(0, t).In(r.loc)
	if r.businessTime(lt) {
		if _, end := e.period(r, t); end <= e.wm {
			return false
		}
		return true
	}
	return e.instant(r, scopeActor, v, ev, t, func() string {
		return fmt.Sprintf("%s by %s at %s (%s), outside business hours", ev.Type, who(ev), lt.Format("Mon 2006-01-02 15:04"), r.loc)
	})
}

// businessTime reports whether lt, a local time, is within business hours.
func (r *rule) businessTime(lt time.Time) bool {
	m := lt.Hour()*60 + lt.Minute()
	return r.bhDays[lt.Weekday()] && m >= r.bhStart && m < r.bhEnd
}
