package pigmentsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"testing"
	"time"
)

// fullEvent is a decoded event of either shape.
type fullEvent struct {
	EventID            string    `json:"eventId"`
	EventType          string    `json:"eventType"`
	EventTimestamp     time.Time `json:"eventTimestamp"`
	IngestionTimestamp time.Time `json:"ingestionTimestamp"`
	Actor              struct {
		MemberID, ID, Email string
		User                struct{ ID, Email string } // the public shape
	} `json:"actor"`
	Target   map[string]any `json:"target"`
	Context  map[string]any `json:"context"`
	Metadata map[string]any `json:"metadata"`
	Payload  map[string]any `json:"payload"`
}

func (e *fullEvent) actor() string { return e.Actor.MemberID + e.Actor.ID + e.Actor.User.ID }

func (e *fullEvent) body() map[string]any {
	if e.Payload != nil {
		return e.Payload
	}
	return e.Metadata
}

func (e *fullEvent) app() string {
	for _, m := range []map[string]any{e.Target, e.Context} {
		if id, ok := m["applicationId"].(string); ok {
			return id
		}
	}
	return ""
}

// fetchEvents pages through one run and decodes every event.
func fetchEvents(tb testing.TB, srv *httptest.Server, since time.Time) []fullEvent {
	tb.Helper()
	var out []fullEvent
	cursor := ""
	for {
		v := sinceParam(since)
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		status, body, _ := get(tb, srv, "/api/audit/v1/events", v)
		if status != http.StatusOK {
			tb.Fatalf("events: status %d: %s", status, body)
		}
		var p struct {
			Events []fullEvent `json:"events"`
			page
		}
		if err := json.Unmarshal(body, &p); err != nil {
			tb.Fatalf("decode page: %v", err)
		}
		out = append(out, p.Events...)
		if cursor = p.next(); cursor == "" {
			return out
		}
	}
}

// t0 is Monday 2025-03-10 12:00 UTC, so the plant day is Friday 2025-03-07.
var plantD = time.Date(2025, 3, 7, 0, 0, 0, 0, time.UTC)

func anomalyConfig(shape string) Config {
	return Config{Seed: 5, Anomalies: true, Shape: shape, History: 6 * time.Hour, HistoryEvents: 6000}
}

func TestPlantDay(t *testing.T) {
	tests := []struct{ start, want string }{
		{"2025-03-10T12:00:00Z", "2025-03-07"}, // Monday morning: last Friday
		{"2025-03-10T18:00:00Z", "2025-03-10"}, // Monday, business day over
		{"2025-03-11T17:59:59Z", "2025-03-10"},
		{"2025-03-08T10:00:00Z", "2025-03-07"}, // Saturday
		{"2025-03-09T23:00:00Z", "2025-03-07"}, // Sunday
	}
	for _, tt := range tests {
		start, _ := time.Parse(time.RFC3339, tt.start)
		if got := plantDay(start).Format(time.DateOnly); got != tt.want {
			t.Errorf("plantDay(%s) = %s, want %s", tt.start, got, tt.want)
		}
	}
}

