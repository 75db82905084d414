package extractor

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
)

// progress prints a progress line at most every cfg.ProgressEvery during a
// run, so a long catch-up or backfill shows how far it got and how fast.
type progress struct {
	every   time.Duration
	log     zerolog.Logger
	run     *checkpoint.Run
	top     time.Time // the newest edge of the range: Until, or the run's start
	last    time.Time
	lastCnt int64
}

func newProgress(cfg Config, run *checkpoint.Run, log zerolog.Logger) *progress {
	top := run.Until
	if top.IsZero() {
		top = cfg.Now()
	}
	return &progress{every: cfg.ProgressEvery, log: log, run: run, top: top, last: time.Now(), lastCnt: run.Fetched}
}

// page is called after each committed page with the ingestion time of its
// last event. The API may page newest or oldest first; the share done is the
// distance from whichever edge the run started at.
func (p *progress) page(reached time.Time) {
	now := time.Now()
	if now.Sub(p.last) < p.every {
		return
	}
	span := p.top.Sub(p.run.Since)
	done := 0.0
	if span > 0 && !reached.IsZero() {
		if p.run.High.After(reached) { // newest first: walking back towards Since
			done = float64(p.top.Sub(reached)) / float64(span)
		} else {
			done = float64(reached.Sub(p.run.Since)) / float64(span)
		}
	}
	rate := float64(p.run.Fetched-p.lastCnt) / now.Sub(p.last).Seconds()
	p.log.Info().Int64("pages", p.run.Pages).Int64("produced", p.run.Produced).
		Int64("duplicates", p.run.Duplicates).Int64("dlq", p.run.DLQ).
		Time("reached", reached).Float64("percent", min(100, 100*done)).
		Float64("events_per_sec", rate).Msg("progress")
	p.last, p.lastCnt = now, p.run.Fetched
}
