package pigmentsim

// The planting itself: the events of each anomaly kind, by its own member,
// at fixed times of the plant day.

import (
	"fmt"
	"strings"
	"time"
)

// planter builds the planted events of a Sim.
type planter struct {
	s     *Sim
	p     *plan
	n     uint32 // planted events so far
	draws uint32 // content streams drawn so far
	start int64
}

// Streams of planted event n (ID and lag) and of content draw n. The "which"
// values only use high bits, so they never collide with a sequence number.
const (
	streamPlanted        = 1 << 60
	streamPlantedContent = 1<<60 | 1<<59
)

func (pl *planter) member(kind string) *member { return &pl.s.ws.members[pl.p.actor[kind]] }

func (pl *planter) typ(described string) string {
	for _, k := range kinds {
		if k.described == described {
			if pl.s.cfg.Shape == ShapePublic {
				return k.public
			}
			return k.described
		}
	}
	return described
}

// add plants one event at D+offset and records it in pt.
func (pl *planter) add(pt *Planted, actor *member, app *application, typ string, offset time.Duration, payload map[string]any) {
	r := eventStream(pl.s.cfg.Seed, pl.n, streamPlanted)
	pl.n++
	id := r.uuidString()
	at := pl.p.day.Add(offset)
	c := &pl.s.cfg
	lag := c.LagMin + time.Duration(r.float()*float64(c.LagMax-c.LagMin))
	ingest := min(at.Add(lag).UnixNano(), pl.start-int64(time.Millisecond))
	ingest = max(ingest-ingest%int64(time.Millisecond), at.UnixNano())
	in := Injected{
		ID: id, Type: pl.typ(typ), ActorID: actor.id, EventTime: at,
		IngestionTime: time.Unix(0, ingest).UTC(), Payload: payload,
	}
	if app != nil {
		in.ApplicationID = app.id
	}
	pl.s.st.addInjected(in)
	if len(pt.EventIDs) == 0 || at.Before(pt.From) {
		pt.From = at
	}
	if at.After(pt.To) {
		pt.To = at
	}
	pt.EventIDs = append(pt.EventIDs, id)
}

// rand returns a fresh content stream.
func (pl *planter) rand() stream {
	pl.draws++
	return eventStream(pl.s.cfg.Seed, pl.draws, streamPlantedContent)
}

func unquote(s string) string { return strings.Trim(s, `"`) }

func (pl *planter) login(m *member, ok bool, ip, country string) map[string]any {
	r := pl.rand()
	session := r.uuidString()
	p := map[string]any{
		"outcome": "success", "authenticationMethod": "SSO", "ipAddress": ip, "country": country,
		"sessionId": session, "userAgent": unquote(userAgents[int(r.next()%uint64(len(userAgents)))]),
	}
	if !ok {
		p["outcome"], p["failureReason"], p["authenticationMethod"] = "failure", "InvalidCredentials", "Password"
	}
	return p
}

func (pl *planter) access(ip, country string) map[string]any {
	return map[string]any{"accessType": "Application", "ipAddress": ip, "country": country, "userAgent": unquote(userAgents[0])}
}

func blockRef(id, name, typ string) map[string]any {
	return map[string]any{"blockId": id, "blockName": name, "blockType": typ}
}

// targetMember renders a member target like generated events: described
// targetMemberId/targetEmail/targetName, public the given keys.
func (pl *planter) targetMember(t *member, idKey, nameKey, emailKey string) map[string]any {
	if pl.s.cfg.Shape == ShapePublic {
		return map[string]any{idKey: t.id, nameKey: t.name, emailKey: t.email}
	}
	return map[string]any{"targetMemberId": t.id, "targetEmail": t.email, "targetName": t.name}
}