func TestAnomaliesPlantedAreServed(t *testing.T) {
	for _, shape := range []string{ShapeDescribed, ShapePublic} {
		t.Run(shape, func(t *testing.T) {
			s, srv, clk := mustSim(t, anomalyConfig(shape))
			planted := s.Planted()
			var kinds []string
			actors := map[string]bool{}
			for _, p := range planted {
				kinds = append(kinds, p.Kind)
				actors[p.ActorID] = true
			}
			if !slices.Equal(kinds, anomalyKinds) || len(actors) != len(anomalyKinds) {
				t.Fatalf("planted kinds %v with %d distinct actors, want %v each by its own member", kinds, len(actors), anomalyKinds)
			}
			for _, c := range s.ControlActors() {
				if actors[c] {
					t.Errorf("control actor %s also plants an anomaly", c)
				}
			}

			visible := map[string]bool{}
			for _, id := range s.VisibleIDs(clk.Now()) {
				visible[id] = true
			}
			byID := map[string]*fullEvent{}
			evs := fetchEvents(t, srv, t0.Add(-30*24*time.Hour))
			var ids []string
			for i := range evs {
				byID[evs[i].EventID] = &evs[i]
				ids = append(ids, evs[i].EventID)
			}
			sameSet(t, ids, s.VisibleIDs(clk.Now()))
			for _, p := range planted {
				var got []*fullEvent
				for _, id := range p.EventIDs {
					e := byID[id]
					if !visible[id] || e == nil {
						t.Fatalf("%s: event %s not visible or not served", p.Kind, id)
					}
					if e.EventTimestamp.Before(p.From) || e.EventTimestamp.After(p.To) || e.IngestionTimestamp.Before(e.EventTimestamp) {
						t.Errorf("%s: event at %v (ingested %v) outside [%v, %v]", p.Kind, e.EventTimestamp, e.IngestionTimestamp, p.From, p.To)
					}
					if p.ApplicationID != "" && e.app() != "" && e.app() != p.ApplicationID {
						t.Errorf("%s: event in application %s, want %s", p.Kind, e.app(), p.ApplicationID)
					}
					got = append(got, e)
				}
				checkPlanted(t, s, shape, p, got)
			}
		})
	}
}

// checkPlanted checks the documented shape of one planted anomaly.
func checkPlanted(t *testing.T, s *Sim, shape string, p Planted, evs []*fullEvent) {
	t.Helper()
	types := func() (ts []string) {
		for _, e := range evs {
			ts = append(ts, e.EventType)
		}
		return slices.Compact(ts)
	}
	byActor := func() bool {
		for _, e := range evs {
			if e.actor() != p.ActorID {
				return false
			}
		}
		return true
	}
	at := func(h, m int) time.Time { return plantD.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	public := shape == ShapePublic
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: "+format, append([]any{p.Kind}, args...)...)
	}
	if p.Kind != AnomalyActivityAfterDeactivation && !byActor() {
		fail("events by other actors than %s", p.ActorID)
	}
	if p.Kind != AnomalyOffHoursLogin && (!businessHours(p.From) || !businessHours(p.To)) {
		fail("%v..%v outside business hours", p.From, p.To)
	}
	switch p.Kind {
	case AnomalyOffHoursLogin:
		if len(evs) != 2 || !p.From.Equal(at(3, 0)) || !slices.Equal(types(), []string{"UserLoggedIn", "DataModified"}) {
			fail("%d events %v from %v", len(evs), types(), p.From)
		}
	case AnomalyFailedLogins:
		failures := 0
		for _, e := range evs[:15] {
			if e.body()["outcome"] == "failure" {
				failures++
			}
		}
		if len(evs) != 16 || failures != 15 || evs[15].body()["outcome"] != "success" || p.To.Sub(p.From) != 5*time.Minute {
			fail("%d events, %d failures, last %v, over %v", len(evs), failures, evs[len(evs)-1].body()["outcome"], p.To.Sub(p.From))
		}
	case AnomalyBulkDeletion:
		if len(evs) != 25 || !slices.Equal(types(), []string{"BlockDeleted"}) || p.To.Sub(p.From) > 5*time.Minute || p.ApplicationID == "" {
			fail("%d events %v over %v", len(evs), types(), p.To.Sub(p.From))
		}
	case AnomalyPrivilegeEscalation:
		b := evs[0].body()
		wantType, prev, next, target := "RoleChanged", b["previousRole"], b["newRole"], b["targetMemberId"]
		if public {
			wantType, prev, next, target = "UserAccountTypeUpdated", b["previousAccountType"], b["newAccountType"], b["userId"]
		}
		if len(evs) != 1 || evs[0].EventType != wantType || prev != "Standard Member" || next != "Workspace Admin" || target != p.ActorID {
			fail("%s %v", evs[0].EventType, b)
		}
	case AnomalyExportBurst:
		if len(evs) != 40 || !slices.Equal(types(), []string{"ExportExecuted"}) || p.To.Sub(p.From) > 10*time.Minute {
			fail("%d events %v over %v", len(evs), types(), p.To.Sub(p.From))
		}
	case AnomalyActivityAfterDeactivation:
		wantTypes, target := []string{"MemberDeactivated", "UserLoggedIn", "ApplicationAccessed"}, evs[0].body()["targetMemberId"]
		if public {
			wantTypes[0], target = "UserDeactivated", evs[0].body()["id"]
		}
		if !slices.Equal(types(), wantTypes) || target != p.ActorID || evs[0].actor() == p.ActorID ||
			evs[1].actor() != p.ActorID || evs[2].actor() != p.ActorID {
			fail("%v, target %v", types(), target)
		}
	case AnomalyUnusualLocation:
		m := s.ws.members[s.ws.byMember[p.ActorID]]
		b := evs[0].body()
		if len(evs) != 2 || evs[0].EventType != "UserLoggedIn" || b["country"] == countries[m.country] ||
			slices.Contains(countries, b["country"].(string)) || b["ipAddress"] == m.ip {
			fail("%d events, login %v", len(evs), b)
		}
	case AnomalyBroadAccess:
		apps := map[string]bool{}
		for _, e := range evs {
			apps[e.app()] = true
		}
		if len(apps) != len(s.ws.apps) || !slices.Equal(types(), []string{"ApplicationAccessed"}) {
			fail("%d applications, %v", len(apps), types())
		}
	case AnomalyActivitySpike:
		normal := float64(s.cfg.HistoryEvents) * float64(10*time.Minute) / float64(s.plan.total)
		if len(evs) < 100 || float64(len(evs)) < 9.5*normal || p.To.Sub(p.From) >= 10*time.Minute || !p.From.Equal(at(16, 0)) {
			fail("%d events (normal %.0f per 10 min) over %v", len(evs), normal, p.To.Sub(p.From))
		}
	case AnomalySecurityChange:
		if len(evs) != 1 || evs[0].EventType != "APIKeyCreated" {
			fail("%v", types())
		}
	}
}

