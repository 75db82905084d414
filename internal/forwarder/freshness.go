package forwarder

import (
	"math"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ageBuckets are the upper bounds, in seconds, of the freshness histograms:
// from the seconds a healthy pipeline takes to the hours of a backlog or a
// replay.
var ageBuckets = []float64{1, 2, 3, 5, 7, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 12 * 3600, 24 * 3600}

// ages is a histogram per sink of how old records were when the sink
// confirmed them. A batch is observed at once (observe: one pass over its
// times into counts on the stack, then one lock), not record by record, and
// the Prometheus form is made only when scraped. Safe for concurrent use.
type ages struct {
	desc   *prometheus.Desc
	mu     sync.Mutex
	series map[string]*ageSeries
}

type ageSeries struct {
	counts []uint64 // per bucket, not cumulative; the last one is +Inf
	count  uint64
	sum    float64
}

// AgeRange is the youngest and oldest age observed in one batch, in
// seconds.
type AgeRange struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

func newAges(name, help string) *ages {
	return &ages{desc: prometheus.NewDesc(name, help, []string{"sink"}, nil), series: map[string]*ageSeries{}}
}

// observe adds the age at now of every time in times (Unix nanoseconds;
// 0 means none: an alert, or a record not delivered) and returns how many
// it counted with their range (zero when it counted none: ±Inf is no
// JSON, and /healthz shows the range).
func (a *ages) observe(sink string, now int64, times []int64) (int, AgeRange) {
	var counts [32]uint64 // ageBuckets and +Inf; an array, so nothing is allocated
	var sum float64
	n, r := 0, AgeRange{Min: math.Inf(1), Max: math.Inf(-1)}
	for _, t := range times {
		if t == 0 {
			continue
		}
		// A future time (a skewed clock) is age 0: a negative age would
		// lower the sum, which rate() reads as a counter reset. Seconds
		// and nanoseconds apart: now-t overflows int64 for a time before
		// about 1733 (unixNano keeps those from 1678).
		age := max(float64(now/1e9-t/1e9)+float64(now%1e9-t%1e9)/1e9, 0)
		counts[sort.SearchFloat64s(ageBuckets, age)]++
		sum += age
		r.Min, r.Max = min(r.Min, age), max(r.Max, age)
		n++
	}
	if n == 0 {
		return 0, AgeRange{}
	}
	if a == nil {
		return n, r
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.series[sink]
	if s == nil {
		s = &ageSeries{counts: make([]uint64, len(ageBuckets)+1)}
		a.series[sink] = s
	}
	for i := range s.counts {
		s.counts[i] += counts[i]
	}
	s.count += uint64(n)
	s.sum += sum
	return n, r
}

// Describe implements prometheus.Collector.
func (a *ages) Describe(ch chan<- *prometheus.Desc) { ch <- a.desc }

// Collect implements prometheus.Collector.
func (a *ages) Collect(ch chan<- prometheus.Metric) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for sink, s := range a.series {
		cum := make(map[float64]uint64, len(ageBuckets))
		var c uint64
		for i, ub := range ageBuckets {
			c += s.counts[i]
			cum[ub] = c
		}
		ch <- prometheus.MustNewConstHistogram(a.desc, s.count, s.sum, cum, sink)
	}
}

// freshness observes a batch the sink has just confirmed: the age of each
// delivered event since its ingestion and since its event time, into the
// histograms and the status /healthz shows. Records refused by the sink
// are not counted; alerts have no times recorded.
func (f *Forwarder) freshness(b *batch) {
	for _, d := range b.dead {
		b.ingested[d.idx], b.occurred[d.idx] = 0, 0
	}
	now := time.Now()
	var ing, occ *ages
	if m := f.cfg.Metrics; m != nil {
		ing, occ = m.IngestionAge, m.EventAge
	}
	n, ir := ing.observe(f.cfg.Sink, now.UnixNano(), b.ingested)
	_, er := occ.observe(f.cfg.Sink, now.UnixNano(), b.occurred)
	if n > 0 {
		f.cfg.Status.confirmed(Freshness{ConfirmedAt: now.UTC(), Records: n, IngestionAge: ir, EventAge: er})
	}
}
