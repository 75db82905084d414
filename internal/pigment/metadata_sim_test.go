package pigment

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// mustSim starts a simulator on a real HTTP server, its clock standing at
// testNow.
func mustSim(tb testing.TB, cfg pigmentsim.Config) (*pigmentsim.Sim, *httptest.Server, *pigmentsim.ManualClock) {
	tb.Helper()
	clk := pigmentsim.NewManualClock(testNow)
	cfg.APIKey, cfg.MetadataAPIKey, cfg.Clock = testKey, testMetadataKey, clk.Now
	sim, err := pigmentsim.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	tb.Cleanup(srv.Close)
	return sim, srv, clk
}

func TestMetadataClientAgainstSim(t *testing.T) {
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		t.Run(shape, func(t *testing.T) {
			sim, srv, clk := mustSim(t, pigmentsim.Config{Seed: 7, Shape: shape, MetadataChangeEvery: time.Hour})
			clk.Add(2 * time.Hour) // after a rename and a deletion
			c, _ := mustMetadataClient(t, srv, nil)
			ctx := t.Context()
			want := sim.Metadata(clk.Now())
			apps, err := c.Applications(ctx)
			if err != nil {
				t.Fatalf("Applications: %v", err)
			}
			if len(apps) != len(want) {
				t.Fatalf("Applications = %d, want the sim's %d", len(apps), len(want))
			}
			var blocks, imports, views, wantBlocks, wantImports, wantViews int
			for i, a := range apps {
				w := want[i]
				if a.ID != w.ID || a.Name != w.Name || (a.CreatedAt != "") != (shape == pigmentsim.ShapeDescribed) {
					t.Fatalf("application %d = %+v, want %s %q", i, a, w.ID, w.Name)
				}
				bs, err := c.Blocks(ctx, a.ID)
				if err != nil {
					t.Fatalf("Blocks(%s): %v", a.ID, err)
				}
				blocks, wantBlocks = blocks+len(bs), wantBlocks+len(w.Blocks)
				for j, b := range bs {
					wb := w.Blocks[min(j, len(w.Blocks)-1)]
					dims := b.HasDimensions && slices.Equal(b.Dimensions, wb.Dimensions)
					if b.ID != wb.ID || b.Name != wb.Name || b.Type != wb.Type || dims != (shape == pigmentsim.ShapeDescribed) {
						t.Fatalf("block %d of %s = %+v, want %+v (dimensions in the described shape only)", j, a.ID, b, wb)
					}
					if j%7 != 0 { // imports and views of a sample of blocks
						continue
					}
					is, err1 := c.ImportConfigurations(ctx, a.ID, b.ID)
					vs, err2 := c.Views(ctx, a.ID, b.ID)
					if err := errors.Join(err1, err2); err != nil {
						t.Fatal(err)
					}
					imports, views = imports+len(is), views+len(vs)
					wantImports, wantViews = wantImports+len(wb.ImportConfigurations), wantViews+len(wb.Views)
				}
			}
			if blocks != wantBlocks || imports != wantImports || views != wantViews || wantImports == 0 || wantViews == 0 {
				t.Errorf("read %d blocks, %d imports, %d views; the sim has %d, %d, %d", blocks, imports, views,
					wantBlocks, wantImports, wantViews)
			}
		})
	}
}

func TestMetadataClientThrottled(t *testing.T) {
	sim, srv, clk := mustSim(t, pigmentsim.Config{Seed: 8, RateLimit: 4, RateWindow: time.Minute})
	var waits, throttled int
	limiter := &fakeLimiter{
		wait: func(context.Context) error { waits++; return nil },
		throttled: func(_ context.Context, retryAfter time.Duration) error {
			throttled++
			clk.Add(time.Minute) // the window the budget waits out
			return nil
		},
	}
	c, rec := mustMetadataClient(t, srv, func(cfg *Config) { cfg.Limiter = limiter })
	apps, err := c.Applications(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range apps[:6] { // 7 requests through a window of 4
		if _, err := c.Blocks(t.Context(), a.ID); err != nil {
			t.Fatalf("Blocks: %v", err)
		}
	}
	if st := sim.Stats(); throttled != 1 || waits != 8 || st.RateLimited != 1 {
		t.Errorf("throttled %d, waits %d, sim answered %d 429s; want 1, 8 (7 requests and one retry), 1", throttled, waits, st.RateLimited)
	}
	if got := rec.observed(); got != "200 200 200 200 429 200 200 200" {
		t.Errorf("statuses %q, want four 200s, a 429, then 200s", got)
	}
}
