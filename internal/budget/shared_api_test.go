package budget

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// timedLimiter is a Budget that records the longest Wait.
type timedLimiter struct {
	*Budget
	mu      sync.Mutex
	longest time.Duration
}

func (l *timedLimiter) Wait(ctx context.Context) error {
	start := time.Now()
	err := l.Budget.Wait(ctx)
	l.mu.Lock()
	l.longest = max(l.longest, time.Since(start))
	l.mu.Unlock()
	return err
}

// TestInventoryBesideLiveExtractor runs a whole inventory (the Metadata API,
// its own key, class Background) beside a live extractor polling events
// (the audit key, class Live) against one simulated API whose rate limit,
// like Pigment's, counts both: the budget of ForAPI(url) keeps them under
// it together (zero 429s), and the live extractor never finds the budget
// full (Held: a count, not a timing, so a loaded machine cannot fail it).
func TestInventoryBesideLiveExtractor(t *testing.T) {
	t.Parallel()
	url := mustDB(t)
	const limit, window = 40, time.Second
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: 11, APIKey: "audit-key", MetadataAPIKey: "metadata-key",
		History: time.Hour, HistoryEvents: 200, RateLimit: limit, RateWindow: window})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)

	// The live extractor polls 10 times a second, a quarter of the limit;
	// its reserve covers that pace (PIGMENT_RATE_RESERVE's default is twice
	// the default poll share), so the inventory never holds it back.
	cfg := Config{Key: ForAPI(srv.URL), Limit: limit, Window: window + 100*time.Millisecond, Reserve: 12, Poll: 20 * time.Millisecond}
	live := &timedLimiter{Budget: mustBudget(t, mustPool(t, url), cfg)}
	cfg.Class = Background
	inventory := mustBudget(t, mustPool(t, url), cfg)

	events, err := pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: "audit-key", Limiter: live})
	if err != nil {
		t.Fatal(err)
	}
	meta, err := pigment.NewMetadata(pigment.MetadataConfig{BaseURL: srv.URL, APIKey: "metadata-key", Limiter: inventory})
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	stopLive := make(chan struct{})
	var wg sync.WaitGroup
	var polls int
	var liveErr error
	wg.Go(func() { // the live extractor: a page every 100ms
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, liveErr = events.FetchPage(ctx, time.Now().Add(-2*time.Hour), ""); liveErr != nil {
				return
			}
			polls++
			select {
			case <-stopLive:
				return
			case <-tick.C:
			}
		}
	})

	start := time.Now()
	blocks, imports := 0, 0
	apps, err := meta.Applications(ctx)
	for _, a := range apps {
		if err != nil {
			break
		}
		var bs []pigment.Block
		if bs, err = meta.Blocks(ctx, a.ID); err == nil {
			blocks += len(bs)
			var is []pigment.ImportConfiguration
			is, err = meta.ImportConfigurations(ctx, a.ID, bs[0].ID)
			imports += len(is)
		}
	}
	took := time.Since(start)
	close(stopLive)
	wg.Wait()
	if err != nil || liveErr != nil {
		t.Fatalf("inventory: %v; live: %v", err, liveErr)
	}

	want := sim.Metadata(time.Now())
	wantBlocks := 0
	for _, a := range want {
		wantBlocks += len(a.Blocks)
	}
	st := sim.Stats()
	t.Logf("inventory of %d applications, %d blocks: %d requests in %v beside %d live polls; longest live wait %v",
		len(apps), blocks, 1+2*len(apps), took, polls, live.longest)
	if len(apps) != len(want) || blocks != wantBlocks {
		t.Errorf("inventory read %d applications, %d blocks; the sim has %d, %d", len(apps), blocks, len(want), wantBlocks)
	}
	if st.RateLimited != 0 {
		t.Errorf("the API answered %d 429s, want none", st.RateLimited)
	}
	if n := live.Held(); n != 0 {
		t.Errorf("the live extractor was held back by the budget %d times (longest wait %v), want never", n, live.longest)
	}
	if took < 2*window {
		t.Errorf("the inventory took %v for %d requests at %d per %v: the budget did not pace it", took, 1+2*len(apps), limit, window)
	}
}
