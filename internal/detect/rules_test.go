package detect

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// ruleCase is a crafted sequence for one rule: events (see tev) processed
// in the order given, and the alerts expected as "rule key count=N".
type ruleCase struct {
	name   string
	rule   string
	edit   func(*RuleSet)
	events []string
	end    string // final watermark (RFC 3339); "" = past every window
	want   []string
}

func runCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := mustEngine(t, mustRules(t, tc.edit, tc.rule))
			evs := tevs(t, tc.events)
			var end time.Time
			if tc.end != "" {
				end, _ = time.Parse(time.RFC3339, tc.end)
			}
			got := keys(feed(e, evs, end))
			want := slices.Clone(tc.want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("alerts = %q, want %q", got, want)
			}
		})
	}
}

// repeat returns n copies of spec with times t0 + i*every.
func repeat(n int, spec string, t0 string, every time.Duration) []string {
	start, _ := time.Parse(time.RFC3339, t0)
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Replace(spec, "@T", "@"+start.Add(time.Duration(i)*every).Format(time.RFC3339), 1)
	}
	return out
}

func utcZone(rs *RuleSet) { rs.Timezone = "UTC" }

func TestOffHours(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "Paris evening", rule: "off-hours", events: []string{"UserLoggedIn@2025-06-10T17:30:00Z m1 outcome=success"},
			want: []string{"off-hours actor:m1 count=1"}},
		{name: "same instant is business hours in UTC", rule: "off-hours", edit: utcZone,
			events: []string{"UserLoggedIn@2025-06-10T17:30:00Z m1 outcome=success"}},
		{name: "07:30Z is 09:30 in Paris", rule: "off-hours", events: []string{"BlockModified@2025-06-10T07:30:00Z m1 app=a1"}},
		{name: "07:30Z is off-hours in UTC", rule: "off-hours", edit: utcZone,
			events: []string{"BlockModified@2025-06-10T07:30:00Z m1 app=a1"}, want: []string{"off-hours actor:m1 count=1"}},
		// Paris moves to CEST on Sunday 2025-03-30: 06:30Z is 07:30 local on
		// the Friday before (off-hours) and 08:30 on the Monday after.
		{name: "before DST", rule: "off-hours", events: []string{"UserLoggedIn@2025-03-28T06:30:00Z m1 outcome=success"},
			want: []string{"off-hours actor:m1 count=1"}},
		{name: "after DST", rule: "off-hours", events: []string{"UserLoggedIn@2025-03-31T06:30:00Z m1 outcome=success"}},
		{name: "DST Sunday is one 23h local day: one alert", rule: "off-hours", events: []string{
			"UserLoggedIn@2025-03-29T23:30:00Z m1 outcome=success", // 00:30 CET Sunday
			"UserLoggedIn@2025-03-30T21:30:00Z m1 outcome=success", // 23:30 CEST Sunday
		}, want: []string{"off-hours actor:m1 count=1"}},
		{name: "out of order within a night: one alert", rule: "off-hours", events: []string{
			"UserLoggedIn@2025-06-10T21:00:00Z m1 outcome=success",
			"UserLoggedIn@2025-06-10T20:55:00Z m1 outcome=success",
		}, want: []string{"off-hours actor:m1 count=1"}},
		{name: "custom hours and days", rule: "off-hours", edit: func(rs *RuleSet) {
			rs.BusinessHours = BusinessHours{Start: "06:00", End: "23:00", Days: []string{"Sat"}}
		}, events: []string{"UserLoggedIn@2025-06-10T12:00:00Z m2 outcome=success", "UserLoggedIn@2025-06-14T18:00:00Z m1 outcome=success"},
			want: []string{"off-hours actor:m2 count=1"}},
		{name: "unknown types pass", rule: "off-hours", events: []string{"Teleported@2025-06-10T23:00:00Z m1"}},
	})
}

