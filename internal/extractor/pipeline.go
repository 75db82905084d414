package extractor

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

// shutdownCommitGrace is how long acknowledged pages may still be committed
// after the run's context ended.
const shutdownCommitGrace = 10 * time.Second

// maxUncommitted bounds the pages written to Kafka but not yet committed to
// Postgres: what a crash can re-produce (the README's duplicate bound).
const maxUncommitted = 3

// publishPages writes pages to Kafka and commits them as they arrive, until
// the last one.
//
// Three stages overlap: the prefetcher fetches the next page while this
// loop writes one to Kafka and the committer commits earlier ones to
// Postgres, several per transaction when they queue up. Commits stay in page
// order, a page is committed only after Kafka acknowledged it, and at most
// maxUncommitted pages are acknowledged but not committed at any time.
func (x *Extractor) publishPages(ctx context.Context, pages <-chan apiPage, run *checkpoint.Run, scope *lookupScope, limit bounds, prog *progress) error {
	g, gctx := errgroup.WithContext(ctx)
	commits := make(chan planOut, maxUncommitted)
	slots := make(chan struct{}, maxUncommitted)
	// The committer runs on its own context, not gctx: when writing stops
	// on an error (a refused cursor, an API outage) or on SIGTERM, the pages
	// Kafka already acknowledged are still committed, so a restart neither
	// re-produces nor re-reads them. After a shutdown it gets ten seconds.
	cctx, ccancel := context.WithCancel(context.WithoutCancel(ctx))
	defer ccancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(shutdownCommitGrace, ccancel) })
	defer stop()
	g.Go(func() error { return x.commitLoop(cctx, run, commits, slots, prog) })
	g.Go(func() error {
		defer close(commits)
		return x.writeLoop(gctx, pages, run, scope, limit, commits, slots)
	})
	return g.Wait()
}

