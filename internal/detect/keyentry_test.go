package detect

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
)

// TestZoneCacheBusinessTime: the off-hours rule's integer arithmetic on a
// cached zone offset agrees with time.In over DST changes, half-hour
// zones and out-of-order times.
func TestZoneCacheBusinessTime(t *testing.T) {
	for _, tz := range []string{"Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Fatal(err)
		}
		r := &rule{loc: loc}
		if err := r.compileHours(BusinessHours{Start: "08:30", End: "19:00", Days: []string{"Mon", "Tue", "Sat"}}); err != nil {
			t.Fatal(err)
		}
		var z zoneCache
		rng := rand.New(rand.NewPCG(1, 2))
		t0 := time.Date(2024, 12, 20, 0, 0, 0, 0, time.UTC).UnixNano()
		for i := range 200000 {
			ts := t0 + int64(i)*int64(3*time.Minute+7*time.Second)
			if i%5 == 0 { // jump around too
				ts = t0 + rng.Int64N(int64(400*24*time.Hour)) - int64(30*24*time.Hour)
			}
			want := r.businessTime(time.Unix(0, ts).In(loc))
			if got := z.businessTime(r, ts); got != want {
				t.Fatalf("%s %v: businessTime = %v, want %v", tz, time.Unix(0, ts).In(loc), got, want)
			}
		}
	}
}

// TestIDSet: the replay set agrees with a map.
func TestIDSet(t *testing.T) {
	var s idSet
	m := map[uint64]bool{}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		h := idHash(fmt.Sprint(rng.IntN(50000)))
		if got := s.add(h); got != m[h] {
			t.Fatalf("add(%x) = %v, want %v", h, got, m[h])
		}
		m[h] = true
	}
	if s.n != len(m) || len(s.list()) != len(m) {
		t.Errorf("set holds %d (%d listed), want %d", s.n, len(s.list()), len(m))
	}
}

// TestProcessCommonPathAllocs: an ordinary event (in business hours, known
// actor and application, nothing crossed) is processed without allocating.
func TestProcessCommonPathAllocs(t *testing.T) {
	e := mustEngine(t, mustRules(t, nil))
	const n = 3000 // over 8 applications: under every threshold
	evs := make([]event.Event, n)
	t0 := time.Date(2025, 6, 10, 10, 0, 0, 0, time.UTC) // a Tuesday, 12:00 in Paris
	for i := range evs {
		evs[i] = event.Event{ID: fmt.Sprintf("%08x-0000-4000-8000-000000000000", i), Type: "BlockModified",
			Time: t0.Add(time.Duration(i) * 100 * time.Millisecond), ActorID: "m1", ActorEmail: "m1@example.com", AppID: fmt.Sprint("a", i%8)}
	}
	for i := range 100 { // warm up: windows, evidence, caches
		e.Process(&evs[i])
	}
	i := 100
	allocs := testing.AllocsPerRun(n-200, func() {
		if as := e.Process(&evs[i]); len(as) != 0 {
			t.Fatalf("event %d raised %d alerts", i, len(as))
		}
		i++
	})
	if allocs > 0.05 {
		t.Errorf("Process allocates %.3f times per ordinary event, want ~0", allocs)
	}
	t.Logf("%.4f allocs per ordinary event", allocs)
}