func TestUnusualLocation(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "new country", rule: "unusual-location", events: []string{
			"UserLoggedIn@2025-06-10T08:00:00Z m1 outcome=success country=FR ip=1.1.1.1",
			"UserLoggedIn@2025-06-10T09:00:00Z m1 outcome=success country=NG ip=9.9.9.9",
			"UserLoggedIn@2025-06-10T10:00:00Z m1 outcome=success country=NG ip=9.9.9.9",
		}, want: []string{"unusual-location actor:m1 count=1"}},
		// Issue 9: with a country known and unchanged, a new network is
		// evidence, not an alert (this case alerted before).
		{name: "new network, same country", rule: "unusual-location", events: []string{
			"UserLoggedIn@2025-06-10T08:00:00Z m1 outcome=success country=FR ip=1.1.1.1",
			"UserLoggedIn@2025-06-10T09:00:00Z m1 outcome=success country=FR ip=2.2.2.2",
		}},
		{name: "networks not checked", rule: "unusual-location", edit: func(rs *RuleSet) { ruleOf(rs, "unusual-location").NetworkHistory = 0 },
			events: []string{
				"UserLoggedIn@2025-06-10T08:00:00Z m1 outcome=success ip=1.1.1.1",
				"UserLoggedIn@2025-06-10T09:00:00Z m1 outcome=success ip=2.2.2.2",
			}},
		{name: "history is bounded: the oldest country is forgotten", rule: "unusual-location",
			edit: func(rs *RuleSet) {
				r := ruleOf(rs, "unusual-location")
				r.History, r.NetworkHistory, r.Suppression = 2, 0, Duration(time.Hour)
			},
			events: []string{
				"UserLoggedIn@2025-06-10T08:00:00Z m1 outcome=success country=FR",
				"UserLoggedIn@2025-06-10T09:00:00Z m1 outcome=success country=DE",
				"UserLoggedIn@2025-06-10T10:00:00Z m1 outcome=success country=ES",
				"UserLoggedIn@2025-06-10T11:00:00Z m1 outcome=success country=FR",
			}, want: []string{"unusual-location actor:m1 count=1", "unusual-location actor:m1 count=1", "unusual-location actor:m1 count=1"}},
		{name: "per actor", rule: "unusual-location", events: []string{
			"UserLoggedIn@2025-06-10T08:00:00Z m1 outcome=success country=FR",
			"UserLoggedIn@2025-06-10T09:00:00Z m2 outcome=success country=US",
		}},
	})
}

// TestLocationNetworks: a login is judged by its country when the event
// carries one (a change alerts), else by its network (an ASN when carried,
// else the address's /24 or /48 by default): a new network alerts once the
// actor has one. Each case is one actor's logins, a day apart.
func TestLocationNetworks(t *testing.T) {
	none, one := []string(nil), []string{"unusual-location actor:m1 count=1"}
	prefix16 := func(rs *RuleSet) { ruleOf(rs, "unusual-location").IPv4Prefix = 16 }
	bounded := func(rs *RuleSet) { ruleOf(rs, "unusual-location").NetworkHistory = 2 }
	cases := []struct {
		name   string
		edit   func(*RuleSet)
		logins []string // "ip [country] [asn=N]" per day
		want   []string
	}{
		{"one /24 over ten days, country known", nil, []string{"81.2.3.4 FR", "81.2.3.17 FR", "81.2.3.99 FR", "81.2.3.5 FR", "81.2.3.6 FR",
			"81.2.3.7 FR", "81.2.3.8 FR", "81.2.3.9 FR", "81.2.3.10 FR", "81.2.3.11 FR", "81.2.3.12 FR", "81.2.3.13 FR"}, none},
		{"one /24 over ten days, no country", nil, []string{"81.2.3.4", "81.2.3.17", "81.2.3.99", "81.2.3.5", "81.2.3.6",
			"81.2.3.7", "81.2.3.8", "81.2.3.9", "81.2.3.10", "81.2.3.11", "81.2.3.12", "81.2.3.13"}, none},
		{"a new /24 in the same country", nil, []string{"81.2.3.4 FR", "90.1.1.1 FR"}, none},
		{"a new country in a known /24", nil, []string{"81.2.3.4 FR", "81.2.3.5 KP"}, one},
		{"a new /24, no country, once history exists", nil, []string{"81.2.3.4", "90.1.1.1"}, one},
		{"the first login only starts the history", nil, []string{"90.1.1.1"}, none},
		{"country known then missing: networks still count", nil, []string{"81.2.3.4 FR", "81.2.3.9", "90.1.1.1"}, one},
		{"IPv6 in one /48", nil, []string{"2001:db8:1:a::1", "2001:db8:1:b::2", "2001:db8:1:ffff:1:2:3:4"}, none},
		{"IPv6, a new /48", nil, []string{"2001:db8:1:a::1", "2001:db8:2:a::1"}, one},
		{"IPv4-mapped IPv6 is its IPv4 network", nil, []string{"81.2.3.4", "::ffff:81.2.3.9"}, none},
		{"an address with a port", nil, []string{"81.2.3.4", "81.2.3.7:5000"}, none},
		{"an IPv6 address with a zone or a port", nil, []string{"fe80::1%eth0", "fe80::2", "[fe80::3]:443"}, none},
		{"malformed addresses start no history", nil, []string{"not-an-ip", "999.1.1.1", "81.2.3", "81.2.3.4"}, none},
		{"malformed addresses do not alert", nil, []string{"81.2.3.4", "not-an-ip", "1.2.3.4.5", "::gg"}, none},
		{"a configured /16", prefix16, []string{"81.2.3.4", "81.2.200.1"}, none},
		{"a configured /16, a new one", prefix16, []string{"81.2.3.4", "81.3.0.1"}, one},
		{"a new /24 in a known AS", nil, []string{"81.2.3.4 asn=3215", "90.1.1.1 asn=AS3215"}, none},
		{"a new AS and a new /24", nil, []string{"81.2.3.4 asn=3215", "90.1.1.1 asn=16276"}, one},
		{"bounded: the oldest network is forgotten", bounded, []string{"81.2.3.4", "82.2.3.4", "83.2.3.4", "81.2.3.4"},
			[]string{"unusual-location actor:m1 count=1", "unusual-location actor:m1 count=1", "unusual-location actor:m1 count=1"}},
	}
	for _, tc := range cases {
		e := mustEngine(t, mustRules(t, tc.edit, "unusual-location"))
		var evs []event.Event
		for i, l := range tc.logins {
			f := strings.Fields(l)
			spec := fmt.Sprintf("UserLoggedIn@2025-06-%02dT09:00:00Z m1 outcome=success ip=%s", 1+i, f[0])
			for _, x := range f[1:] {
				if !strings.Contains(x, "=") {
					x = "country=" + x
				}
				spec += " " + x
			}
			evs = append(evs, tev(t, i, spec))
		}
		if got := keys(feed(e, evs, time.Time{})); !slices.Equal(got, tc.want) {
			t.Errorf("%s: alerts = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestLocationEvidence: an alert names the network and whether the actor
// knew it, and what it knew.
func TestLocationEvidence(t *testing.T) {
	cases := []struct {
		name   string
		logins []string
		want   []string // in the description
	}{
		{"country change, known network", []string{"country=FR ip=81.2.3.4", "country=KP ip=81.2.3.5"},
			[]string{"country KP", "81.2.3.0/24 (known)", "FR"}},
		{"country change, new network", []string{"country=FR ip=81.2.3.4", "country=KP ip=175.45.176.1"},
			[]string{"country KP", "175.45.176.0/24 (new)"}},
		{"new network, no country", []string{"ip=81.2.3.4", "ip=2001:db8:1::1"},
			[]string{"network 2001:db8:1::/48", "IP 2001:db8:1::1", "81.2.3.0/24"}},
	}
	for _, tc := range cases {
		e := mustEngine(t, mustRules(t, nil, "unusual-location"))
		var evs []event.Event
		for i, l := range tc.logins {
			evs = append(evs, tev(t, i, fmt.Sprintf("UserLoggedIn@2025-06-%02dT09:00:00Z m1 outcome=success %s", 1+i, l)))
		}
		as := feed(e, evs, time.Time{})
		if len(as) != 1 {
			t.Errorf("%s: %d alerts, want 1", tc.name, len(as))
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(as[0].Description, w) {
				t.Errorf("%s: description %q lacks %q", tc.name, as[0].Description, w)
			}
		}
	}
}

// TestLocationState: networks survive a restart, and the addresses of a
// state saved before networks become their networks.
func TestLocationState(t *testing.T) {
	login := func(i int, ip string) event.Event {
		return tev(t, i, fmt.Sprintf("UserLoggedIn@2025-06-%02dT09:00:00Z m1 outcome=success ip=%s", 10+i, ip))
	}
	rs := mustRules(t, nil, "unusual-location")
	e := mustEngine(t, rs)
	feed(e, []event.Event{login(0, "81.2.3.4"), login(1, "2001:db8:1::1")}, time.Time{})
	saved, err := e.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	// The same history as a state of the first version: addresses.
	old := savedSnapshot(t, e)
	if got := old.Actors[0].Networks; !slices.Equal(got, []string{"81.2.3.0/24", "2001:db8:1::/48"}) {
		t.Errorf("saved networks = %q", got)
	}
	old.Actors[0].Networks, old.Actors[0].IPs = nil, []string{"81.2.3.4", "2001:db8:1::1", "garbage"}
	for name, state := range map[string][]byte{"networks": saved, "addresses": encodeState(t, old)} {
		r := restored(t, rs, state)
		got := keys(feed(r, []event.Event{login(2, "81.2.3.200"), login(3, "2001:db8:1:ff::2"), login(4, "90.1.1.1")}, time.Time{}))
		if want := []string{"unusual-location actor:m1 count=1"}; !slices.Equal(got, want) {
			t.Errorf("restored from %s: alerts = %q, want %q", name, got, want)
		}
	}
}

func TestLocationConfigErrors(t *testing.T) {
	for i, edit := range []func(r *Rule){
		func(r *Rule) { r.IPv4Prefix = 33 },
		func(r *Rule) { r.IPv6Prefix = 129 },
		func(r *Rule) { r.IPv4Prefix = -1 },
		func(r *Rule) { r.NetworkHistory = -1 },
	} {
		rs := mustRules(t, nil, "unusual-location")
		edit(ruleOf(&rs, "unusual-location"))
		if _, err := NewEngine(rs); err == nil {
			t.Errorf("NewEngine(case %d) = nil error, want one", i)
		}
	}
}

func TestBulkDeletion(t *testing.T) {
	eleven := repeat(11, "BlockDeleted@T m1 app=a1", "2025-06-10T10:00:00Z", time.Minute)
	runCases(t, []ruleCase{
		{name: "eleven by one actor", rule: "bulk-deletion", events: eleven,
			want: []string{"bulk-deletion actor:m1 count=11", "bulk-deletion application:a1 count=11"}},
		{name: "reversed order", rule: "bulk-deletion", events: reversed(eleven),
			want: []string{"bulk-deletion actor:m1 count=11", "bulk-deletion application:a1 count=11"}},
		{name: "ten is not more than ten", rule: "bulk-deletion", events: eleven[:10]},
		{name: "eleven actors in one application", rule: "bulk-deletion",
			events: func() []string {
				var s []string
				for i := range 11 {
					s = append(s, "ApplicationDeleted@2025-06-10T10:00:00Z m"+string(rune('a'+i))+" app=a1")
				}
				return s
			}(), want: []string{"bulk-deletion application:a1 count=11"}},
		// Issue 9: windows slide; eleven in eleven minutes across 11:00 are
		// more than ten in an hour (tumbling windows split them 5 and 6).
		{name: "a window boundary no longer splits them", rule: "bulk-deletion",
			events: repeat(11, "BlockDeleted@T m1 app=a1", "2025-06-10T10:55:00Z", time.Minute),
			want:   []string{"bulk-deletion actor:m1 count=11", "bulk-deletion application:a1 count=11"}},
		{name: "ten in an hour, the eleventh 61 minutes after the first", rule: "bulk-deletion",
			events: append(repeat(10, "BlockDeleted@T m1 app=a1", "2025-06-10T10:00:00Z", time.Minute),
				"BlockDeleted@2025-06-10T11:01:00Z m1 app=a1")},
		{name: "any type containing Deleted", rule: "bulk-deletion",
			events: repeat(11, "ViewDeletedForever@T m1", "2025-06-10T10:00:00Z", time.Second),
			want:   []string{"bulk-deletion actor:m1 count=11"}},
		{name: "suppressed over two hours", rule: "bulk-deletion", edit: func(rs *RuleSet) {
			r := ruleOf(rs, "bulk-deletion")
			r.Scopes, r.Suppression = []string{"actor"}, Duration(2*time.Hour)
		}, events: repeat(22, "BlockDeleted@T m1", "2025-06-10T10:30:00Z", 3*time.Minute),
			want: []string{"bulk-deletion actor:m1 count=11"}},
		{name: "late deletions are not counted", rule: "bulk-deletion", events: append(append(eleven[:5:5],
			"UserLoggedIn@2025-06-10T12:00:00Z m2"), eleven[5:]...)},
		{name: "a replayed event counts once", rule: "bulk-deletion", events: append(eleven[:10:10],
			strings.Replace(eleven[9], "app=a1", "app=a1 eid=e9", 1))},
	})
}

func TestSpike(t *testing.T) {
	base := repeat(30, "BlockModified@T m1 app=a1", "2025-06-09T00:30:00Z", time.Hour)
	burst := repeat(60, "DataModified@T m1 app=a1", "2025-06-10T08:00:00Z", 30*time.Second)
	few := repeat(49, "DataModified@T m1 app=a1", "2025-06-10T08:00:00Z", 30*time.Second)
	early := repeat(60, "DataModified@T m1 app=a1", "2025-06-09T03:00:00Z", 30*time.Second)
	ws := func(rs *RuleSet) { ruleOf(rs, "activity-spike").WorkspaceMinCount = 60 }
	runCases(t, []ruleCase{
		{name: "burst over baseline", rule: "activity-spike", events: append(base, burst...),
			want: []string{"activity-spike actor:m1 count=60"}},
		{name: "burst shuffled", rule: "activity-spike", events: append(base, reversed(burst)...),
			want: []string{"activity-spike actor:m1 count=60"}},
		{name: "workspace-wide too", rule: "activity-spike", edit: ws, events: append(base, burst...),
			want: []string{"activity-spike actor:m1 count=60", "activity-spike workspace count=60"}},
		{name: "below the minimum count", rule: "activity-spike", events: append(base, few...)},
		{name: "no alert before a baseline exists", rule: "activity-spike", events: append(base[:2:2], early...)},
		{name: "decided only at window end", rule: "activity-spike", events: append(base, burst...),
			end: "2025-06-10T08:59:00Z"},
	})
}

func TestPrivilegeEscalation(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "RoleChanged up", rule: "privilege-escalation", events: []string{
			"RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m9 previousRole=Viewer newRole=Builder"},
			want: []string{"privilege-escalation member:m9 count=1"}},
		{name: "RoleChanged down or sideways", rule: "privilege-escalation", events: []string{
			"RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m9 previousRole=Builder newRole=Viewer",
			"RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m9 previousRole=Builder newRole=Builder"}},
		{name: "UserAccountTypeUpdated up, case-insensitive", rule: "privilege-escalation", events: []string{
			"UserAccountTypeUpdated@2025-06-10T10:00:00Z m1 userId=m8 previousAccountType=contributor newAccountType=Workspace_Admin"},
			want: []string{"privilege-escalation member:m8 count=1"}},
		{name: "custom ranks", rule: "privilege-escalation", edit: func(rs *RuleSet) {
			ruleOf(rs, "privilege-escalation").Roles = []Rank{{"Builder"}, {"Viewer"}}
		}, events: []string{"RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m9 previousRole=Builder newRole=Viewer"},
			want: []string{"privilege-escalation member:m9 count=1"}},
		{name: "no roles, unknown type", rule: "privilege-escalation", events: []string{
			"RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m9", "Promoted@2025-06-10T10:00:00Z m1"}},
	})
}

// TestPrivilegeAccountTypes runs one change per case through the default
// rule: Pigment's account types, licence types, application roles, their
// aliases, and unknown values naming an admin or an owner.
func TestPrivilegeAccountTypes(t *testing.T) {
	const at = "UserAccountTypeUpdated@2025-06-10T10:00:00Z m1 userId=m8 "
	const rc = "RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m8 "
	up := []string{"privilege-escalation member:m8 count=1"}
	var none []string
	cases := []struct {
		name, event string
		edit        func(*RuleSet)
		want        []string
	}{
		{"Member to Workspace Admin", at + "previousAccountType=Member newAccountType=Workspace_Admin", nil, up},
		{"Standard Member to Builder", at + "previousAccountType=Standard_Member newAccountType=Builder", nil, up},
		{"Builder to Workspace Admin", at + "previousAccountType=Builder newAccountType=Workspace_Admin", nil, up},
		{"Workspace Admin to Security Admin is up", at + "previousAccountType=Workspace_Admin newAccountType=Security_Admin", nil, up},
		{"Security Admin to Primary Owner", at + "previousAccountType=Security_Admin newAccountType=Primary_Owner", nil, up},
		{"Security Admin to Workspace Admin is down", at + "previousAccountType=Security_Admin newAccountType=Workspace_Admin", nil, none},
		{"Primary Owner to Standard User is down", at + "previousAccountType=Primary_Owner newAccountType=Standard_User", nil, none},
		{"Admin is Workspace Admin: sideways", at + "previousAccountType=admin newAccountType=WORKSPACE_ADMIN", nil, none},
		{"Standard User is Standard Member: sideways", at + "previousAccountType=Standard_User newAccountType=member", nil, none},
		{"aliases and case: standard user to ADMIN", at + "previousAccountType=standard_user newAccountType=ADMIN", nil, up},
		{"enum spelling: StandardMember to WorkspaceAdmin", at + "previousAccountType=StandardMember newAccountType=WorkspaceAdmin", nil, up},
		{"RoleChanged Viewer to Admin", rc + "previousRole=Viewer newRole=Admin", nil, up},
		{"RoleChanged Member to Workspace Admin", rc + "previousRole=Member newRole=Workspace_Admin", nil, up},
		{"RoleChanged Viewer to Contributor", rc + "previousRole=Viewer newRole=Contributor", nil, up},
		{"RoleChanged Builder to Viewer is down", rc + "previousRole=Builder newRole=Viewer", nil, none},
		{"RoleChanged Workspace Admin to Security Admin is up", rc + "previousRole=Workspace_Admin newRole=Security_Admin", nil, up},
		{"RoleChanged Builder to Member is down", rc + "previousRole=Builder newRole=Member", nil, none},
		{"RoleChanged oldRole (the description's old_role) is the value before", rc + "oldRole=Security_Admin newRole=Workspace_Admin", nil, none},
		{"licence Explorer to Editor", at + "previousLicenseType=Explorer newLicenseType=Editor", nil, up},
		{"licence Editor to Contributor is down", at + "previousLicenseType=Editor newLicenseType=Contributor", nil, none},
		{"licence types in the account type fields", at + "previousAccountType=Explorer newAccountType=Contributor", nil, up},
		{"unknown value naming an admin", rc + "previousRole=Viewer newRole=Billing_Administrator", nil, up},
		{"unknown value naming an owner", at + "previousAccountType=Builder newAccountType=Co-owner", nil, up},
		{"unknown previous, new Workspace Admin", at + "previousAccountType=Guest newAccountType=Workspace_Admin", nil, up},
		{"unknown value naming neither", rc + "previousRole=Viewer newRole=Overlord", nil, none},
		{"configured roles with aliases", rc + "previousRole=reader newRole=Planner", func(rs *RuleSet) {
			ruleOf(rs, "privilege-escalation").Roles = []Rank{{"Viewer", "Reader"}, {"Planner"}, {"Model Owner"}}
		}, up},
		{"configured roles: down", rc + "previousRole=Model_Owner newRole=Planner", func(rs *RuleSet) {
			ruleOf(rs, "privilege-escalation").Roles = []Rank{{"Viewer", "Reader"}, {"Planner"}, {"Model Owner"}}
		}, none},
	}
	for _, tc := range cases {
		e := mustEngine(t, mustRules(t, tc.edit, "privilege-escalation"))
		got := keys(feed(e, []event.Event{tev(t, 0, tc.event)}, time.Time{}))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: alerts = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestPrivilegeLegacyRanks: a rules file of the first version, with ranks
// and no roles, still loads; its ranks are the roles, and account types
// are Pigment's.
func TestPrivilegeLegacyRanks(t *testing.T) {
	rs, err := LoadRules([]byte(`rules: [{id: p, detector: privilege, severity: high, enabled: true, types: ["*"],
  ranks: [Viewer, Contributor, Builder, Security Admin, Workspace Admin]}]`))
	if err != nil {
		t.Fatal(err)
	}
	e := mustEngine(t, rs)
	got := keys(feed(e, []event.Event{
		tev(t, 0, "RoleChanged@2025-06-10T10:00:00Z m1 targetMemberId=m8 previousRole=Security_Admin newRole=Workspace_Admin"),
		tev(t, 1, "UserAccountTypeUpdated@2025-06-10T10:00:00Z m1 userId=m7 previousAccountType=Member newAccountType=Builder"),
	}, time.Time{}))
	if want := []string{"p member:m7 count=1", "p member:m8 count=1"}; !slices.Equal(got, want) {
		t.Errorf("alerts = %q, want %q", got, want)
	}
}

func TestPrivilegeRanksErrors(t *testing.T) {
	for i, edit := range []func(r *Rule){
		func(r *Rule) { r.AccountTypes = []Rank{{"Builder"}} },
		func(r *Rule) { r.Roles = []Rank{{"Viewer"}, {"Builder", "viewer"}} },
		func(r *Rule) { r.LicenceTypes = []Rank{{"Explorer"}, {}} },
	} {
		rs := mustRules(t, nil, "privilege-escalation")
		edit(ruleOf(&rs, "privilege-escalation"))
		if _, err := NewEngine(rs); err == nil {
			t.Errorf("NewEngine(case %d) = nil error, want one", i)
		}
	}
}

func TestMatchRules(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "every security change type", rule: "security-config", edit: everyEvent, events: []string{
			"APIKeyCreated@2025-06-10T10:00:00Z m1", "APIKeyRevoked@2025-06-10T10:00:00Z m1",
			"AccessRightsChanged@2025-06-10T10:00:00Z m1 app=a1", "PermissionsChanged@2025-06-10T10:00:00Z m1",
			"GroupCreated@2025-06-10T10:00:00Z m1", "GroupModified@2025-06-10T10:00:00Z m1",
			"SupportSessionStarted@2025-06-10T10:00:00Z m1", "BlockModified@2025-06-10T10:00:00Z m1",
		}, want: []string{
			"security-config actor:m1|APIKeyCreated count=1", "security-config actor:m1|APIKeyRevoked count=1",
			"security-config actor:m1|AccessRightsChanged count=1", "security-config actor:m1|PermissionsChanged count=1",
			"security-config actor:m1|GroupCreated count=1", "security-config actor:m1|GroupModified count=1",
			"security-config actor:m1|SupportSessionStarted count=1"}},
		{name: "suppression period boundary", rule: "security-config", edit: everyEvent, events: []string{
			"APIKeyCreated@2025-06-10T10:59:00Z m1", "APIKeyCreated@2025-06-10T11:00:00Z m1", "APIKeyCreated@2025-06-10T11:30:00Z m1",
		}, want: []string{"security-config actor:m1|APIKeyCreated count=1", "security-config actor:m1|APIKeyCreated count=1"}},
		{name: "sensitive application by id", rule: "sensitive-access", edit: func(rs *RuleSet) {
			everyEvent(rs)
			ruleOf(rs, "sensitive-access").Applications = []string{"app-42"}
		}, events: []string{"ApplicationAccessed@2025-06-10T10:00:00Z m1 app=app-42", "ApplicationAccessed@2025-06-10T10:00:00Z m1 app=app-43"},
			want: []string{"sensitive-access actor:m1|app-42 count=1"}},
	})
}

func TestBroadAccess(t *testing.T) {
	var apps []string
	for i := range 9 {
		apps = append(apps, "ApplicationAccessed@2025-06-10T10:0"+string(rune('0'+i))+":00Z m1 app=a"+string(rune('0'+i)))
	}
	runCases(t, []ruleCase{
		{name: "nine applications", rule: "broad-access", edit: everyEvent, events: apps, want: []string{"broad-access actor:m1 count=9"}},
		{name: "reversed", rule: "broad-access", edit: everyEvent, events: reversed(apps), want: []string{"broad-access actor:m1 count=9"}},
		{name: "eight", rule: "broad-access", edit: everyEvent, events: apps[:8]},
		{name: "no application", rule: "broad-access", edit: everyEvent, events: repeat(20, "UserLoggedIn@T m1", "2025-06-10T10:00:00Z", time.Second)},
	})
}

func TestFailedLogins(t *testing.T) {
	fails := repeat(4, "UserLoggedIn@T m1 outcome=failure", "2025-06-10T10:00:00Z", time.Minute)
	ok := "UserLoggedIn@2025-06-10T10:30:00Z m1 outcome=success"
	runCases(t, []ruleCase{
		{name: "share above", rule: "failed-logins", events: append(fails, ok), want: []string{"failed-logins actor:m1 count=4"}},
		// Within the lateness: events older than it are late whatever
		// window they fall in (the success used to come at 10:30).
		{name: "out of order", rule: "failed-logins", events: append([]string{"UserLoggedIn@2025-06-10T10:09:00Z m1 outcome=success"}, fails...),
			want: []string{"failed-logins actor:m1 count=4"}},
		{name: "older than the lateness is late", rule: "failed-logins", events: append([]string{ok}, fails...)},
		{name: "too few attempts", rule: "failed-logins", events: fails},
		{name: "across a window boundary", rule: "failed-logins", // issue 9: windows slide
			events: repeat(6, "UserLoggedIn@T m1 outcome=failure", "2025-06-10T10:57:00Z", time.Minute),
			want:   []string{"failed-logins actor:m1 count=6"}},
		{name: "unknown outcomes are not attempts", rule: "failed-logins",
			events: append(fails, repeat(5, "UserLoggedIn@T m1", "2025-06-10T10:10:00Z", time.Minute)...)},
		// Issue 9: decided when the watermark passes the 5-minute step in
		// which the share crossed, not at the end of an hour.
		{name: "not before the step closes", rule: "failed-logins", events: append(fails, ok), end: "2025-06-10T10:34:59Z"},
		{name: "once the step closes", rule: "failed-logins", events: append(fails, ok), end: "2025-06-10T10:35:00Z",
			want: []string{"failed-logins actor:m1 count=4"}},
	})
}

