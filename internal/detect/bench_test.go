package detect

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// BenchmarkEngine times Process and Advance with the default rules over a
// realistic stream: simulator events (parsed once, up front) in ingestion
// order, the watermark advanced every 100 events.
func BenchmarkEngine(b *testing.B) {
	evs := byIngestion(mustSimEvents(b, 200000, 72*time.Hour, 500))
	rs := mustRules(b, nil)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		e := mustEngine(b, rs)
		var newest time.Time
		for i := range evs {
			e.Process(&evs[i])
			if evs[i].Time.After(newest) {
				newest = evs[i].Time
			}
			if i%100 == 99 {
				e.Advance(newest.Add(-e.Lateness()))
			}
		}
	}
	b.ReportMetric(float64(b.N*len(evs))/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// TestStateMemory measures the heap held by an engine with the default
// rules that has seen 100,000 distinct actors, each logging in twice (from
// two countries) and touching an application within the open windows.
func TestStateMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MB")
	}
	const actors = 100000
	t0 := time.Date(2025, 6, 10, 9, 0, 0, 0, time.UTC)
	evs := make([]transform.Event, 0, 4*actors)
	for i := range actors {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		email := fmt.Sprintf("user%d@example.com", i)
		at := t0.Add(time.Duration(i) * 30 * time.Millisecond) // 100k actors in 50 minutes
		for j, c := range []string{"FR", "US"} {
			evs = append(evs, transform.Event{ID: fmt.Sprintf("l%d-%d", i, j), Type: "UserLoggedIn", Time: at.Add(time.Duration(j) * time.Millisecond),
				ActorID: id, ActorEmail: email, Country: c, SourceIP: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), Outcome: "success"})
		}
		evs = append(evs, transform.Event{ID: fmt.Sprintf("a%d", i), Type: "ApplicationAccessed", Time: at.Add(2 * time.Millisecond),
			ActorID: id, ActorEmail: email, AppID: fmt.Sprintf("app-%d", i%50)})
		evs = append(evs, transform.Event{ID: fmt.Sprintf("b%d", i), Type: "BlockModified", Time: at.Add(3 * time.Millisecond),
			ActorID: id, ActorEmail: email, AppID: fmt.Sprintf("app-%d", i%50)})
	}
	rs := mustRules(t, nil)
	before := heap()
	e := mustEngine(t, rs)
	for i := range evs {
		e.Process(&evs[i])
	}
	e.Advance(evs[len(evs)-1].Time.Add(-e.Lateness()))
	during := heap() - before
	// Past every window: what stays is per-actor history and baselines.
	e.Advance(evs[len(evs)-1].Time.Add(48 * time.Hour))
	after := heap() - before
	state, err := e.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d actors: heap %.1f MB with open windows (%d B/actor), %.1f MB after they closed (%d B/actor); state %.1f MB",
		actors, mb(during), during/actors, mb(after), after/actors, mb(uint64(len(state))))
	if during/actors > 3000 || after/actors > 1500 {
		t.Errorf("state per actor = %d B (open windows), %d B (closed), want at most 3000 and 1500", during/actors, after/actors)
	}
	runtime.KeepAlive(e)
	runtime.KeepAlive(evs)
}

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }
