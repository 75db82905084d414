package budget

import (
	"context"
	"errors"
	"testing"
	"time"
)

// testBackground: a Background consumer (the inventory) leaves the live
// extractor its reserve or as many slots as it used in the window,
// whichever is more.
func testBackground(t *testing.T, url string) {
	ctx := context.Background()
	cfg := Config{Key: t.Name(), Limit: 20, Reserve: 4, Window: time.Minute, Poll: 20 * time.Millisecond}
	live := mustBudget(t, mustPool(t, url), cfg)
	cfg.Class = Background
	inventory := mustBudget(t, mustPool(t, url), cfg)

	if err := waitN(ctx, live, 6); err != nil {
		t.Fatal(err)
	}
	// 6 used by live, 6 more kept free for it (more than the reserve of 4):
	// 8 for the inventory (a backfill would take 10).
	for i := range 8 {
		slow, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := inventory.Wait(slow)
		cancel()
		if err != nil {
			t.Fatalf("inventory Wait %d of 8: %v", i+1, err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := inventory.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("inventory Wait 9 = %v, want DeadlineExceeded (the window is full for it)", err)
	}
	if n, err := inventory.Remaining(ctx); err != nil || n != 0 {
		t.Errorf("inventory Remaining = %d, %v; want 0", n, err)
	}
	// The live extractor finds its reserve and its pace again, at once.
	start := time.Now()
	if err := waitN(ctx, live, 6); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("6 live requests beside a saturating inventory took %v, want no wait", d)
	}
	if total, _ := recorded(t, mustPool(t, url), live, time.Minute); total != 20 {
		t.Errorf("recorded %d requests, want 20", total)
	}
}

func TestForAPI(t *testing.T) {
	t.Parallel()
	a := ForAPI("https://pigment.app")
	tests := []struct {
		url  string
		same bool
	}{
		{"https://pigment.app/", true},
		{"https://PIGMENT.app/api/v1/applications", true},
		{"https://pigment.app:443/", true},
		{"https://pigment.app.", true},
		{"https://pigment.app:8443", false},
		{"http://pigment.app:443", false},
		{"http://127.0.0.1:8080", false},
	}
	for _, tt := range tests {
		if got := ForAPI(tt.url) == a; got != tt.same {
			t.Errorf("ForAPI(%q) == ForAPI(https://pigment.app) is %v, want %v", tt.url, got, tt.same)
		}
	}
	if len(a) != 16 {
		t.Errorf("ForAPI = %q, want 16 hex digits", a)
	}
}