func TestHighChurn(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "one Paris day", rule: "high-churn", events: repeat(501, "BlockModified@T m1 app=a1", "2025-06-10T00:00:00Z", time.Minute),
			want: []string{"high-churn application:a1 count=501"}},
		// Issue 9: any 24 hours, not local days.
		{name: "across Paris midnight", rule: "high-churn", events: repeat(600, "BlockCreated@T m1 app=a1", "2025-06-10T14:00:00Z", time.Minute),
			want: []string{"high-churn application:a1 count=501"}},
		{name: "the same across UTC midnight in UTC", rule: "high-churn", edit: utcZone,
			events: repeat(600, "BlockCreated@T m1 app=a1", "2025-06-10T14:00:00Z", time.Minute),
			want:   []string{"high-churn application:a1 count=501"}},
		{name: "500 a day, two days", rule: "high-churn",
			events: append(repeat(500, "BlockCreated@T m1 app=a1", "2025-06-10T00:00:00Z", time.Minute),
				repeat(500, "BlockCreated@T m1 app=a1", "2025-06-11T02:00:00Z", time.Minute)...)},
		{name: "DST day is 23 hours", rule: "high-churn", // 2025-03-29T23:00Z .. 2025-03-30T22:00Z
			events: repeat(501, "BlockModified@T m1 app=a1", "2025-03-30T13:39:00Z", time.Minute),
			want:   []string{"high-churn application:a1 count=501"}},
	})
}

