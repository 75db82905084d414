package forwarder

import (
	"encoding/json"
	"testing"
	"time"
)

// TestObservingABatchAllocatesNothing: the freshness of a batch of 2,000
// events is recorded without an allocation once the sink's series exists,
// and each age lands in its bucket.
func TestObservingABatchAllocatesNothing(t *testing.T) {
	a := newAges("x_age_seconds", "test")
	now := time.Now().UnixNano()
	times := make([]int64, 2000)
	for i := range times {
		times[i] = now - int64(i%10)*int64(time.Second) // ages 0..9 s
	}
	times[7] = 0 // not an event: not counted
	a.observe("s", now, times)
	if allocs := testing.AllocsPerRun(100, func() { a.observe("s", now, times) }); allocs != 0 {
		t.Errorf("observe allocated %v times per batch, want 0", allocs)
	}
	// 102 batches: the first, then AllocsPerRun's warm-up and 100 runs.
	s := a.series["s"]
	if s.count != 102*1999 || s.counts[0] != 102*400 { // ages 0 and 1 s fall in le=1
		t.Errorf("count %d, le=1 bucket %d; want %d and %d", s.count, s.counts[0], 102*1999, 102*400)
	}
}

func BenchmarkObserveBatch(b *testing.B) {
	a := newAges("x_age_seconds", "test")
	now := time.Now().UnixNano()
	times := make([]int64, 2000)
	for i := range times {
		times[i] = now - int64(i)*int64(time.Millisecond)*50
	}
	b.ReportAllocs()
	for b.Loop() {
		a.observe("s", now, times)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(times)), "ns/event")
}

// TestFreshnessWithoutEventTimes: a batch of events none of which has an
// eventTimestamp still leaves a status /healthz can encode, its event age
// zero as Freshness documents (not the ±Inf JSON refuses).
func TestFreshnessWithoutEventTimes(t *testing.T) {
	st := &Status{}
	f := &Forwarder{cfg: Config{Sink: "s", Status: st}}
	now := time.Now().UnixNano()
	f.freshness(&batch{ingested: []int64{now - int64(time.Second)}, occurred: []int64{0}})
	r := st.Report()
	if _, err := json.Marshal(r); err != nil {
		t.Fatalf("status does not encode: %v", err)
	}
	if r.Freshness == nil || r.Freshness.Records != 1 || r.Freshness.EventAge != (AgeRange{}) {
		t.Errorf("freshness = %+v, want 1 record and a zero event age", r.Freshness)
	}
}

// TestFutureAndFarTimes: an event stamped in the future counts as age 0,
// not a negative one (the histogram's sum must only grow: rate() reads a
// fall as a counter reset), and a time past what Unix nanoseconds hold
// (year 9999) is no time rather than a wrapped-around one.
func TestFutureAndFarTimes(t *testing.T) {
	a := newAges("x_age_seconds", "test")
	now := time.Now().UnixNano()
	n, r := a.observe("s", now, []int64{now + int64(time.Hour), now - int64(2*time.Second)})
	if s := a.series["s"]; n != 2 || s.sum != 2 || r.Min != 0 || r.Max != 2 {
		t.Errorf("observed %d, sum %v, range %+v; want 2, 2 and 0..2", n, s.sum, r)
	}
	for _, ts := range []string{"9999-12-31T23:59:59Z", "0001-01-01T00:00:01Z"} {
		tm, _ := time.Parse(time.RFC3339, ts)
		if got := unixNano(tm); got != 0 {
			t.Errorf("unixNano(%s) = %d, want 0 (no time)", ts, got)
		}
	}
}

// TestAgeOfAnEarlyTime: an eventTimestamp early in what Unix nanoseconds
// hold (1700) is centuries old, not age 0: now minus it overflows int64.
func TestAgeOfAnEarlyTime(t *testing.T) {
	a := newAges("x_age_seconds", "test")
	now := time.Now()
	early := time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)
	n, r := a.observe("s", now.UnixNano(), []int64{unixNano(early)})
	want := now.Sub(early).Seconds() // time.Duration saturates: at most 292 years
	if n != 1 || r.Max < want || a.series["s"].counts[len(ageBuckets)] != 1 {
		t.Errorf("observed %d, range %+v, +Inf bucket %d; want 1, an age of at least %.0f s in +Inf", n, r, a.series["s"].counts[len(ageBuckets)], want)
	}
}
