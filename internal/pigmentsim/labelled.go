package pigmentsim

// The labelled scenario (Config.Scenario = ScenarioLabelled): three weekdays
// of a workspace at work, with planted anomalies of every default detection
// rule, near misses just under each threshold, and quiet control members,
// and the ground truth (Sim.Labels, Sim.ControlActors) to check a detector
// against.

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"
	_ "time/tzdata" // Europe/Paris wherever the simulator runs
)

// ScenarioLabelled is the labelled scenario of Config.Scenario.
//
// The workspace works office hours in Europe/Paris (arrivals 08:30-09:30,
// departures 17:00-18:30) on the three weekdays D1, D2, D3 that ended (local
// 23:59) before the start; D3 is the attack day. Every member works in three
// home applications (none whose name the default sensitive-access rule
// lists), logs in once a day from an address of their own /24 (a different
// one each day) in their own country, then accesses applications, modifies
// and creates blocks and modifies data; about one in twenty fails a login
// once before succeeding. Each event comes in either envelope (described or
// public, about half each), so every member's events are split between
// them. Member 0 (the Primary Owner) is the admin who changes account types
// and deactivates members. Nothing is generated after the start, and no
// live activity unless Config.Rate is set.
//
// Planted anomalies and near misses (Label) assume a rules file edited from
// the defaults as a team would: business hours 07:30-19:30, bulk-deletion
// threshold 20, broad-access 15, high-churn 300, export-burst 25, the other
// thresholds and windows as shipped. The near misses sit at or just under
// those thresholds for any 60 minutes, not only for clock hours; the
// broad-access anomaly (25 applications opened 10:40-11:28) is 10 and 15
// in the two clock hours it straddles.
const ScenarioLabelled = "labelled"

// Label is one case of the labelled scenario's ground truth.
type Label struct {
	Rule        string // the detection rule that decides it
	Key         string // what the rule counts by: "actor:<id>", "member:<id>", "application:<id>", "actor:<id>|<type or app>"
	Member      string // the member concerned (the actor, or the member changed)
	Email       string // that member's email
	Application string // set for application keys
	Expect      bool   // true: a planted anomaly, must alert; false: a near miss, must not
	What        string
}

// What the labelled scenario needs, and how many control members it keeps
// (at most; a fifth of the members left when fewer).
const (
	labelledMinMembers = 100
	labelledMinApps    = 30
	labelledControls   = 60
)

// labelled is the ground truth of a labelled Sim.
type labelled struct {
	labels   []Label
	controls []string
}

// Labels returns the ground truth of the labelled scenario, planted
// anomalies first; nil for other scenarios.
func (s *Sim) Labels() []Label {
	if s.lab == nil {
		return nil
	}
	return slices.Clone(s.lab.labels)
}

// lgen generates the labelled scenario into a Sim's store.
type lgen struct {
	s     *Sim
	loc   *time.Location
	days  [3]time.Time // local midnight of D1, D2, D3
	n     uint32       // events so far
	start int64
	quiet map[int][][2]time.Time // per member: spans without ordinary activity
	none  map[int]bool           // members without ordinary activity
	home  [][3]int               // per member: home applications
	apps  []int                  // applications ordinary work and broad access use
	lab   *labelled
}

// Streams of the labelled scenario: event n's ID, envelope and lag; and the
// ordinary day of member m on day d.
const (
	streamLabelled    = 1<<59 | 1<<58
	streamLabelledDay = 1<<59 | 1<<57
)

// labelledDays returns local midnight of the three weekdays that ended
// before start, oldest first.
func labelledDays(start time.Time, loc *time.Location) [3]time.Time {
	l := start.In(loc)
	d := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc)
	var out [3]time.Time
	for i := 2; i >= 0; {
		d = d.AddDate(0, 0, -1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			out[i] = d
			i--
		}
	}
	return out
}