func TestInactiveMembers(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "30 days without login", rule: "inactive-members", events: []string{
			"UserLoggedIn@2025-05-01T09:00:00Z m1 outcome=success",
			"UserLoggedIn@2025-05-20T09:00:00Z m2 outcome=success",
		}, end: "2025-06-01T00:00:00Z", want: []string{"inactive-members member:m1 count=1"}},
		{name: "not yet", rule: "inactive-members", events: []string{"UserLoggedIn@2025-05-01T09:00:00Z m1 outcome=success"},
			end: "2025-05-31T08:59:00Z"},
		{name: "a later login, out of order, wins", rule: "inactive-members", events: []string{
			"UserLoggedIn@2025-05-20T09:00:00Z m1 outcome=success",
			"UserLoggedIn@2025-05-01T09:00:00Z m1 outcome=success",
		}, end: "2025-06-01T00:00:00Z"},
	})
	// Emitted once however often the watermark moves.
	e := mustEngine(t, mustRules(t, nil, "inactive-members"))
	ev := tev(t, 0, "UserLoggedIn@2025-05-01T09:00:00Z m1 outcome=success")
	e.Process(&ev)
	var got []Alert
	for d := 29; d < 40; d++ {
		got = append(got, e.Advance(ev.Time.Add(time.Duration(d)*24*time.Hour))...)
	}
	if len(got) != 1 || got[0].Window.End != ev.Time.Add(30*24*time.Hour) {
		t.Errorf("alerts over 11 days = %+v, want one ending 30 days after the login", got)
	}
}

