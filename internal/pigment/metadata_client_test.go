package pigment

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

const testMetadataKey = "sk-meta-SECRET-9876543210"

// mustMetadataClient returns a metadata client of baseURL with tiny
// backoffs and debug logs, which must never contain the key.
func mustMetadataClient(tb testing.TB, baseURL string, mutate func(*MetadataConfig)) (*MetadataClient, *recorder) {
	tb.Helper()
	rec := &recorder{}
	cfg := MetadataConfig{
		BaseURL: baseURL, APIKey: testMetadataKey, MaxAttempts: 3,
		BaseBackoff: time.Millisecond, MaxBackoff: 2 * time.Millisecond, RateWindow: 10 * time.Millisecond,
		Logger: zerolog.New(&rec.logs).Level(zerolog.DebugLevel), Observe: rec.observe,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := NewMetadata(cfg)
	if err != nil {
		tb.Fatalf("NewMetadata: %v", err)
	}
	tb.Cleanup(func() {
		if strings.Contains(rec.logs.String(), testMetadataKey) {
			tb.Errorf("logs contain the metadata key:\n%s", rec.logs.String())
		}
	})
	return c, rec
}

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
			c, _ := mustMetadataClient(t, srv.URL, nil)
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

func TestMetadataClientHostileAnswers(t *testing.T) {
	const appsBody = `{"applications":[{"id":"a1","name":"Revenue"}]}`
	tests := []struct {
		name     string
		answer   http.HandlerFunc
		call     func(context.Context, *MetadataClient) error
		want     []string // fragments of the error
		attempts int32
	}{
		{"proxy HTML page with 200", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<!DOCTYPE html><html><body>Sign in to continue</body></html>"))
		}, apps, []string{"list applications: giving up after 3 attempts", "HTML, not JSON"}, 3},
		{"truncated JSON", truncated(`{"applications":[{"id":"a1","name":"Revenue"},{"id":"a2","name":"Cost"}]}`),
			apps, []string{"giving up after 3 attempts", "read applications answer"}, 3},
		{"cut but well framed", okPage(`{"applications":[{"id":"a1","name":"Reven`), apps,
			[]string{"malformed metadata answer: invalid JSON: unexpected end of body", "(truncated?)"}, 3},
		{"list is an object", okPage(`{"applications":{"id":"a1"}}`), apps, []string{"applications is object, want an array"}, 3},
		{"wrong wrapper", okPage(`{"blocks":[]}`), apps, []string{"applications is absent, want an array"}, 3},
		{"top level string", okPage(`"ok"`), apps, []string{"top level is string"}, 3},
		{"empty body", okPage(``), apps, []string{"empty body"}, 3},
		{"id of the wrong type", okPage(`[{"id":12,"name":"x"}]`), apps, []string{"element 1 of applications: id is a number, want a string"}, 3},
		{"missing name", okPage(`[{"id":"a"},{"id":"b"}]`), apps, []string{"element 1 of applications: name is missing"}, 3},
		{"element not an object", okPage(`{"applications":[{"id":"a","name":"n"},null]}`), apps, []string{"element 2 of applications: null, want an object"}, 3},
		{"dimensions of the wrong type", okPage(`{"blocks":[{"id":"b","name":"M","type":"Metric","dimensions":"Month"}]}`),
			blocks, []string{`list blocks of application "a1"`, "dimensions is string, want an array of strings"}, 3},
		{"a dimension of the wrong type", okPage(`[{"id":"b","name":"M","type":"Metric","dimensions":["Month",3]}]`),
			blocks, []string{"dimensions[1] is a number, want a string"}, 3},
		{"401", answer(http.StatusUnauthorized, `{"error":"invalid token `+testMetadataKey+`"}`), apps,
			[]string{"401 Unauthorized: check PIGMENT_METADATA_API_KEY (invalid or expired)", "[REDACTED]"}, 1},
		{"403", answer(http.StatusForbidden, `{"message":"forbidden"}`), views,
			[]string{"list views of block", "403 Forbidden: check PIGMENT_METADATA_API_KEY (the key has no access to the Metadata API)"}, 1},
		{"404", answer(http.StatusNotFound, `{"error":"application not found"}`), blocks, []string{"404 Not Found: application not found"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, n := script(t, tt.answer)
			c, _ := mustMetadataClient(t, srv.URL, nil)
			err := tt.call(t.Context(), c)
			if err == nil {
				t.Fatalf("call = nil error, want %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), testMetadataKey) {
				t.Errorf("error %q contains the key", err)
			}
			if got := n.Load(); got != tt.attempts {
				t.Errorf("%d requests, want %d", got, tt.attempts)
			}
		})
	}
}

func apps(ctx context.Context, c *MetadataClient) error {
	_, err := c.Applications(ctx)
	return err
}

func blocks(ctx context.Context, c *MetadataClient) error {
	_, err := c.Blocks(ctx, "a1")
	return err
}

func views(ctx context.Context, c *MetadataClient) error {
	_, err := c.Views(ctx, "a1", "b1")
	return err
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
	c, rec := mustMetadataClient(t, srv.URL, func(cfg *MetadataConfig) { cfg.Limiter = limiter })
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

func TestMetadataClientRequests(t *testing.T) {
	var got []string
	srv, _ := script(t, func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.URL.RequestURI()+" "+r.Header.Get("Authorization"))
		okPage(`[]`)(w, r)
	})
	c, _ := mustMetadataClient(t, srv.URL+"/proxy/", nil)
	ctx := t.Context()
	a, err1 := c.Applications(ctx)
	_, err2 := c.Blocks(ctx, "app &id=1/2")
	_, err3 := c.ImportConfigurations(ctx, "a+b", "blk?#")
	_, err4 := c.Views(ctx, "a", "é")
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		t.Fatal(err)
	}
	bearer := " Bearer " + testMetadataKey
	want := []string{
		"/proxy/api/v1/applications" + bearer,
		"/proxy/api/v1/blocks?applicationId=app+%26id%3D1%2F2" + bearer,
		"/proxy/api/v1/importConfigurations?applicationId=a%2Bb&blockId=blk%3F%23" + bearer,
		"/proxy/api/v1/views?applicationId=a&blockId=%C3%A9" + bearer,
	}
	if !slices.Equal(got, want) || a == nil || len(a) != 0 {
		t.Errorf("requests:\n%s\nwant:\n%s\n(applications %#v, want an empty list)", strings.Join(got, "\n"), strings.Join(want, "\n"), a)
	}
	if _, err := c.Blocks(ctx, ""); err == nil || len(got) != 4 {
		t.Errorf("Blocks(\"\") = %v after %d requests, want an error and no request", err, len(got))
	}
	if _, err := NewMetadata(MetadataConfig{BaseURL: srv.URL}); err == nil || !strings.Contains(err.Error(), "APIKey is empty") {
		t.Errorf("NewMetadata without a key = %v, want an error naming APIKey", err)
	}
}
