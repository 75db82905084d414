package pigmentsim

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"
)

// TestActorShape: the described shape serves actor{memberId,email,name};
// the public one actor.user{id,email,name} (Pigment's public data model),
// for generated and injected events alike, known members or not.
func TestActorShape(t *testing.T) {
	for _, tc := range []struct {
		shape     string
		actorKeys []string // the actor object's keys
		userKeys  []string // the keys of actor.user, if any
		idAt      []string // path of the member id
	}{
		{ShapeDescribed, []string{"email", "memberId", "name"}, nil, []string{"memberId"}},
		{ShapePublic, []string{"type", "user"}, []string{"email", "id", "name"}, []string{"user", "id"}},
	} {
		t.Run(tc.shape, func(t *testing.T) {
			s, srv, _ := mustSim(t, Config{Seed: 4, Shape: tc.shape, History: time.Hour, HistoryEvents: 200})
			known := s.rd.w.members[0].id
			s.Inject(
				Injected{ID: "inj-known", Type: "UserLoggedIn", ActorID: known, EventTime: t0.Add(-time.Minute), IngestionTime: t0.Add(-time.Minute)},
				Injected{ID: "inj-unknown", Type: "UserLoggedIn", ActorID: "svc-x", EventTime: t0.Add(-time.Minute), IngestionTime: t0.Add(-time.Minute)},
			)
			_, body, _ := get(t, srv, "/api/audit/v1/events", sinceParam(t0.Add(-2*time.Hour)))
			var p struct {
				Events []struct {
					EventID string                     `json:"eventId"`
					Actor   map[string]json.RawMessage `json:"actor"`
				} `json:"events"`
			}
			if err := json.Unmarshal(body, &p); err != nil || len(p.Events) < 100 {
				t.Fatalf("events page: %d events, %v", len(p.Events), err)
			}
			ids := map[string]string{}
			for _, e := range p.Events {
				if got := slices.Sorted(maps.Keys(e.Actor)); !slices.Equal(got, tc.actorKeys) {
					t.Fatalf("event %s: actor keys %v, want %v", e.EventID, got, tc.actorKeys)
				}
				obj := e.Actor
				if tc.userKeys != nil {
					obj = nil
					if err := json.Unmarshal(e.Actor["user"], &obj); err != nil {
						t.Fatalf("event %s: actor.user is not an object: %s", e.EventID, e.Actor["user"])
					}
					if got := slices.Sorted(maps.Keys(obj)); !slices.Equal(got, tc.userKeys) {
						t.Fatalf("event %s: actor.user keys %v, want %v", e.EventID, got, tc.userKeys)
					}
				}
				var id string
				if err := json.Unmarshal(obj[tc.idAt[len(tc.idAt)-1]], &id); err != nil || id == "" {
					t.Fatalf("event %s: no member id at actor.%v", e.EventID, tc.idAt)
				}
				ids[e.EventID] = id
			}
			if ids["inj-known"] != known || ids["inj-unknown"] != "svc-x" {
				t.Errorf("injected events' actor ids = %q, %q; want %q, svc-x", ids["inj-known"], ids["inj-unknown"], known)
			}
		})
	}
}

// TestInjectedShape: an injected event may name its own envelope, so one
// stream can mix both (as a workspace read through two API versions would);
// the page keeps the Sim's shape.
func TestInjectedShape(t *testing.T) {
	s, srv, _ := mustSim(t, Config{Seed: 4})
	known := s.rd.w.members[0].id
	at := t0.Add(-time.Minute)
	s.Inject(
		Injected{ID: "as-public", Shape: ShapePublic, Type: "UserLoggedIn", ActorID: known, EventTime: at, IngestionTime: at},
		Injected{ID: "as-described", Shape: ShapeDescribed, Type: "UserLoggedIn", ActorID: known, EventTime: at, IngestionTime: at},
		Injected{ID: "as-sim", Type: "UserLoggedIn", ActorID: known, EventTime: at, IngestionTime: at},
	)
	_, body, _ := get(t, srv, "/api/audit/v1/events", sinceParam(t0.Add(-time.Hour)))
	var p struct {
		Events []struct {
			EventID string                     `json:"eventId"`
			Actor   map[string]json.RawMessage `json:"actor"`
			Context json.RawMessage            `json:"context"`
		} `json:"events"`
		Pagination json.RawMessage `json:"pagination"`
	}
	if err := json.Unmarshal(body, &p); err != nil || p.Pagination == nil {
		t.Fatalf("page in the described shape: %v: %s", err, body)
	}
	got := map[string]string{}
	for _, e := range p.Events {
		switch {
		case e.Actor["user"] != nil && e.Context != nil:
			got[e.EventID] = ShapePublic
		case e.Actor["memberId"] != nil && e.Context == nil:
			got[e.EventID] = ShapeDescribed
		}
	}
	want := map[string]string{"as-public": ShapePublic, "as-described": ShapeDescribed, "as-sim": ShapeDescribed}
	if !maps.Equal(got, want) {
		t.Errorf("envelopes = %v, want %v", got, want)
	}
}
