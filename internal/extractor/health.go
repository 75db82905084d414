package extractor

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Health is what an extractor tells /healthz and the lag gauge: when it
// last made progress (a run finished, or a committed page produced an event
// or advanced the run's high-water mark: a page of duplicates read again,
// as by a run failing on a cursor cycle at every poll, is none), why its last
// run failed, and each checkpoint's committed watermark. It is safe for
// concurrent use; a nil *Health records nothing and reports healthy.
//
// It is also the Prometheus collector of the ages an operator alerts on,
// computed when scraped (a value set at the end of a run would freeze at
// its last value while no run ends): pigment_extract_watermark_lag_seconds,
// pigment_extract_newest_event_age_seconds and
// pigment_extract_last_success_age_seconds.
type Health struct {
	now       func() time.Time
	mu        sync.Mutex
	since     time.Time // the later of the lead's start and the last progress
	lastOK    time.Time // end of the last successful run
	lastErr   string
	watermark map[string]time.Time
	newest    map[string]time.Time // ingestion time of the newest committed event
	okAt      map[string]time.Time // end of each checkpoint's last successful run
}

var (
	lagDesc = prometheus.NewDesc("pigment_extract_watermark_lag_seconds",
		"Now minus the committed watermark, when scraped.", []string{"checkpoint"}, nil)
	newestDesc = prometheus.NewDesc("pigment_extract_newest_event_age_seconds",
		"Now minus the ingestion time of the newest event committed (produced and recorded), when scraped.", []string{"checkpoint"}, nil)
	lastOKDesc = prometheus.NewDesc("pigment_extract_last_success_age_seconds",
		"Now minus the end of the last successful run of this process, when scraped.", []string{"checkpoint"}, nil)
)

// newHealth returns a Health reading the time from now.
func newHealth(now func() time.Time) *Health {
	return &Health{now: now, since: now(), watermark: map[string]time.Time{},
		newest: map[string]time.Time{}, okAt: map[string]time.Time{}}
}

// committed records the run's high-water mark (the newest ingestion time
// of its committed events) after a commit.
func (h *Health) committed(cp string, high time.Time) {
	if h != nil {
		h.raise(cp, high, h.newest)
	}
}

// raise moves cp's time in each of ms forward to t (never back).
func (h *Health) raise(cp string, t time.Time, ms ...map[string]time.Time) {
	if t.IsZero() {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range ms {
		if m[cp].Before(t) {
			m[cp] = t
		}
	}
}

// Lead records that this process became the leader: the time without
// progress counts from now, as after progress.
func (h *Health) Lead() { h.progress() }

// progress records a committed page that produced events or advanced the
// run's high-water mark: the time without progress counts from now.
func (h *Health) progress() {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.since = h.now()
	h.mu.Unlock()
}

// loaded records a checkpoint's watermark as read at the start of a run,
// so that the lag is known before any run succeeds; the events up to it
// were committed before.
func (h *Health) loaded(cp string, wm time.Time) {
	if h != nil {
		h.raise(cp, wm, h.watermark, h.newest)
	}
}

// runOK records a finished run and the watermark it committed.
func (h *Health) runOK(cp string, wm time.Time) {
	if h == nil {
		return
	}
	h.mu.Lock()
	h.since, h.lastOK, h.lastErr = h.now(), h.now(), ""
	h.okAt[cp] = h.lastOK
	if !wm.IsZero() {
		h.watermark[cp] = wm
	}
	h.mu.Unlock()
}

// runFailed records why a run failed.
func (h *Health) runFailed(err error) {
	if h == nil || err == nil {
		return
	}
	h.mu.Lock()
	h.lastErr = err.Error()
	h.mu.Unlock()
}

// Check reports whether the extractor made progress within quiet (a run
// finished, or a page produced events or advanced the run), with details for /healthz: the last
// successful run, the last error and, when unhealthy, the reason.
func (h *Health) Check(quiet time.Duration) (bool, map[string]any) {
	if h == nil {
		return true, map[string]any{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	d := map[string]any{"last_success": nil}
	if !h.lastOK.IsZero() {
		d["last_success"] = h.lastOK.UTC().Format(time.RFC3339Nano)
	}
	if h.lastErr != "" {
		d["last_error"] = h.lastErr
	}
	idle := h.now().Sub(h.since)
	if idle <= quiet {
		return true, d
	}
	d["reason"] = fmt.Sprintf("no successful run and no progress (no event produced, the high-water mark still) for %s (more than %s)", idle.Round(time.Second), quiet)
	return false, d
}

// Describe implements prometheus.Collector.
func (h *Health) Describe(ch chan<- *prometheus.Desc) {
	ch <- lagDesc
	ch <- newestDesc
	ch <- lastOKDesc
}

// Collect implements prometheus.Collector: for every checkpoint whose time
// is known, the lag of its watermark, the age of its newest committed
// event and of its last successful run, as of now.
func (h *Health) Collect(ch chan<- prometheus.Metric) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.now()
	for _, g := range []struct {
		desc  *prometheus.Desc
		times map[string]time.Time
	}{{lagDesc, h.watermark}, {newestDesc, h.newest}, {lastOKDesc, h.okAt}} {
		for cp, t := range g.times {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, now.Sub(t).Seconds(), cp)
		}
	}
}
