package pigmentsim

import (
	"math/rand/v2"
	"sort"
	"time"
)

// Planted anomalies (Config.Anomalies).
//
// With Anomalies on, the simulator plants a fixed, documented set of
// anomalies in the backlog, each by its own dedicated member, and keeps a few
// control members strictly ordinary, so that an end-to-end test (or a demo)
// can check that a detector flags every planted anomaly and stays quiet for
// the controls. Everything is deterministic for a seed and a start time.
//
// The plant day D is the most recent weekday (UTC) whose business day ended
// (18:00 UTC) at or before the start. The backlog then starts at the earlier
// of start-History and D 00:00 UTC, so D is always inside it (History is
// extended backwards when it is shorter). All anomalies happen on D, at fixed
// times of day (see the Anomaly* constants); every planted event's ingestion
// time is its event time plus a lag drawn in [LagMin, LagMax] (clamped before
// the start), so planted events are ingested out of order like the others,
// and none is late-visible.
//
// Background activity changes in three ways, only when Anomalies is on:
//   - Business hours: the backlog's ingestion times are spread over weekday
//     business hours only (09:00-18:00 UTC, narrowed by the lag so that event
//     times stay inside), so no backlog event is outside business hours but
//     the planted off-hours login. The live stream keeps the real clock; there,
//     control and planted members never act outside business hours (their
//     events go to another member), other members do.
//   - Quiet members (controls and planted actors): outside their planted
//     events they only log in successfully from their usual country and IP,
//     log out, access, create or modify blocks and modify data, in two "home"
//     applications, during business hours; they are never the target of a
//     role change or of a member event. The deactivated member does nothing
//     after the deactivation.
//   - Deactivations and reactivations of the background all target one
//     reserved member who never acts, so "activity after deactivation" is
//     only raised by the planted one.
//
// Other background members still produce the usual noise (failed logins,
// logins from unusual places, role changes, API keys, ...).
const (
	// AnomalyOffHoursLogin: D 03:00:00 UserLoggedIn (success, usual IP and
	// country), then D 03:04:00 DataModified in one application.
	AnomalyOffHoursLogin = "off_hours_login"
	// AnomalyFailedLogins: 15 UserLoggedIn with outcome "failure"
	// (InvalidCredentials, Password) every 20 s from D 09:30:00 to 09:34:40,
	// then one success at 09:35:00, all from the usual IP and country.
	AnomalyFailedLogins = "failed_logins"
	// AnomalyBulkDeletion: 25 BlockDeleted every 10 s from D 10:00:00 to
	// 10:04:00 in one application (distinct blocks, gone from the metadata).
	AnomalyBulkDeletion = "bulk_deletion"
	// AnomalyPrivilegeEscalation: D 10:30:00 the member raises their own
	// account type from Standard Member to Workspace Admin: RoleChanged with
	// previousRole/newRole (described) or UserAccountTypeUpdated with
	// previousAccountType/newAccountType (public); actor = target.
	AnomalyPrivilegeEscalation = "privilege_escalation"
	// AnomalyExportBurst: 40 ExportExecuted every 15 s from D 11:00:00 to
	// 11:09:45 in one application.
	AnomalyExportBurst = "export_burst"
	// AnomalyActivityAfterDeactivation: D 13:00:00 MemberDeactivated
	// (described, target in metadata targetMemberId) or UserDeactivated
	// (public, payload id) by member 0, naming the planted member; then the
	// planted member logs in at 13:30:00 and accesses an application at
	// 13:31:00. ActorID is the deactivated member; EventIDs start with the
	// deactivation.
	AnomalyActivityAfterDeactivation = "activity_after_deactivation"
	// AnomalyUnusualLocation: the member logs in from the usual IP and
	// country at D 09:05, 10:05 and 11:05 (history, not in EventIDs), then
	// at D 14:00:00 from a country outside the workspace's ten usual ones and
	// a new IP (45.x.x.x), and accesses an application from there at 14:01:00.
	AnomalyUnusualLocation = "unusual_location"
	// AnomalyBroadAccess: ApplicationAccessed of min(Applications, 20)
	// distinct applications, one every 30 s from D 15:00:00.
	AnomalyBroadAccess = "broad_access"
	// AnomalyActivitySpike: from D 16:00:00 to 16:10:00, ApplicationAccessed
	// events evenly spaced in one application, 10 times the backlog's mean
	// volume per 10 minutes of business time (at least 100, at most 50,000).
	AnomalyActivitySpike = "activity_spike"
	// AnomalySecurityChange: D 16:30:00 APIKeyCreated.
	AnomalySecurityChange = "security_change"
)

