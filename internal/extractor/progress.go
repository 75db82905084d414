package extractor

import (
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
)

// progress prints a progress line at most every cfg.ProgressEvery during a
// run, so a long catch-up or backfill shows how far it got and how fast,
// and tells whether the run met a backlog (backlog).
type progress struct {
	every   time.Duration
	log     zerolog.Logger
	run     *checkpoint.Run
	top     time.Time // the newest edge of the range: Until, or the run's start
	last    time.Time
	lastCnt int64
	// produced0 is run.Produced when this pass began; fullPage the most
	// elements a page held that had a next page (0: none had).
	produced0 int64
	fullPage  int
}

func newProgress(cfg Config, run *checkpoint.Run, log zerolog.Logger) *progress {
	top := run.Until
	if top.IsZero() {
		top = cfg.Now()
	}
	return &progress{every: cfg.ProgressEvery, log: log, run: run, top: top, last: time.Now(), lastCnt: run.Fetched,
		produced0: run.Produced}
}

// page is called after each committed page with the ingestion time of its
// last event, its element count and whether the API had a next page. The
// API may page newest or oldest first; the share done is the distance from
// whichever edge the run started at.
func (p *progress) page(reached time.Time, elements int, more bool) {
	if more {
		p.fullPage = max(p.fullPage, elements)
	}
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

// backlog reports whether this pass produced at least a full page of new
// events: the API had more than a page, and not only the overlap's
// duplicates. Events ingested meanwhile are then probably a page or more
// too, so the next poll should not wait.
func (p *progress) backlog() bool {
	return p.fullPage > 0 && p.run.Produced-p.produced0 >= int64(p.fullPage)
}
