package extractor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/publish"
)

// maxCursorRestarts bounds how often one run starts over because the API
// refused its cursor, so a broken API cannot keep us looping.
const maxCursorRestarts = 3

// apiPage is one page of the API, or the error that ended the fetching.
type apiPage struct {
	page *pigment.Page
	err  error
}

// prefetch fetches pages one ahead of the writer: the next page's request
// needs only this page's cursor, not its acknowledgement, so the API and
// Kafka round trips overlap. Pages arrive in order; the channel closes after
// the last page or the first error.
//
// A next cursor already followed in this pass is an error (ErrCursorCycle):
// the API would page in a circle for ever.
func (x *Extractor) prefetch(ctx context.Context, since time.Time, cursor string) <-chan apiPage {
	ch := make(chan apiPage, 1)
	go func() {
		defer close(ch)
		followed := map[string]int{} // cursor -> the page it was followed to
		if cursor != "" {
			followed[cursor] = 1
		}
		for n := 1; ; n++ {
			page, err := x.api.FetchPage(ctx, since, cursor)
			if err == nil && page.NextCursor != "" {
				if at, ok := followed[page.NextCursor]; ok {
					err = fmt.Errorf("%w: page %d of this pass names as next the cursor %s already followed to page %d",
						ErrCursorCycle, n, quoteCursor(page.NextCursor), at)
				}
				followed[page.NextCursor] = n + 1
			}
			select {
			case ch <- apiPage{page, err}:
			case <-ctx.Done():
				return
			}
			if err != nil || page.NextCursor == "" {
				return
			}
			cursor = page.NextCursor
		}
	}()
	return ch
}

// ErrCursorCycle fails a run whose pages lead back to a cursor it already
// followed. The run fails loudly and resumes at its last committed cursor
// on the next attempt, where the API may have recovered.
var ErrCursorCycle = errors.New("cursor cycle: the API's next cursor leads back to a page already read")

// quoteCursor quotes a cursor for an error, cut to a readable length.
func quoteCursor(c string) string {
	if len(c) > 80 {
		c = c[:80] + "..."
	}
	return strconv.Quote(c)
}

// pageThrough writes and commits every page of run, from its cursor on.
func (x *Extractor) pageThrough(ctx context.Context, run *checkpoint.Run, scope *lookupScope, start time.Time, prog *progress, log zerolog.Logger) error {
	restarts := 0
	// The watermark and completeBefore never pass the run's start: a
	// source's clock can run ahead of ours, and what is ingested after the
	// start is the next run's. Past the start plus the skew, an event is
	// stamped in the future.
	limit := bounds{high: start, future: start.Add(x.cfg.MaxClockSkew)}
	for {
		// run.Since is sent unchanged: a cursor is valid only with the
		// ingestedSince it was issued for.
		fctx, cancel := context.WithCancel(ctx)
		pages := x.prefetch(fctx, run.Since, run.Cursor)
		err := x.publishPages(ctx, pages, run, scope, limit, prog)
		cancel()
		for range pages { // the prefetcher has returned once it closed pages
		}
		if !errors.Is(err, pigment.ErrCursorRejected) {
			return err
		}
		restarts++
		if restarts > maxCursorRestarts {
			return fmt.Errorf("cursor refused %d times: %w", restarts, err)
		}
		log.Warn().Err(err).Msg("the API refused the run's cursor; restarting the run from its start (already produced events are recognised)")
		// A run that outlived the API's lookback starts again inside it.
		scope.all = true
		since := x.clamp(run.Since)
		if err := x.retryStore(ctx, "restart run", func(ctx context.Context) error {
			return x.store.RestartRun(ctx, run, since)
		}); err != nil {
			return err
		}
	}
}

// retryStore retries a Postgres operation with backoff for StoreRetryFor,
// so a Postgres restart pauses the run instead of failing it. A superseded
// run is not retried.
func (x *Extractor) retryStore(ctx context.Context, what string, op func(context.Context) error) error {
	deadline := time.Now().Add(x.cfg.StoreRetryFor)
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil || errors.Is(err, checkpoint.ErrRunSuperseded) || ctx.Err() != nil {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: giving up after %d attempts: %w", what, attempt, err)
		}
		wait := backoff.Jittered(attempt+1, 100*time.Millisecond, 5*time.Second)
		x.cfg.Logger.Warn().Err(err).Str("op", what).Dur("retry_in", wait).Msg("postgres error; retrying")
		if err := backoff.Sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// permanent reports errors that another attempt cannot fix: the API refused
// our credentials, or the brokers refuse records KAFKA_MAX_MESSAGE_BYTES let
// through.
func permanent(err error) bool {
	var apiErr *pigment.APIError
	if errors.As(err, &apiErr) && (apiErr.StatusCode == 401 || apiErr.StatusCode == 403) {
		return true
	}
	return errors.Is(err, publish.ErrRecordTooLarge)
}
