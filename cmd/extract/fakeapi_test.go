package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAPI serves a fixed list of events the way the audit API does: newest
// first by ingestionTimestamp, filtered by ingestedSince, pageSize per page.
// Unlike the simulator it serves each event's bytes exactly as given, so
// tests can choose timestamps' precision, odd bytes and odd cursors.
type fakeAPI struct {
	mu     sync.Mutex
	events []fakeEvent
	// pageSize is the number of events per page (default 2).
	pageSize int
	// cursor names the cursor of page n (default "c<n>"); it may hold any
	// string, NUL included.
	cursor func(n int) string
	url    string
}

// fakeEvent is one served event: raw JSON, and the ingestion time it holds.
type fakeEvent struct {
	id        string
	ingestion time.Time
	raw       string
}

func newFakeAPI(t testing.TB) *fakeAPI {
	t.Helper()
	f := &fakeAPI{pageSize: 2}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.url = srv.URL
	return f
}

// add serves an event whose ingestionTimestamp is the string ingestion,
// with extra JSON members (may be empty) appended to its object.
func (f *fakeAPI) add(t testing.TB, id, ingestion, extra string) {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, ingestion)
	if err != nil {
		t.Fatal(err)
	}
	raw := `{"eventId":"` + id + `","eventType":"UserLoggedIn","ingestionTimestamp":"` + ingestion +
		`","actor":{"memberId":"m-` + id + `"}` + extra + `}`
	f.addRaw(id, at, raw)
}

func (f *fakeAPI) addRaw(id string, at time.Time, raw string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fakeEvent{id: id, ingestion: at, raw: raw})
}

func (f *fakeAPI) ids() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, e := range f.events {
		ids = append(ids, e.id)
	}
	return ids
}

func (f *fakeAPI) cursorOf(n int) string {
	if f.cursor != nil {
		return f.cursor(n)
	}
	return "c" + strconv.Itoa(n)
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	since, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("ingestedSince"))
	if err != nil {
		http.Error(w, `{"error":"bad ingestedSince"}`, http.StatusBadRequest)
		return
	}
	page := 0
	if c := r.URL.Query().Get("cursor"); c != "" {
		page = -1
		for n := 1; n < 10_000; n++ {
			if f.cursorOf(n) == c {
				page = n
				break
			}
		}
		if page < 0 {
			http.Error(w, `{"error":"invalid cursor"}`, http.StatusBadRequest)
			return
		}
	}
	var match []fakeEvent
	for _, e := range f.events {
		if !e.ingestion.Before(since) {
			match = append(match, e)
		}
	}
	sort.SliceStable(match, func(i, j int) bool { return match[i].ingestion.After(match[j].ingestion) })
	lo := min(page*f.pageSize, len(match))
	hi := min(lo+f.pageSize, len(match))
	raws := make([]string, 0, hi-lo)
	for _, e := range match[lo:hi] {
		raws = append(raws, e.raw)
	}
	next := []byte("null")
	if hi < len(match) {
		next, _ = json.Marshal(f.cursorOf(page + 1))
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"events":[` + strings.Join(raws, ",") + `],"nextEventsCursor":` + string(next) + `}`))
}

// env is the environment of an extract process reading this API.
func (f *fakeAPI) env(s *stack, overrides map[string]string) map[string]string {
	e := s.env(overrides)
	e["PIGMENT_API_URL"] = f.url
	return e
}
