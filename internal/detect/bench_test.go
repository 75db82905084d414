package detect

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// BenchmarkEngine times Process and Advance with the default rules over a
// realistic stream: simulator events (parsed once, up front) in ingestion
// order, the watermark advanced every 100 events. It reports events/s (wall
// clock), events per CPU-second of the process (garbage collection
// included; not skewed by other processes on a shared machine: run it with
// -cpu 1 for the per-core figure), allocations per event and the share of
// events that raise an alert.
//
// The stream is the simulator's with Anomalies on, which is the realistic
// one: without it the simulator's members do anything at any hour
// (deactivated members stay active, logins come from random places, work
// happens at night), so about one event in seven raises an alert, an
// alert-storm no workspace has and no SIEM would tolerate. With Anomalies
// on, background activity stays in business hours, ordinary members stay
// ordinary, and only a handful of planted anomalies (and the simulator's
// background noise: failed logins, role changes, API keys) alert, so alerts
// are rare, as in production, and the benchmark times the common path: an
// event that raises nothing.
func BenchmarkEngine(b *testing.B) {
	evs := byIngestion(mustSim(b, pigmentsim.Config{Seed: 11, Members: 500, History: 72 * time.Hour,
		HistoryEvents: 200000, Anomalies: true}))
	rs := mustRules(b, nil)
	b.ReportAllocs()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	alerts := 0
	for b.Loop() {
		e := mustEngine(b, rs)
		alerts = 0
		var newest time.Time
		for i := range evs {
			alerts += len(e.Process(&evs[i]))
			if evs[i].Time.After(newest) {
				newest = evs[i].Time
			}
			if i%100 == 99 {
				alerts += len(e.Advance(newest.Add(-e.Lateness())))
			}
		}
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	b.StopTimer()
	runtime.ReadMemStats(&m1)
	n := float64(b.N * len(evs))
	b.ReportMetric(n/elapsed.Seconds(), "events/s")
	if cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "events/cpu-s")
	}
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/n, "allocs/event")
	b.ReportMetric(100*float64(alerts)/float64(len(evs)), "alerts/100ev")
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
	evs := make([]event.Event, 0, 4*actors)
	for i := range actors {
		id := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		email := fmt.Sprintf("user%d@example.com", i)
		at := t0.Add(time.Duration(i) * 30 * time.Millisecond) // 100k actors in 50 minutes
		for j, c := range []string{"FR", "US"} {
			evs = append(evs, event.Event{ID: fmt.Sprintf("l%d-%d", i, j), Type: "UserLoggedIn", Time: at.Add(time.Duration(j) * time.Millisecond),
				ActorID: id, ActorEmail: email, Country: c, SourceIP: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255), Outcome: "success"})
		}
		evs = append(evs, event.Event{ID: fmt.Sprintf("a%d", i), Type: "ApplicationAccessed", Time: at.Add(2 * time.Millisecond),
			ActorID: id, ActorEmail: email, AppID: fmt.Sprintf("app-%d", i%50)})
		evs = append(evs, event.Event{ID: fmt.Sprintf("b%d", i), Type: "BlockModified", Time: at.Add(3 * time.Millisecond),
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