// TestAnomaliesQuietMembers checks that the backlog is confined to business
// hours, and that control and planted members never act outside business
// hours (live stream included) nor do anything unusual besides the planted
// events.
func TestAnomaliesQuietMembers(t *testing.T) {
	cfg := anomalyConfig(ShapeDescribed)
	cfg.Rate = 0.2
	s, srv, clk := mustSim(t, cfg)
	clk.Add(11 * time.Hour) // live events until Monday 23:00
	planted := map[string]bool{}
	quiet := map[string]bool{}
	for _, p := range s.Planted() {
		quiet[p.ActorID] = true
		for _, id := range p.EventIDs {
			planted[id] = true
		}
	}
	control := map[string]bool{}
	for _, id := range s.ControlActors() {
		control[id], quiet[id] = true, true
	}
	if len(control) != controlActors {
		t.Fatalf("ControlActors() = %v, want %d members", s.ControlActors(), controlActors)
	}
	deact := s.ws.members[s.plan.deact].id

	evs := fetchEvents(t, srv, t0.Add(-30*24*time.Hour))
	benign := map[string]bool{}
	for _, k := range benignKinds {
		benign[kinds[k].described] = true
	}
	controlApps := map[string]map[string]bool{}
	var offHoursLive, controlEvents int
	for _, e := range evs {
		inHours := businessHours(e.EventTimestamp)
		if !e.IngestionTimestamp.After(t0) && !inHours && !planted[e.EventID] {
			t.Errorf("backlog event %s %s at %v outside business hours", e.EventID, e.EventType, e.EventTimestamp)
		}
		if e.IngestionTimestamp.After(t0) && !inHours {
			offHoursLive++
		}
		if planted[e.EventID] {
			continue
		}
		a := e.actor()
		if quiet[a] && !inHours {
			t.Errorf("quiet member %s acts at %v", a, e.EventTimestamp)
		}
		if a == deact && !e.EventTimestamp.Before(time.Unix(0, s.plan.deactAt)) {
			t.Errorf("deactivated member acts at %v", e.EventTimestamp)
		}
		if !control[a] {
			continue
		}
		controlEvents++
		m := s.ws.members[s.ws.byMember[a]]
		b := e.body()
		if !benign[e.EventType] || b["outcome"] == "failure" ||
			b["country"] != nil && b["country"] != countries[m.country] || b["ipAddress"] != nil && b["ipAddress"] != m.ip {
			t.Errorf("control member %s: %s %v", a, e.EventType, b)
		}
		if controlApps[a] == nil {
			controlApps[a] = map[string]bool{}
		}
		if app := e.app(); app != "" {
			controlApps[a][app] = true
		}
		if tg, ok := b["targetMemberId"].(string); ok && quiet[tg] {
			t.Errorf("quiet member %s is the target of %s", tg, e.EventType)
		}
	}
	for a, apps := range controlApps {
		if len(apps) > 2 {
			t.Errorf("control member %s uses %d applications, want at most 2", a, len(apps))
		}
	}
	if controlEvents < 50 || offHoursLive == 0 {
		t.Errorf("%d control events, %d off-hours live events; want many and some", controlEvents, offHoursLive)
	}
}