// plantAnomalies injects the planted events and returns their ground truth.
func (s *Sim) plantAnomalies(p *plan) []Planted {
	pl := &planter{s: s, p: p, start: s.start.UnixNano()}
	w := s.ws
	out := make([]Planted, 0, len(anomalyKinds))
	newPT := func(kind string, app *application) *Planted {
		m := pl.member(kind)
		out = append(out, Planted{Kind: kind, ActorID: m.id, ActorEmail: m.email})
		pt := &out[len(out)-1]
		if app != nil {
			pt.ApplicationID = app.id
		}
		return pt
	}
	home := func(kind string) *application { return &w.apps[p.home[p.actor[kind]][0]] }
	usual := func(m *member) (string, string) { return m.ip, countries[m.country] }

	{ // off-hours login and a change
		m, app := pl.member(AnomalyOffHoursLogin), home(AnomalyOffHoursLogin)
		pt := newPT(AnomalyOffHoursLogin, app)
		ip, cc := usual(m)
		pl.add(pt, m, nil, "UserLoggedIn", 3*time.Hour, pl.login(m, true, ip, cc))
		blk := &app.blocks[0]
		body := blockRef(blk.id, blk.name, blk.typ)
		body["cellsModified"], body["source"], body["scenario"] = 120, "Grid", "Base"
		pl.add(pt, m, app, "DataModified", 3*time.Hour+4*time.Minute, body)
	}
	{ // failed logins then a success
		m := pl.member(AnomalyFailedLogins)
		pt := newPT(AnomalyFailedLogins, nil)
		ip, cc := usual(m)
		for i := range 15 {
			pl.add(pt, m, nil, "UserLoggedIn", 9*time.Hour+30*time.Minute+time.Duration(i)*20*time.Second, pl.login(m, false, ip, cc))
		}
		pl.add(pt, m, nil, "UserLoggedIn", 9*time.Hour+35*time.Minute, pl.login(m, true, ip, cc))
	}
	{ // bulk deletion
		m, app := pl.member(AnomalyBulkDeletion), home(AnomalyBulkDeletion)
		pt := newPT(AnomalyBulkDeletion, app)
		for i := range 25 {
			r := pl.rand()
			body := blockRef(r.uuidString(), fmt.Sprintf("Archive_%02d", i+1), blockTypes[i%len(blockTypes)])
			body["changeType"], body["changeCount"], body["dimensions"] = "Deleted", 1, 0
			pl.add(pt, m, app, "BlockDeleted", 10*time.Hour+time.Duration(i)*10*time.Second, body)
		}
	}
	{ // self-escalation from Standard Member to Workspace Admin
		m := pl.member(AnomalyPrivilegeEscalation)
		pt := newPT(AnomalyPrivilegeEscalation, nil)
		body := pl.targetMember(m, "userId", "userName", "userEmail")
		if s.cfg.Shape == ShapePublic {
			body["previousAccountType"], body["newAccountType"] = "Standard Member", "Workspace Admin"
		} else {
			body["previousRole"], body["newRole"] = "Standard Member", "Workspace Admin"
		}
		pl.add(pt, m, nil, "RoleChanged", 10*time.Hour+30*time.Minute, body)
	}
	{ // export burst
		m, app := pl.member(AnomalyExportBurst), home(AnomalyExportBurst)
		pt := newPT(AnomalyExportBurst, app)
		for i := range 40 {
			r := pl.rand()
			exportID := r.uuidString()
			blk := &app.blocks[i%len(app.blocks)]
			body := blockRef(blk.id, blk.name, blk.typ)
			body["exportId"], body["format"], body["channel"] = exportID, "CSV", "API"
			body["rowsExported"] = 50000 + r.intn(450000)
			pl.add(pt, m, app, "ExportExecuted", 11*time.Hour+time.Duration(i)*15*time.Second, body)
		}
	}
	{ // deactivated, then active
		m, app := pl.member(AnomalyActivityAfterDeactivation), home(AnomalyActivityAfterDeactivation)
		pt := newPT(AnomalyActivityAfterDeactivation, app)
		body := pl.targetMember(m, "id", "name", "email")
		if s.cfg.Shape != ShapePublic {
			body["accountType"] = m.accountType
		}
		pl.add(pt, &w.members[0], nil, "MemberDeactivated", time.Duration(p.deactAt-p.day.UnixNano()), body)
		ip, cc := usual(m)
		pl.add(pt, m, nil, "UserLoggedIn", 13*time.Hour+30*time.Minute, pl.login(m, true, ip, cc))
		pl.add(pt, m, app, "ApplicationAccessed", 13*time.Hour+31*time.Minute, pl.access(ip, cc))
	}
	{ // stable history, then a new country and IP
		m, app := pl.member(AnomalyUnusualLocation), home(AnomalyUnusualLocation)
		var history Planted
		ip, cc := usual(m)
		for _, h := range []time.Duration{9, 10, 11} {
			pl.add(&history, m, nil, "UserLoggedIn", h*time.Hour+5*time.Minute, pl.login(m, true, ip, cc))
		}
		pt := newPT(AnomalyUnusualLocation, app)
		r := pl.rand()
		newCC := rareCountries[r.intn(len(rareCountries))]
		newIP := fmt.Sprintf("45.%d.%d.%d", r.intn(256), r.intn(256), 1+r.intn(254))
		pl.add(pt, m, nil, "UserLoggedIn", 14*time.Hour, pl.login(m, true, newIP, newCC))
		pl.add(pt, m, app, "ApplicationAccessed", 14*time.Hour+time.Minute, pl.access(newIP, newCC))
	}
	{ // broad access
		m := pl.member(AnomalyBroadAccess)
		pt := newPT(AnomalyBroadAccess, nil)
		ip, cc := usual(m)
		for i := range min(len(w.apps), 20) {
			pl.add(pt, m, &w.apps[i], "ApplicationAccessed", 15*time.Hour+time.Duration(i)*30*time.Second, pl.access(ip, cc))
		}
	}
	{ // workspace-wide spike by one member
		m, app := pl.member(AnomalyActivitySpike), home(AnomalyActivitySpike)
		pt := newPT(AnomalyActivitySpike, app)
		ip, cc := usual(m)
		n := spikeCount(&s.cfg, p)
		for i := range n {
			pl.add(pt, m, app, "ApplicationAccessed", 16*time.Hour+time.Duration(i)*10*time.Minute/time.Duration(n), pl.access(ip, cc))
		}
	}
	{ // API key created
		m := pl.member(AnomalySecurityChange)
		pt := newPT(AnomalySecurityChange, nil)
		r := pl.rand()
		pl.add(pt, m, nil, "APIKeyCreated", 16*time.Hour+30*time.Minute, map[string]any{
			"apiKeyId": r.uuidString(), "apiKeyName": "exfil-sync", "apiKeyType": "AuditLogs", "expiresInDays": 365,
		})
	}
	return out
}

// spikeCount is 10 times the backlog's mean volume per 10 minutes of
// business time, within [100, 50000].
func spikeCount(c *Config, p *plan) int {
	normal := 0.0
	if c.History > 0 && p.total > 0 {
		normal = float64(c.HistoryEvents) * float64(10*time.Minute) / float64(p.total)
	}
	return min(max(int(10*normal+0.5), 100), 50000)
}

// sensitiveApps are the applications of the workspace that hold people or
// consolidated financial data; the default detection rules list them.
var sensitiveApps = map[string]bool{"Headcount Planning": true, "Workforce 2026": true, "P&L Consolidation": true}
