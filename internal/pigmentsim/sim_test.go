package pigmentsim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testKey         = "test-key"
	testMetadataKey = "test-metadata-key"
)

var t0 = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

// mustSim starts a simulator on a real HTTP server with a fake clock at t0.
func mustSim(tb testing.TB, cfg Config) (*Sim, *httptest.Server, *ManualClock) {
	tb.Helper()
	clk := NewManualClock(t0)
	cfg.APIKey, cfg.MetadataAPIKey = testKey, testMetadataKey
	cfg.Clock = clk.Now
	s, err := New(cfg)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(s.Handler())
	tb.Cleanup(srv.Close)
	return s, srv, clk
}

// get sends a GET authenticated with the key of path's API (the metadata
// key under /api/v1/, else the audit key) and returns the status and body.
func get(tb testing.TB, srv *httptest.Server, path string, params url.Values) (int, []byte, http.Header) {
	tb.Helper()
	key := testKey
	if strings.HasPrefix(path, "/api/v1/") {
		key = testMetadataKey
	}
	return getWith(tb, srv, key, path, params)
}

// getWith sends a GET with key as the bearer token.
func getWith(tb testing.TB, srv *httptest.Server, key, path string, params url.Values) (int, []byte, http.Header) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path+"?"+params.Encode(), nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := srv.Client().Do(req)
	if err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body) // truncated bodies end in an error; callers check the bytes
	return resp.StatusCode, body, resp.Header
}

// page is a decoded events page of either shape.
type page struct {
	Events []struct {
		EventID            string    `json:"eventId"`
		EventType          string    `json:"eventType"`
		IngestionTimestamp time.Time `json:"ingestionTimestamp"`
		EventTimestamp     time.Time `json:"eventTimestamp"`
	} `json:"events"`
	Pagination *struct {
		NextCursor *string `json:"nextCursor"`
	} `json:"pagination"`
	NextEventsCursor *string `json:"nextEventsCursor"`
}

func (p page) next() string {
	switch {
	case p.Pagination != nil && p.Pagination.NextCursor != nil:
		return *p.Pagination.NextCursor
	case p.NextEventsCursor != nil:
		return *p.NextEventsCursor
	}
	return ""
}

func fetchPage(tb testing.TB, srv *httptest.Server, since time.Time, cursor string) page {
	tb.Helper()
	v := url.Values{"ingestedSince": {since.Format(time.RFC3339Nano)}}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	status, body, _ := get(tb, srv, "/api/audit/v1/events", v)
	if status != http.StatusOK {
		tb.Fatalf("events: status %d: %s", status, body)
	}
	var p page
	if err := json.Unmarshal(body, &p); err != nil {
		tb.Fatalf("decode page: %v", err)
	}
	return p
}

// fetchAll pages through one run; between pages it calls between (may be nil).
func fetchAll(tb testing.TB, srv *httptest.Server, since time.Time, between func()) (ids []string, ingested []time.Time, pages int) {
	tb.Helper()
	cursor := ""
	for {
		p := fetchPage(tb, srv, since, cursor)
		pages++
		for _, e := range p.Events {
			ids = append(ids, e.EventID)
			ingested = append(ingested, e.IngestionTimestamp)
		}
		if cursor = p.next(); cursor == "" {
			return ids, ingested, pages
		}
		if between != nil {
			between()
		}
	}
}

func sameSet(tb testing.TB, got, want []string) {
	tb.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if len(slices.Compact(slices.Clone(g))) != len(g) {
		tb.Errorf("got duplicate event IDs")
	}
	if !slices.Equal(g, w) {
		tb.Errorf("got %d events, want %d (sets differ)", len(g), len(w))
	}
}