func TestAnomaliesDeterministic(t *testing.T) {
	run := func(seed int64) ([]Planted, []string, []byte) {
		cfg := anomalyConfig(ShapePublic)
		cfg.Seed = seed
		s, srv, _ := mustSim(t, cfg)
		_, body, _ := get(t, srv, "/api/audit/v1/events", sinceParam(t0.Add(-30*24*time.Hour)))
		return s.Planted(), s.ControlActors(), body
	}
	p1, c1, b1 := run(8)
	p2, c2, b2 := run(8)
	p3, c3, _ := run(9)
	if !reflect.DeepEqual(p1, p2) || !slices.Equal(c1, c2) || string(b1) != string(b2) {
		t.Errorf("same seed gave different anomalies, controls or pages")
	}
	if reflect.DeepEqual(p1, p3) || slices.Equal(c1, c3) {
		t.Errorf("different seeds gave the same anomalies and controls")
	}
}

func TestAnomaliesExtendShortHistory(t *testing.T) {
	cfg := anomalyConfig(ShapeDescribed)
	cfg.History, cfg.HistoryEvents = time.Hour, 3000
	s, _, _ := mustSim(t, cfg)
	if got := time.Unix(0, s.plan.from).UTC(); !got.Equal(plantD) {
		t.Errorf("backlog starts at %v, want %v", got, plantD)
	}
	var friday int
	for _, e := range s.st.evs {
		at := time.Unix(0, e.ingest).UTC()
		if !e.injected() && at.Weekday() == time.Friday {
			friday++
		}
	}
	if friday < 1500 { // Friday holds about 9 of the 12 business hours
		t.Errorf("%d of 3000 backlog events on the plant day, want most", friday)
	}
}

func TestAnomaliesOff(t *testing.T) {
	s, _, _ := mustSim(t, Config{Seed: 5, History: time.Hour, HistoryEvents: 100})
	if s.Planted() != nil || s.ControlActors() != nil || s.ws.plan != nil {
		t.Errorf("Anomalies off: Planted %v, ControlActors %v, want nil", s.Planted(), s.ControlActors())
	}
	if _, err := New(Config{APIKey: "k", Members: 10, Anomalies: true}); err == nil {
		t.Errorf("New with Anomalies and 10 members = nil error, want one")
	}
}