// plantLabelled generates the labelled scenario into s's store.
func (s *Sim) plantLabelled() *labelled {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic(err) // embedded by time/tzdata
	}
	w := s.ws
	g := &lgen{s: s, loc: loc, days: labelledDays(s.start, loc), start: s.start.UnixNano(),
		quiet: map[int][][2]time.Time{}, none: map[int]bool{}, lab: &labelled{}}
	rng := rand.New(rand.NewPCG(uint64(s.cfg.Seed), 0x1abe11ed))
	// Applications: the two last ordinary ones are reserved for the churn
	// cases; the others are everybody's home applications.
	var ordinary []int
	for a, app := range w.apps {
		if !sensitiveApps[app.name] {
			ordinary = append(ordinary, a)
		}
	}
	churn, nearChurn := ordinary[len(ordinary)-1], ordinary[len(ordinary)-2]
	g.apps = ordinary[:len(ordinary)-2]
	g.home = make([][3]int, len(w.members))
	for m := range g.home {
		p := rng.Perm(len(g.apps))
		g.home[m] = [3]int{g.apps[p[0]], g.apps[p[1]], g.apps[p[2]]}
	}
	perm := rng.Perm(len(w.members) - 1)
	next := 0
	take := func() int { next++; return perm[next-1] + 1 }
	g.plantCases(take, churn, nearChurn)
	nc := min(labelledControls, (len(w.members)-next)/5)
	for range nc {
		g.lab.controls = append(g.lab.controls, w.members[take()].id)
	}
	for m := range w.members {
		if g.none[m] {
			continue
		}
		for d := range g.days {
			g.ordinaryDay(m, d)
		}
	}
	return g.lab
}

// at is local time hh:mm on day d (0..2), or on the given day.
func (g *lgen) at(d, hh, mm int) time.Time {
	y, mo, da := g.days[d].Date()
	return time.Date(y, mo, da, hh, mm, 0, 0, g.loc)
}

func (g *lgen) label(rule, key string, m int, app int, expect bool, what string) {
	l := Label{Rule: rule, Key: key, Member: g.s.ws.members[m].id, Email: g.s.ws.members[m].email, Expect: expect, What: what}
	if app >= 0 {
		l.Application = g.s.ws.apps[app].id
	}
	g.lab.labels = append(g.lab.labels, l)
}

func (g *lgen) actorKey(m int) string  { return "actor:" + g.s.ws.members[m].id }
func (g *lgen) memberKey(m int) string { return "member:" + g.s.ws.members[m].id }

// quietFor keeps member m's ordinary activity out of [from, to).
func (g *lgen) quietFor(m int, from, to time.Time) {
	g.quiet[m] = append(g.quiet[m], [2]time.Time{from, to})
}

// add adds one event by member m (app -1: none) in a random envelope; typ is
// in the described vocabulary.
func (g *lgen) add(m, app int, typ string, at time.Time, payload map[string]any) {
	g.addAs("", m, app, typ, at, payload)
}

// changeRole adds admin's change of member m from prev to next at at, in
// the vocabulary of shape: an account type of the member in the payload
// (public, UserAccountTypeUpdated) or a role of the target member in the
// metadata (described, RoleChanged).
func (g *lgen) changeRole(shape string, admin, m int, at time.Time, prev, next string) {
	t := &g.s.ws.members[m]
	body := map[string]any{"targetMemberId": t.id, "targetEmail": t.email, "targetName": t.name, "previousRole": prev, "newRole": next}
	if shape == ShapePublic {
		body = map[string]any{"userId": t.id, "userName": t.name, "userEmail": t.email, "previousAccountType": prev, "newAccountType": next}
	}
	g.addAs(shape, admin, -1, "RoleChanged", at, body)
}