// anomalyKinds lists the planted kinds in the order they take members.
var anomalyKinds = []string{
	AnomalyOffHoursLogin, AnomalyFailedLogins, AnomalyBulkDeletion, AnomalyPrivilegeEscalation,
	AnomalyExportBurst, AnomalyActivityAfterDeactivation, AnomalyUnusualLocation,
	AnomalyBroadAccess, AnomalyActivitySpike, AnomalySecurityChange,
}

// AnomalyRules maps each planted kind to the built-in detect rule meant to
// flag it: the ground truth the tests of detect and of the reports share.
var AnomalyRules = map[string]string{
	AnomalyOffHoursLogin:             "off-hours",
	AnomalyBulkDeletion:              "bulk-deletion",
	AnomalyPrivilegeEscalation:       "privilege-escalation",
	AnomalyExportBurst:               "export-burst",
	AnomalyActivityAfterDeactivation: "deactivated-activity",
	AnomalyFailedLogins:              "failed-logins",
	AnomalyUnusualLocation:           "unusual-location",
	AnomalySecurityChange:            "security-config",
	AnomalyBroadAccess:               "broad-access",
	AnomalyActivitySpike:             "activity-spike",
}

// Planted is the ground truth of one planted anomaly. From and To are the
// event times of its first and last event; EventIDs are in event-time order.
// ApplicationID is set when all its application-scoped events share one.
type Planted struct {
	Kind          string
	ActorID       string
	ActorEmail    string
	ApplicationID string
	From, To      time.Time
	EventIDs      []string
}

// Workspace needs for Anomalies.
const (
	minAnomalyMembers = 20
	controlActors     = 3
	businessStart     = 9  // hour UTC, inclusive
	businessEnd       = 18 // hour UTC, exclusive
)

// member classes under a plan.
const (
	classBackground uint8 = iota
	classControl
	classPlanted
	classDeparted
)

// plan is the anomaly layout of a Sim: who does what, and when background
// activity may happen. It is immutable once built.
type plan struct {
	day     time.Time // D 00:00 UTC
	from    int64     // backlog start (Unix ns)
	spans   []span    // business spans for backlog ingestion times, ascending
	total   int64     // their total length
	class   []uint8   // per member
	home    [][2]int  // per member: two home applications (quiet members)
	bg      []int     // background members
	actor   map[string]int
	control []int
	parked  int   // target of background deactivations; never acts
	deact   int   // the planted deactivated member
	deactAt int64 // when (Unix ns)
}

type span struct{ lo, hi, off int64 } // off: total length of the spans before

var benignKinds = func() []int {
	var ks []int
	for i, k := range kinds {
		switch k.described {
		case "UserLoggedIn", "UserLoggedOut", "ApplicationAccessed", "BlockModified", "BlockCreated", "DataModified":
			ks = append(ks, i)
		}
	}
	return ks
}()

// businessHours reports whether t is within 09:00-18:00 UTC on a weekday.
func businessHours(t time.Time) bool {
	t = t.UTC()
	wd := t.Weekday()
	return wd != time.Saturday && wd != time.Sunday && t.Hour() >= businessStart && t.Hour() < businessEnd
}

// plantDay returns D: 00:00 UTC of the latest weekday whose 18:00 UTC is at
// or before start.
func plantDay(start time.Time) time.Time {
	start = start.UTC()
	d := time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	for {
		wd := d.Weekday()
		if wd != time.Saturday && wd != time.Sunday && !d.Add(businessEnd*time.Hour).After(start) {
			return d
		}
		d = d.AddDate(0, 0, -1)
	}
}

