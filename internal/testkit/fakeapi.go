package testkit

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

// FakeAPI serves a fixed list of events the way the audit API does: newest
// first by ingestionTimestamp, filtered by ingestedSince, pageSize per page.
// Unlike the simulator it serves each event's bytes exactly as given, so
// tests can choose timestamps' precision, odd bytes and odd cursors.
type FakeAPI struct {
	mu     sync.Mutex
	events []fakeEvent
	// PageSize is the number of events per page (default 2).
	PageSize int
	// Cursor names the cursor of page n (default "c<n>"); it may hold any
	// string, NUL included. Set it before the first request.
	Cursor func(n int) string
	// Fail, when set, may answer a request for page n with an HTTP status
	// instead (0: serve the page).
	Fail func(n int) int
	// URL is the server's base URL.
	URL string
}

// fakeEvent is one served event: raw JSON, and the ingestion time it holds.
type fakeEvent struct {
	id        string
	ingestion time.Time
	raw       string
}

// NewFakeAPI starts a FakeAPI over HTTP for the test's duration.
func NewFakeAPI(t testing.TB) *FakeAPI {
	t.Helper()
	f := &FakeAPI{PageSize: 2}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Add serves an event whose ingestionTimestamp is the string ingestion,
// with extra JSON members (may be empty) appended to its object.
func (f *FakeAPI) Add(t testing.TB, id, ingestion, extra string) {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, ingestion)
	if err != nil {
		t.Fatal(err)
	}
	raw := `{"eventId":"` + id + `","eventType":"UserLoggedIn","ingestionTimestamp":"` + ingestion +
		`","actor":{"memberId":"m-` + id + `"}` + extra + `}`
	f.AddRaw(id, at, raw)
}

// AddRaw serves raw as the bytes of an event with the given ID and ingestion
// time (the raw bytes are served as they are, valid JSON or not).
func (f *FakeAPI) AddRaw(id string, at time.Time, raw string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, fakeEvent{id: id, ingestion: at, raw: raw})
}

// IDs returns the IDs of every event served, in the order added.
func (f *FakeAPI) IDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, e := range f.events {
		ids = append(ids, e.id)
	}
	return ids
}

func (f *FakeAPI) cursorOf(n int) string {
	if f.Cursor != nil {
		return f.Cursor(n)
	}
	return "c" + strconv.Itoa(n)
}

func (f *FakeAPI) serve(w http.ResponseWriter, r *http.Request) {
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
	if f.Fail != nil {
		if code := f.Fail(page); code != 0 {
			http.Error(w, `{"error":"failure injected by the test"}`, code)
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
	lo := min(page*f.PageSize, len(match))
	hi := min(lo+f.PageSize, len(match))
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
