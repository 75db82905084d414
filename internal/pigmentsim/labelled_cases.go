package pigmentsim

// The planted anomalies and near misses of the labelled scenario, one member
// each, on the attack day D3 (day 2) unless said otherwise.

import (
	"fmt"
	"time"
)

// plantCases plants every case; take hands out a fresh member. churn and
// nearChurn are applications nobody else works in.
func (g *lgen) plantCases(take func() int, churn, nearChurn int) {
	const d3 = 2
	w := g.s.ws
	admin := 0
	end := g.at(d3, 23, 59)
	minute := time.Minute
	every := func(from time.Time, i int, step time.Duration) time.Time { return from.Add(time.Duration(i) * step) }

	{ // off-hours: a login and a change at 23:10 on D2; near miss 07:35 and 19:25
		m := take()
		g.add(m, -1, "UserLoggedIn", g.at(1, 23, 10), loginBody(true, g.address(m, 1), g.country(m)))
		g.add(m, g.home[m][0], "BlockModified", g.at(1, 23, 15), g.blockBody(g.home[m][0], 0))
		g.label("off-hours", g.actorKey(m), m, -1, true, "login and change at 23:10 on D2")
		n := take()
		g.add(n, -1, "UserLoggedIn", g.at(d3, 7, 35), loginBody(true, g.address(n, d3), g.country(n)))
		g.add(n, g.home[n][0], "BlockModified", g.at(d3, 19, 25), g.blockBody(g.home[n][0], 0))
		g.label("off-hours", g.actorKey(n), n, -1, false, "login at 07:35 and a change at 19:25, within 07:30-19:30")
	}
	{ // unusual-location: a new country; near miss a new /24 in the usual country
		m := take()
		cc := rareCountries[m%len(rareCountries)]
		ip := fmt.Sprintf("175.45.176.%d", 1+m%250)
		g.add(m, -1, "UserLoggedIn", g.at(d3, 14, 0), loginBody(true, ip, cc))
		g.add(m, g.home[m][0], "ApplicationAccessed", g.at(d3, 14, 2), map[string]any{"accessType": "Application", "ipAddress": ip})
		g.label("unusual-location", g.actorKey(m), m, -1, true, "login from "+cc+" after two days from "+g.country(m))
		n := take()
		g.add(n, -1, "UserLoggedIn", g.at(d3, 12, 40), loginBody(true, fmt.Sprintf("31.%d.%d.9", n%250, (n*3)%250), g.country(n)))
		g.label("unusual-location", g.actorKey(n), n, -1, false, "login from another network in the usual country")
	}
	{ // bulk-deletion: 30 in 10 minutes; near miss 20 in 48 minutes
		m := take()
		app := g.home[m][0]
		for i := range 30 {
			g.add(m, app, "BlockDeleted", every(g.at(d3, 10, 0), i, 20*time.Second), g.blockBody(app, i))
		}
		g.label("bulk-deletion", g.actorKey(m), m, -1, true, "30 deletions 10:00-10:10")
		g.label("bulk-deletion", "application:"+w.apps[app].id, m, app, true, "30 deletions 10:00-10:10 in one application")
		n := take()
		for i := range 20 {
			g.add(n, g.home[n][0], "BlockDeleted", every(g.at(d3, 14, 0), i, 150*time.Second), g.blockBody(g.home[n][0], i))
		}
		g.label("bulk-deletion", g.actorKey(n), n, -1, false, "20 deletions 14:00-14:48, at the threshold")
	}
	{ // activity-spike: 240 events in 40 minutes; near miss 45 in 37 minutes
		m := take()
		for i := range 240 {
			app := g.home[m][i%2]
			if i%2 == 0 {
				g.add(m, app, "ApplicationAccessed", every(g.at(d3, 15, 0), i, 10*time.Second), map[string]any{"accessType": "Application"})
			} else {
				g.add(m, app, "DataModified", every(g.at(d3, 15, 0), i, 10*time.Second), g.blockBody(app, i))
			}
		}
		g.label("activity-spike", g.actorKey(m), m, -1, true, "240 events 15:00-15:40 after two days of about 20 a day")
		n := take()
		g.quietFor(n, g.at(d3, 13, 45), g.at(d3, 16, 45))
		for i := range 45 {
			g.add(n, g.home[n][0], "DataModified", every(g.at(d3, 15, 0), i, 50*time.Second), g.blockBody(g.home[n][0], i))
		}
		g.label("activity-spike", g.actorKey(n), n, -1, false, "45 events 15:00-15:37, under the minimum of 50")
	}
	// privilege-escalation in both vocabularies; near misses: downgrades.
	// A member whose account type changes has it from then on.
	for _, c := range []struct {
		shape      string
		hh, mm     int
		prev, next string
		expect     bool
		what       string
	}{
		{ShapePublic, 10, 30, "Standard Member", "Workspace Admin", true, "UserAccountTypeUpdated Standard Member to Workspace Admin (public)"},
		{ShapeDescribed, 11, 15, "Viewer", "Admin", true, "RoleChanged Viewer to Admin (described)"},
		{ShapePublic, 10, 45, "Workspace Admin", "Builder", false, "UserAccountTypeUpdated Workspace Admin to Builder, a downgrade"},
		{ShapeDescribed, 11, 30, "Builder", "Viewer", false, "RoleChanged Builder to Viewer, a downgrade"},
	} {
		m := take()
		if c.shape == ShapePublic {
			w.members[m].accountType = c.next
		}
		g.changeRole(c.shape, admin, m, g.at(d3, c.hh, c.mm), c.prev, c.next)
		g.label("privilege-escalation", g.memberKey(m), m, -1, c.expect, c.what)
	}
	{ // security-config: an API key created
		m := take()
		g.add(m, -1, "APIKeyCreated", g.at(d3, 16, 30), map[string]any{"apiKeyId": fmt.Sprintf("key-%d", m), "apiKeyName": "exfil-sync", "apiKeyType": "AuditLogs", "expiresInDays": 365})
		g.label("security-config", g.actorKey(m)+"|APIKeyCreated", m, -1, true, "APIKeyCreated at 16:30")
	}
	{ // sensitive-access: Headcount Planning; near miss an application named like it
		var hc, hc2 = -1, -1
		for a, app := range w.apps {
			switch app.name {
			case "Headcount Planning":
				hc = a
			case "Headcount Planning 2":
				hc2 = a
			}
		}
		m := take()
		g.add(m, hc, "ApplicationAccessed", g.at(d3, 12, 10), map[string]any{"accessType": "Application"})
		g.label("sensitive-access", g.actorKey(m)+"|"+w.apps[hc].id, m, hc, true, "opened Headcount Planning")
		n := take()
		g.add(n, hc2, "ApplicationAccessed", g.at(d3, 12, 10), map[string]any{"accessType": "Application"})
		g.label("sensitive-access", g.actorKey(n)+"|"+w.apps[hc2].id, n, hc2, false, "opened Headcount Planning 2, not on the list")
	}
	{ // broad-access: 25 applications 10:40-11:28 (10 and 15 in the clock hours); near miss 15 in 28 minutes
		m := take()
		g.quietFor(m, g.at(d3, 9, 30), g.at(d3, 12, 30))
		for i := range 25 {
			g.add(m, g.apps[i], "ApplicationAccessed", every(g.at(d3, 10, 40), i, 2*minute), map[string]any{"accessType": "Application"})
		}
		g.label("broad-access", g.actorKey(m), m, -1, true, "25 applications 10:40-11:28, across an hour boundary")
		n := take()
		g.quietFor(n, g.at(d3, 12, 50), g.at(d3, 15, 40))
		for i := range 15 {
			g.add(n, g.apps[len(g.apps)-1-i], "ApplicationAccessed", every(g.at(d3, 14, 0), i, 2*minute), map[string]any{"accessType": "Application"})
		}
		g.label("broad-access", g.actorKey(n), n, -1, false, "15 applications 14:00-14:28, at the threshold")
	}
	{ // failed-logins: 12 failures then a success; near miss 3 failures in 8 attempts
		m := take()
		g.quietFor(m, g.at(d3, 8, 0), g.at(d3, 10, 30))
		ip, cc := g.address(m, d3), g.country(m)
		for i := range 12 {
			g.add(m, -1, "UserLoggedIn", every(g.at(d3, 9, 10), i, 50*time.Second), loginBody(false, ip, cc))
		}
		g.add(m, -1, "UserLoggedIn", g.at(d3, 9, 21), loginBody(true, ip, cc))
		g.label("failed-logins", g.actorKey(m), m, -1, true, "12 failed logins 09:10-09:20, then a success")
		n := take()
		g.quietFor(n, g.at(d3, 8, 0), g.at(d3, 10, 40))
		ip, cc = g.address(n, d3), g.country(n)
		for i, ok := range []bool{false, true, true, false, true, true, false, true} {
			g.add(n, -1, "UserLoggedIn", every(g.at(d3, 9, 10), i, 4*minute), loginBody(ok, ip, cc))
		}
		g.label("failed-logins", g.actorKey(n), n, -1, false, "3 failures in 8 attempts 09:10-09:38: at most 3 of 7 in any run")
	}
	{ // high-churn: 360 block changes in one application; near miss 300
		m := take()
		for i := range 360 {
			g.add(m, churn, "BlockModified", every(g.at(d3, 13, 0), i, 40*time.Second), g.blockBody(churn, i))
		}
		g.label("high-churn", "application:"+w.apps[churn].id, m, churn, true, "360 block changes 13:00-17:00 in one application")
		n := take()
		for i := range 300 {
			g.add(n, nearChurn, "BlockModified", every(g.at(d3, 8, 45), i, 110*time.Second), g.blockBody(nearChurn, i))
		}
		g.label("high-churn", "application:"+w.apps[nearChurn].id, n, nearChurn, false, "300 block changes 08:45-17:55, at the threshold")
	}
	{ // inactive-members: last login 40 days before D3; near miss 25 days
		m := take()
		g.none[m] = true
		d := g.at(d3, 10, 0).AddDate(0, 0, -40)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, -1)
		}
		g.add(m, -1, "UserLoggedIn", d, loginBody(true, g.address(m, 0), g.country(m)))
		g.label("inactive-members", g.memberKey(m), m, -1, true, "last login 40 days before D3")
		n := take()
		g.none[n] = true
		d = g.at(d3, 10, 0).AddDate(0, 0, -25)
		for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			d = d.AddDate(0, 0, 1)
		}
		g.add(n, -1, "UserLoggedIn", d, loginBody(true, g.address(n, 0), g.country(n)))
		g.label("inactive-members", g.memberKey(n), n, -1, false, "last login 25 days before D3")
	}
	{ // deactivated-activity in both vocabularies; near miss reactivated before acting
		m := take()
		g.quietFor(m, g.at(d3, 11, 0), end)
		g.addAs(ShapeDescribed, admin, -1, "MemberDeactivated", g.at(d3, 11, 0), map[string]any{"targetMemberId": w.members[m].id,
			"targetEmail": w.members[m].email, "targetName": w.members[m].name, "accountType": w.members[m].accountType})
		g.add(m, -1, "UserLoggedIn", g.at(d3, 13, 0), loginBody(true, g.address(m, d3), g.country(m)))
		g.add(m, g.home[m][0], "ApplicationAccessed", g.at(d3, 13, 2), map[string]any{"accessType": "Application"})
		g.label("deactivated-activity", g.actorKey(m), m, -1, true, "MemberDeactivated by an admin at 11:00 (metadata), active at 13:00")
		m2 := take()
		g.quietFor(m2, g.at(d3, 14, 0), end)
		g.addAs(ShapePublic, admin, -1, "MemberDeactivated", g.at(d3, 14, 0), map[string]any{"id": w.members[m2].id,
			"name": w.members[m2].name, "email": w.members[m2].email})
		g.add(m2, -1, "UserLoggedIn", g.at(d3, 16, 0), loginBody(true, g.address(m2, d3), g.country(m2)))
		g.add(m2, g.home[m2][0], "BlockModified", g.at(d3, 16, 3), g.blockBody(g.home[m2][0], 1))
		g.label("deactivated-activity", g.actorKey(m2), m2, -1, true, "UserDeactivated by an admin at 14:00 (payload), active at 16:00")
		n := take()
		g.quietFor(n, g.at(d3, 11, 0), g.at(d3, 13, 0))
		g.addAs(ShapeDescribed, admin, -1, "MemberDeactivated", g.at(d3, 11, 0), map[string]any{"targetMemberId": w.members[n].id,
			"targetEmail": w.members[n].email, "targetName": w.members[n].name})
		g.addAs(ShapePublic, admin, -1, "UserReactivated", g.at(d3, 12, 0), map[string]any{"id": w.members[n].id,
			"name": w.members[n].name, "email": w.members[n].email})
		g.add(n, -1, "UserLoggedIn", g.at(d3, 13, 0), loginBody(true, g.address(n, d3), g.country(n)))
		g.add(n, g.home[n][0], "ApplicationAccessed", g.at(d3, 13, 5), map[string]any{"accessType": "Application"})
		g.label("deactivated-activity", g.actorKey(n), n, -1, false, "deactivated at 11:00, reactivated at 12:00, active at 13:00")
	}
	{ // export-burst: 30 in 30 minutes; near miss 25 in 48 minutes
		m := take()
		app := g.home[m][0]
		for i := range 30 {
			body := g.blockBody(app, i)
			body["exportId"], body["format"], body["channel"] = fmt.Sprintf("exp-%d-%d", m, i), "CSV", "API"
			g.add(m, app, "ExportExecuted", every(g.at(d3, 11, 0), i, minute), body)
		}
		g.label("export-burst", g.actorKey(m), m, -1, true, "30 exports 11:00-11:29")
		n := take()
		app = g.home[n][0]
		for i := range 25 {
			body := g.blockBody(app, i)
			body["exportId"], body["format"], body["channel"] = fmt.Sprintf("exp-%d-%d", n, i), "XLSX", "UI"
			g.add(n, app, "ExportExecuted", every(g.at(d3, 14, 0), i, 2*minute), body)
		}
		g.label("export-burst", g.actorKey(n), n, -1, false, "25 exports 14:00-14:48, at the threshold")
	}
	// Planted first, near misses after, as Labels documents.
	var planted, near []Label
	for _, l := range g.lab.labels {
		if l.Expect {
			planted = append(planted, l)
		} else {
			near = append(near, l)
		}
	}
	g.lab.labels = append(planted, near...)
}