// newPlan lays out the anomalies of a workspace. c has its defaults applied
// and c.Members >= minAnomalyMembers.
func newPlan(c *Config, w *workspace, start time.Time) *plan {
	p := &plan{day: plantDay(start)}
	p.from = min(start.Add(-c.History).UnixNano(), p.day.UnixNano())
	end := start.UnixNano()
	for d := time.Unix(0, p.from).UTC().Truncate(24 * time.Hour); d.UnixNano() < end; d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		lo, hi := d.Add(businessStart*time.Hour+c.LagMax), d.Add(businessEnd*time.Hour+c.LagMin)
		if hi.Sub(lo) < time.Hour { // very wide lags: the render-time guard keeps quiet members in hours
			lo, hi = d.Add(businessStart*time.Hour), d.Add(businessEnd*time.Hour)
		}
		l, h := max(lo.UnixNano(), p.from), min(hi.UnixNano(), end)
		if h > l {
			p.spans = append(p.spans, span{lo: l, hi: h, off: p.total})
			p.total += h - l
		}
	}

	n := len(w.members)
	rng := rand.New(rand.NewPCG(uint64(c.Seed), 0xa4a11e5))
	perm := rng.Perm(n - 1) // member 0 (the first admin) stays in the background
	p.class = make([]uint8, n)
	p.home = make([][2]int, n)
	p.actor = make(map[string]int, len(anomalyKinds))
	next := 0
	// Quiet members work in two ordinary applications: never in those
	// holding people or consolidated financial data (sensitiveApps), which
	// a detector may watch, so that control members stay silent.
	var ordinary []int
	for a, app := range w.apps {
		if !sensitiveApps[app.name] {
			ordinary = append(ordinary, a)
		}
	}
	take := func(class uint8) int {
		i := perm[next] + 1
		next++
		p.class[i] = class
		a := rng.IntN(len(ordinary))
		b := (a + 1 + rng.IntN(max(len(ordinary)-1, 1))) % len(ordinary)
		p.home[i] = [2]int{ordinary[a], ordinary[b]}
		return i
	}
	for _, k := range anomalyKinds {
		p.actor[k] = take(classPlanted)
	}
	for range controlActors {
		p.control = append(p.control, take(classControl))
	}
	p.parked = take(classDeparted)
	for i, c := range p.class {
		if c == classBackground {
			p.bg = append(p.bg, i)
		}
	}
	p.deact = p.actor[AnomalyActivityAfterDeactivation]
	p.deactAt = p.day.Add(13 * time.Hour).UnixNano()
	return p
}

// place maps f in [0, 1) onto the business spans.
func (p *plan) place(f float64) int64 {
	x := min(int64(f*float64(p.total)), p.total-1)
	i := sort.Search(len(p.spans), func(i int) bool { return p.spans[i].off+p.spans[i].hi-p.spans[i].lo > x })
	return p.spans[i].lo + x - p.spans[i].off
}

// adjust applies the plan to the draw of generated event seq, whose event
// time is at (Unix ns). It draws nothing from d.r.
func (p *plan) adjust(w *workspace, d *draw, seq uint32, at int64) {
	pick := func(salt uint64) int { return p.bg[mix64(uint64(seq)^salt)%uint64(len(p.bg))] }
	c := p.class[d.actor]
	if c == classDeparted || c != classBackground &&
		(!businessHours(time.Unix(0, at)) || d.actor == p.deact && at >= p.deactAt) {
		d.actor, c = pick(0xac7), classBackground
		if !d.unusual {
			d.country = countries[w.members[d.actor].country]
		}
	}
	if c != classBackground {
		if !isBenign(d.kind) {
			d.kind = benignKinds[d.kind%len(benignKinds)]
		}
		d.failed, d.unusual = false, false
		d.country = countries[w.members[d.actor].country]
		d.app = p.home[d.actor][d.app%2]
		d.blk %= len(w.apps[d.app].blocks)
	}
	switch kinds[d.kind].described {
	case "MemberDeactivated", "UserReactivated":
		d.target = p.parked
	default:
		if p.class[d.target] != classBackground {
			d.target = pick(0x7a6)
		}
	}
}

func isBenign(k int) bool {
	for _, b := range benignKinds {
		if b == k {
			return true
		}
	}
	return false
}