func TestDeactivatedActivity(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "described vocabulary", rule: "deactivated-activity", events: []string{
			"MemberDeactivated@2025-06-10T10:00:00Z admin targetMemberId=m5",
			"ExportExecuted@2025-06-10T10:01:00Z m5 app=a1",
			"ExportExecuted@2025-06-10T10:02:00Z m5 app=a1",
		}, want: []string{"deactivated-activity actor:m5 count=1"}},
		{name: "public vocabulary, reactivated", rule: "deactivated-activity", events: []string{
			"UserDeactivated@2025-06-10T10:00:00Z admin id=m6",
			"UserLoggedIn@2025-06-10T10:05:00Z m6 outcome=failure",
			"UserReactivated@2025-06-10T10:10:00Z admin id=m6",
			"UserLoggedIn@2025-06-10T10:15:00Z m6 outcome=success",
		}, want: []string{"deactivated-activity actor:m6 count=1"}},
		{name: "activity before the deactivation", rule: "deactivated-activity", events: []string{
			"MemberDeactivated@2025-06-10T10:00:00Z admin targetMemberId=m5",
			"BlockModified@2025-06-10T09:59:00Z m5 app=a1",
		}},
	})
}

// TestDeactivatedWithinLateness: the same as a stream, reactivation
// arriving before the deactivation it ends, within the lateness.
func TestDeactivatedWithinLateness(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "reactivation before deactivation", rule: "deactivated-activity", events: []string{
			"UserLoggedIn@2025-06-10T11:08:00Z m6 outcome=success",
			"UserReactivated@2025-06-10T11:05:00Z admin id=m6",
			"UserDeactivated@2025-06-10T11:00:00Z admin id=m6",
		}},
		{name: "activity before deactivation and reactivation", rule: "deactivated-activity", events: []string{
			"UserLoggedIn@2025-06-10T11:03:00Z m6 outcome=success",
			"UserReactivated@2025-06-10T11:05:00Z admin id=m6",
			"UserDeactivated@2025-06-10T11:00:00Z admin id=m6",
		}, want: []string{"deactivated-activity actor:m6 count=1"}},
		{name: "deactivated again", rule: "deactivated-activity", events: []string{
			"UserLoggedIn@2025-06-10T11:08:00Z m6 outcome=success",
			"UserDeactivated@2025-06-10T11:06:00Z admin id=m6",
			"UserReactivated@2025-06-10T11:05:00Z admin id=m6",
			"UserDeactivated@2025-06-10T11:00:00Z admin id=m6",
		}, want: []string{"deactivated-activity actor:m6 count=1"}},
		{name: "email only", rule: "deactivated-activity", events: []string{
			"UserLoggedIn@2025-06-10T11:08:00Z m6 outcome=success",
			"MemberDeactivated@2025-06-10T11:00:00Z admin email=m6@example.com",
		}, want: []string{"deactivated-activity actor:m6 count=1"}},
		{name: "the admin who deactivated is not flagged", rule: "deactivated-activity", events: []string{
			"MemberDeactivated@2025-06-10T11:00:00Z admin targetMemberId=m6",
			"BlockModified@2025-06-10T11:08:00Z admin app=a1",
		}},
		{name: "a deactivation months ago still holds", rule: "deactivated-activity", events: []string{
			"MemberDeactivated@2025-03-10T11:00:00Z admin targetMemberId=m6",
			"BlockModified@2025-06-10T11:08:00Z m1 app=a1",
			"BlockModified@2025-06-10T11:09:00Z m6 app=a1",
		}, want: []string{"deactivated-activity actor:m6 count=1"}},
	})
}

func TestExportBurst(t *testing.T) {
	runCases(t, []ruleCase{
		{name: "21 exports", rule: "export-burst", events: repeat(21, "ExportExecuted@T m1 app=a1", "2025-06-10T10:00:00Z", time.Minute),
			want: []string{"export-burst actor:m1 count=21"}},
		{name: "20 exports", rule: "export-burst", events: repeat(20, "ExportExecuted@T m1 app=a1", "2025-06-10T10:00:00Z", time.Minute)},
	})
}

// reversed returns a reversed copy of s.
func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
