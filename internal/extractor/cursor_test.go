package extractor_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// fakeAPIHarness is a harness whose extractor reads api instead of the
// simulator.
func fakeAPIHarness(t *testing.T) (*harness, *testkit.FakeAPI, *pigment.Client) {
	t.Helper()
	h := newHarness(t, pigmentsimDefaults())
	api := testkit.NewFakeAPI(t)
	client, err := pigment.New(pigment.Config{BaseURL: api.URL, APIKey: simKey, Logger: testLogger(t), Now: h.now,
		BaseBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond, MaxAttempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	return h, api, client
}

// TestCursorWithNULIsStored serves cursors holding "\u0000", and fails the
// second page once: the first page's commit (after Kafka took it) must store
// the cursor, and the retry resume from it without producing the page again.
// Postgres text refuses NUL: the commit failed and every retry re-produced
// the page.
func TestCursorWithNULIsStored(t *testing.T) {
	t.Parallel()
	h, api, client := fakeAPIHarness(t)
	api.Cursor = func(n int) string { return "page\x00" + strconv.Itoa(n) + "\x00\\end" }
	var failed atomic.Bool
	api.Fail = func(n int) int {
		if n == 1 && failed.CompareAndSwap(false, true) {
			return 401 // final for the client: the run fails at once
		}
		return 0
	}
	base := h.now().Add(-time.Hour)
	for i := range 5 {
		api.Add(t, "ev-"+strconv.Itoa(i), base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), "")
	}
	cfg := h.config()
	cfg.StoreRetryFor = time.Second
	x := extractor.New(cfg, client, h.pub, h.store)
	if _, err := x.CatchUp(context.Background()); err == nil {
		t.Fatal("first CatchUp succeeded, want the injected 401 on the second page")
	}
	cp, err := h.store.Load(context.Background(), "live")
	if err != nil {
		t.Fatal(err)
	}
	if cp.Run == nil || cp.Run.Cursor != api.Cursor(1) {
		t.Fatalf("after the failed run: run in progress %+v, want its cursor %q", cp.Run, api.Cursor(1))
	}
	for range 2 {
		if _, err := x.CatchUp(context.Background()); err != nil {
			t.Fatalf("CatchUp after the failure: %v", err)
		}
	}
	assertExactlyOnce(t, h.produced(), api.IDs())
}

// TestCursorCycleFailsTheRun serves next cursors that lead back to a page
// already read, straight away (A -> A) or through another (A -> B -> A):
// the run must fail with an error saying so, instead of paging the same
// pages until it is stopped.
func TestCursorCycleFailsTheRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		cursor func(n int) string
	}{
		{"page 1 leads to page 1", func(n int) string { return "again" }},
		{"A to B to A", func(n int) string { return map[bool]string{true: "A", false: "B"}[n%2 == 1] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, api, client := fakeAPIHarness(t)
			api.Cursor = tt.cursor
			base := h.now().Add(-time.Hour)
			for i := range 8 { // four pages: page 2 names a next cursor
				api.Add(t, "ev-"+strconv.Itoa(i), base.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), "")
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := extractor.New(h.config(), client, h.pub, h.store).CatchUp(ctx)
			if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "cycle") {
				t.Fatalf("CatchUp = %v (context: %v), want an error naming the cursor cycle", err, ctx.Err())
			}
			got := h.produced()
			count := map[string]int{}
			for _, id := range got {
				count[id]++
				if count[id] > 1 {
					t.Errorf("event %s produced %d times", id, count[id])
				}
			}
		})
	}
}
