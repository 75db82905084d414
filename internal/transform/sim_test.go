package transform

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

var simNow = time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)

// mustSimEvents returns up to n realistic events rendered by the simulator
// in shape (pigmentsim.ShapeDescribed or ShapePublic), newest first.
func mustSimEvents(tb testing.TB, shape string, n int) [][]byte {
	tb.Helper()
	sim, err := pigmentsim.New(pigmentsim.Config{
		Seed: 7, APIKey: "k", Shape: shape, History: 6 * time.Hour, HistoryEvents: n,
		PageSize: n, LateFraction: -1, Clock: func() time.Time { return simNow },
	})
	if err != nil {
		tb.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/audit/v1/events?ingestedSince="+simNow.Add(-24*time.Hour).Format(time.RFC3339), nil)
	req.Header.Set("Authorization", "Bearer k")
	rec := httptest.NewRecorder()
	sim.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("simulator answered %d: %s", rec.Code, rec.Body)
	}
	var page struct{ Events []json.RawMessage }
	if err := json.Unmarshal(rec.Body.Bytes(), &page); err != nil {
		tb.Fatal(err)
	}
	out := make([][]byte, len(page.Events))
	for i, e := range page.Events {
		out[i] = e
	}
	if len(out) == 0 {
		tb.Fatal("simulator returned no events")
	}
	return out
}

// mustSimEvent returns a realistic simulator event of the given type.
func mustSimEvent(tb testing.TB, shape, typ string) []byte {
	tb.Helper()
	for _, raw := range mustSimEvents(tb, shape, 2000) {
		var e struct{ EventType string }
		if json.Unmarshal(raw, &e) == nil && e.EventType == typ {
			return raw
		}
	}
	tb.Fatalf("no %s event in the simulator's %s output", typ, shape)
	return nil
}

// TestParseSimEvents checks Parse against encoding/json on every event the
// simulator renders, in both envelopes.
func TestParseSimEvents(t *testing.T) {
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		for _, raw := range mustSimEvents(t, shape, 3000) {
			ev, err := event.Parse(raw, event.KindEvent)
			if err != nil {
				t.Fatalf("event.Parse(%s) error %v", raw, err)
			}
			got := [...]string{ev.ID, ev.Type, ev.ActorID, ev.ActorEmail, ev.ActorName, ev.AppID, ev.AppName}
			want := wantFields(t, raw, shape)
			if got != want {
				t.Errorf("Parse(%s) = %q, want %q", raw, got, want)
			}
			if ev.Time.IsZero() || ev.Ingested.IsZero() || ev.Ingested.Before(ev.Time) {
				t.Errorf("Parse(%s) times = %v, %v, want both set, ingestion after event", raw, ev.Time, ev.Ingested)
			}
		}
	}
}

// wantFields decodes raw with encoding/json into the fields Parse picks.
func wantFields(tb testing.TB, raw []byte, shape string) [7]string {
	var e struct {
		EventID, EventType string
		Actor              struct {
			MemberID, ID, Email, Name string
			User                      struct{ ID, Email, Name string } // the public shape
		}
		Target, Context struct{ ApplicationID, ApplicationName string }
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		tb.Fatal(err)
	}
	if shape == pigmentsim.ShapePublic {
		return [...]string{e.EventID, e.EventType, e.Actor.User.ID, e.Actor.User.Email, e.Actor.User.Name, e.Context.ApplicationID, e.Context.ApplicationName}
	}
	return [...]string{e.EventID, e.EventType, e.Actor.MemberID, e.Actor.Email, e.Actor.Name, e.Target.ApplicationID, e.Target.ApplicationName}
}

// TestParseSimMemberTargets: every member event the simulator renders
// (invitation, deactivation, reactivation, role or account-type change)
// names the member changed in a way Parse reads, in both envelopes, and
// Parse reads the member the event's own JSON names.
func TestParseSimMemberTargets(t *testing.T) {
	types := map[string]bool{"MemberInvited": true, "UserInvited": true, "MemberDeactivated": true, "UserDeactivated": true,
		"UserReactivated": true, "RoleChanged": true, "UserAccountTypeUpdated": true}
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		seen := map[string]int{}
		for _, raw := range mustSimEvents(t, shape, 5000) {
			var e struct {
				EventType         string
				Metadata, Payload map[string]any
			}
			if err := json.Unmarshal(raw, &e); err != nil || !types[e.EventType] {
				continue
			}
			seen[e.EventType]++
			body := e.Metadata
			wantID, wantEmail := body["targetMemberId"], body["targetEmail"]
			if shape == pigmentsim.ShapePublic {
				body = e.Payload
				wantID, wantEmail = cmpAny(body["id"], body["userId"]), cmpAny(body["email"], body["userEmail"])
			}
			ev, err := event.Parse(raw, event.KindEvent)
			if err != nil || ev.TargetID == "" || ev.TargetID != wantID || ev.TargetEmail != wantEmail {
				t.Errorf("Parse(%s) target = %q, %q, %v; want %v, %v", raw, ev.TargetID, ev.TargetEmail, err, wantID, wantEmail)
			}
		}
		if len(seen) < 4 {
			t.Errorf("%s: member event types seen %v, want at least 4 kinds", shape, seen)
		}
	}
}

// cmpAny is the first of vs that is not nil.
func cmpAny(vs ...any) any {
	for _, v := range vs {
		if v != nil {
			return v
		}
	}
	return nil
}