// writeLoop looks up which events were already produced, writes the rest
// and hands each acknowledged page to the committer.
func (x *Extractor) writeLoop(ctx context.Context, pages <-chan apiPage, run *checkpoint.Run, scope *lookupScope, limit bounds, commits chan<- planOut, slots chan<- struct{}) error {
	high := run.High
	// inFlight holds the IDs of the pages written but perhaps not yet
	// committed, which the seen-ID lookup in Postgres cannot know about.
	var inFlight [maxUncommitted + 1]map[string]struct{}
	for f := range pages {
		if f.err != nil {
			return f.err
		}
		seen, err := x.seen(ctx, run.Name, f.page, scope, inFlight)
		if err != nil {
			return err
		}
		p := plan(planIn{
			page: f.page, seen: seen, until: run.Until, since: run.Since, limit: limit.high, futureAfter: limit.future,
			topic: x.cfg.Topic, dlqTopic: x.cfg.DLQTopic, maxBytes: x.cfg.MaxMessageBytes, now: x.cfg.Now(),
		}, high)
		select { // a slot per page written and not yet committed
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := x.out.Write(ctx, p.records); err != nil {
			return fmt.Errorf("write page to kafka: %w", err)
		}
		p.records = nil // written: let the page's memory go while it is committed
		p.commit.NextCursor = f.page.NextCursor
		high = p.commit.High
		copy(inFlight[:], inFlight[1:])
		inFlight[maxUncommitted] = producedIDs(p)
		select {
		case commits <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
		if f.page.NextCursor == "" {
			return nil
		}
	}
	return ctx.Err()
}

// seen returns the page's event IDs already produced: recorded in Postgres,
// or on a page still on its way there.
func (x *Extractor) seen(ctx context.Context, name string, page *pigment.Page, scope *lookupScope, inFlight [maxUncommitted + 1]map[string]struct{}) (map[string]struct{}, error) {
	ids := make([]string, 0, len(page.Events)+len(page.Invalid))
	for _, ev := range page.Events {
		if scope.needs(ev) {
			ids = append(ids, ev.ID)
		}
	}
	for _, bad := range page.Invalid {
		ids = append(ids, invalidKey(bad.Raw))
	}
	seen := map[string]struct{}{}
	if len(ids) > 0 {
		if err := x.lookup(ctx, name, ids, &seen); err != nil {
			return nil, err
		}
	}
	inPages := func(id string) {
		for _, m := range inFlight {
			if _, ok := m[id]; ok {
				seen[id] = struct{}{}
			}
		}
	}
	for _, ev := range page.Events {
		inPages(ev.ID)
	}
	for _, bad := range page.Invalid {
		inPages(invalidKey(bad.Raw))
	}
	return seen, nil
}

func (x *Extractor) lookup(ctx context.Context, name string, ids []string, seen *map[string]struct{}) error {
	return x.retryStore(ctx, "look up seen events", func(ctx context.Context) error {
		var err error
		*seen, err = x.store.SeenIDs(ctx, name, ids)
		return err
	})
}

func producedIDs(p planOut) map[string]struct{} {
	m := make(map[string]struct{}, len(p.commit.Produced)+len(p.commit.Remembered))
	for _, s := range p.commit.Produced {
		m[s.ID] = struct{}{}
	}
	for _, s := range p.commit.Remembered {
		m[s.ID] = struct{}{}
	}
	return m
}

// commitLoop commits acknowledged pages in order, all those queued up in
// one transaction.
func (x *Extractor) commitLoop(ctx context.Context, run *checkpoint.Run, commits <-chan planOut, slots <-chan struct{}, prog *progress) error {
	for p := range commits {
		batch := []planOut{p}
	drain:
		for len(batch) < maxUncommitted {
			select {
			case q, ok := <-commits:
				if !ok {
					break drain
				}
				batch = append(batch, q)
			default:
				break drain
			}
		}
		c := merge(batch)
		high := run.High
		if err := x.retryStore(ctx, "commit page", func(ctx context.Context) error {
			return x.store.CommitPages(ctx, run, c, len(batch))
		}); err != nil {
			return err
		}
		// Pages of duplicates only are no progress: a run that commits
		// one and fails at every poll (a cursor cycle) is stuck.
		if len(c.Produced) > 0 || c.DLQ > 0 || run.High.After(high) {
			x.cfg.Metrics.health().progress()
		}
		x.cfg.Metrics.health().committed(run.Name, run.High)
		for _, q := range batch {
			<-slots
			x.cfg.Metrics.page(run.Name, len(q.commit.Produced)-q.oversized, q.commit.DLQ, q.commit.Duplicates, q.commit.Skipped)
			x.future(run, q.future)
			prog.page(q.reached, q.commit.Fetched, q.commit.NextCursor != "")
		}
	}
	return nil
}

// merge folds consecutive pages into one commit: the last cursor, the
// highest high-water mark, every produced ID and the summed counters.
func merge(batch []planOut) checkpoint.PageCommit {
	c := batch[0].commit
	for _, q := range batch[1:] {
		c.NextCursor = q.commit.NextCursor
		if q.commit.High.After(c.High) {
			c.High = q.commit.High
		}
		c.Produced = append(c.Produced, q.commit.Produced...)
		c.Remembered = append(c.Remembered, q.commit.Remembered...)
		c.Fetched += q.commit.Fetched
		c.DLQ += q.commit.DLQ
		c.Duplicates += q.commit.Duplicates
		c.Skipped += q.commit.Skipped
	}
	return c
}

// future counts and logs the events of a committed page stamped past the
// run's start plus the allowed skew: produced once, but a sign of a clock
// running ahead or a bad record; the watermark stopped at the run's start.
func (x *Extractor) future(run *checkpoint.Run, evs []event.Event) {
	if len(evs) == 0 {
		return
	}
	if m := x.cfg.Metrics; m != nil {
		m.Future.WithLabelValues(run.Name).Add(float64(len(evs)))
	}
	for _, ev := range evs {
		x.cfg.Logger.Warn().Str("checkpoint", run.Name).Int64("run", run.ID).Str("eventId", ev.ID).
			Time("ingestion", ev.Ingested).Dur("max_clock_skew", x.cfg.MaxClockSkew).
			Msg("event ingested in the future (past the run's start plus PIGMENT_MAX_CLOCK_SKEW): produced, but the watermark stops at the run's start")
	}
}