// addAs adds one event in the given envelope ("" draws one).
func (g *lgen) addAs(shape string, m, app int, typ string, at time.Time, payload map[string]any) {
	r := eventStream(g.s.cfg.Seed, g.n, streamLabelled)
	g.n++
	id := r.uuidString()
	if shape == "" {
		shape = ShapeDescribed
		if r.next()&1 == 1 {
			shape = ShapePublic
		}
	}
	if shape == ShapePublic {
		for _, k := range kinds {
			if k.described == typ {
				typ = k.public
			}
		}
	}
	lag := 2*time.Second + time.Duration(r.float()*float64(3*time.Minute))
	ingest := min(at.Add(lag).UnixNano(), g.start-int64(time.Millisecond))
	ingest = max(ingest-ingest%int64(time.Millisecond), at.UnixNano())
	in := Injected{ID: id, Type: typ, ActorID: g.s.ws.members[m].id, EventTime: at.UTC(),
		IngestionTime: time.Unix(0, ingest).UTC(), Payload: payload, Shape: shape}
	if app >= 0 {
		in.ApplicationID = g.s.ws.apps[app].id
	}
	g.s.st.addInjected(in)
}

// address is member m's address on day d: a host of their own /24.
func (g *lgen) address(m, d int) string {
	ip := g.s.ws.members[m].ip
	return fmt.Sprintf("%s.%d", ip[:lastDotIndex(ip)], 10+(m*7+d*50)%240)
}

func lastDotIndex(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return i
		}
	}
	return 0
}

func (g *lgen) country(m int) string { return countries[g.s.ws.members[m].country] }

func loginBody(ok bool, ip, country string) map[string]any {
	if !ok {
		return map[string]any{"outcome": "failure", "failureReason": "InvalidCredentials", "authenticationMethod": "Password", "ipAddress": ip, "country": country}
	}
	return map[string]any{"outcome": "success", "authenticationMethod": "SSO", "ipAddress": ip, "country": country}
}

func (g *lgen) blockBody(app, i int) map[string]any {
	blk := &g.s.ws.apps[app].blocks[i%len(g.s.ws.apps[app].blocks)]
	return blockRef(blk.id, blk.name, blk.typ)
}

// ordinaryDay adds member m's office day d, leaving out their quiet spans.
func (g *lgen) ordinaryDay(m, d int) {
	r := eventStream(g.s.cfg.Seed, uint32(m*8+d), streamLabelledDay)
	day := g.at(d, 0, 0)
	arrive := day.Add(8*time.Hour + 30*time.Minute + time.Duration(r.intn(60))*time.Minute)
	leave := day.Add(17*time.Hour + time.Duration(r.intn(90))*time.Minute)
	ip, cc := g.address(m, d), g.country(m)
	emit := func(app int, typ string, at time.Time, body map[string]any) {
		for _, q := range g.quiet[m] {
			if !at.Before(q[0]) && at.Before(q[1]) {
				return
			}
		}
		g.add(m, app, typ, at, body)
	}
	if r.intn(20) == 0 {
		emit(-1, "UserLoggedIn", arrive.Add(-time.Minute), loginBody(false, ip, cc))
	}
	emit(-1, "UserLoggedIn", arrive, loginBody(true, ip, cc))
	k := 12 + r.intn(18)
	step := leave.Sub(arrive) / time.Duration(k+2)
	for i := range k {
		at := arrive.Add(time.Duration(i+1)*step + time.Duration(r.intn(60))*time.Second)
		app := g.home[m][r.intn(3)]
		switch x := r.intn(100); {
		case x < 35:
			emit(app, "ApplicationAccessed", at, map[string]any{"accessType": "Application", "ipAddress": ip})
		case x < 65:
			emit(app, "BlockModified", at, g.blockBody(app, r.intn(8)))
		case x < 85:
			body := g.blockBody(app, r.intn(8))
			body["cellsModified"] = 1 + r.intn(500)
			emit(app, "DataModified", at, body)
		case x < 95:
			emit(app, "BlockCreated", at, g.blockBody(app, r.intn(8)))
		default:
			emit(-1, "UserLoggedIn", at, loginBody(true, ip, cc))
		}
	}
	emit(-1, "UserLoggedOut", leave, map[string]any{"reason": "UserInitiated"})
}