func TestPagingReturnsEveryVisibleEventOnce(t *testing.T) {
	tests := []struct{ shape, order string }{
		{ShapeDescribed, OrderDesc},
		{ShapeDescribed, OrderAsc},
		{ShapePublic, OrderDesc},
		{ShapePublic, OrderAsc},
	}
	for _, tt := range tests {
		t.Run(tt.shape+"/"+tt.order, func(t *testing.T) {
			s, srv, clk := mustSim(t, Config{
				Seed: 7, Shape: tt.shape, Order: tt.order, PageSize: 333,
				History: 3 * time.Hour, HistoryEvents: 4000, LateFraction: 0.1,
			})
			clk.Add(10 * time.Second)
			ids, ingested, pages := fetchAll(t, srv, t0.Add(-179*24*time.Hour), nil)
			sorted := slices.IsSortedFunc(ingested, func(a, b time.Time) int {
				if tt.order == OrderDesc {
					return b.Compare(a)
				}
				return a.Compare(b)
			})
			if !sorted {
				t.Errorf("events not sorted %s by ingestionTimestamp", tt.order)
			}
			sameSet(t, ids, s.VisibleIDs(clk.Now()))
			if pages < 3 {
				t.Errorf("pages = %d, want several", pages)
			}
		})
	}
}

func TestCursorStableWhileLiveEventsArrive(t *testing.T) {
	s, srv, clk := mustSim(t, Config{
		Seed: 11, Rate: 40, History: time.Hour, HistoryEvents: 2000, PageSize: 250, LateFraction: 0.2,
	})
	clk.Add(30 * time.Second)
	snapshot := clk.Now()
	want := s.VisibleIDs(snapshot)
	since := t0.Add(-2 * time.Hour)
	ids, _, _ := fetchAll(t, srv, since, func() { clk.Add(20 * time.Second) })
	sameSet(t, ids, want)

	// A new run sees what arrived meanwhile, including late-visible events.
	later, _, _ := fetchAll(t, srv, since, nil)
	sameSet(t, later, s.VisibleIDs(clk.Now()))
	if len(later) <= len(ids) {
		t.Errorf("second run got %d events, want more than the first run's %d", len(later), len(ids))
	}
}

func TestLateVisibleEventAppearsInLaterQuery(t *testing.T) {
	s, srv, clk := mustSim(t, Config{Seed: 1, LateFraction: -1})
	s.Inject(
		Injected{ID: "late", Type: "UserLoggedIn", IngestionTime: t0.Add(-10 * time.Second), VisibleAt: t0.Add(time.Minute)},
		Injected{ID: "early", Type: "BlockModified", IngestionTime: t0.Add(-5 * time.Second)},
	)
	since := t0.Add(-time.Hour)
	first, _, _ := fetchAll(t, srv, since, nil)
	if !slices.Equal(first, []string{"early"}) {
		t.Fatalf("first query = %v, want [early]", first)
	}
	clk.Add(61 * time.Second)
	second, ingested, _ := fetchAll(t, srv, since, nil)
	if !slices.Equal(second, []string{"early", "late"}) {
		t.Fatalf("second query = %v, want [early late]", second)
	}
	if !ingested[1].Before(ingested[0]) {
		t.Errorf("late event ingested at %v, want before the already served %v", ingested[1], ingested[0])
	}
}

func TestInjectedRendering(t *testing.T) {
	s, srv, _ := mustSim(t, Config{Seed: 1, Members: 3})
	m := s.ws.members[0]
	app := s.ws.apps[0]
	s.Inject(Injected{
		ID: "e1", Type: "UserAccountTypeUpdated", ActorID: m.id, ApplicationID: app.id,
		EventTime: t0.Add(-time.Minute), IngestionTime: t0.Add(-30 * time.Second),
		Payload: map[string]any{"newAccountType": "Builder"},
	})
	status, body, _ := get(t, srv, "/api/audit/v1/events", url.Values{"ingestedSince": {"2025-03-10"}})
	if status != http.StatusOK {
		t.Fatalf("status %d: %s", status, body)
	}
	var got struct {
		Events []struct {
			Actor    struct{ MemberID, Email, Name string }
			Target   struct{ ApplicationID, ApplicationName string }
			Metadata map[string]any
		}
	}
	if err := json.Unmarshal(body, &got); err != nil || len(got.Events) != 1 {
		t.Fatalf("decode %s: %v", body, err)
	}
	e := got.Events[0]
	if e.Actor.Email != m.email || e.Target.ApplicationName != app.name || e.Metadata["newAccountType"] != "Builder" {
		t.Errorf("injected event = %+v, want actor %s, application %s, payload kept", e, m.email, app.name)
	}
}
