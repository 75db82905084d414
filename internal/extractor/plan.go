package extractor

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/record"
)

// plan decides, for one page, which records to write and what the page
// contributes to the checkpoint. It is pure: the page, the IDs already
// produced for this checkpoint, and the bounds in; records and counts out.
//
// Every element of the page ends up in exactly one bucket: produced, dead
// letter (invalid or oversized), duplicate (already produced or
// dead-lettered: the overlap, a restarted run, or twice in one page) or skipped (after a backfill's upper
// bound, left to the live extractor).
type planIn struct {
	page  *pigment.Page
	seen  map[string]struct{}
	until time.Time // zero: no upper bound
	since time.Time // the run's ingestedSince: everything before it is in the topic
	// limit bounds the high-water mark and completeBefore: the run's start.
	limit time.Time
	// futureAfter is the run's start plus the allowed clock skew: later
	// ingestion times are in the future, counted and logged.
	futureAfter time.Time
	topic       string
	dlqTopic    string
	maxBytes    int
	now         time.Time
}

type planOut struct {
	records []kafka.Message
	commit  checkpoint.PageCommit
	// reached is the ingestion time of the page's last event, for progress.
	reached time.Time
	// oversized counts events both recorded as seen and dead-lettered.
	oversized int
	// future holds the events produced whose ingestion time is past
	// futureAfter.
	future []event.Event
}

// bounds are a run's time bounds: high for the high-water mark and
// completeBefore (the run's start), future for what counts as stamped in
// the future (the start plus the allowed skew).
type bounds struct{ high, future time.Time }

func plan(in planIn, high time.Time) planOut {
	var out planOut
	out.commit.High = high
	out.commit.Fetched = len(in.page.Events) + len(in.page.Invalid)
	out.records = make([]kafka.Message, 0, len(in.page.Events)+len(in.page.Invalid))
	inPage := make(map[string]struct{}, len(in.page.Events))
	completeBefore := record.CompleteBefore(minTime(in.since, in.limit))
	for _, ev := range in.page.Events {
		out.reached = ev.Ingested
		if !in.until.IsZero() && !ev.Ingested.Before(in.until) {
			out.commit.Skipped++
			continue
		}
		if high := minTime(ev.Ingested, in.limit); high.After(out.commit.High) {
			out.commit.High = high
		}
		_, dup := in.seen[ev.ID]
		_, twice := inPage[ev.ID]
		if dup || twice {
			out.commit.Duplicates++
			continue
		}
		inPage[ev.ID] = struct{}{}
		if !in.futureAfter.IsZero() && ev.Ingested.After(in.futureAfter) {
			out.future = append(out.future, ev)
		}
		out.commit.Produced = append(out.commit.Produced, checkpoint.Seen{ID: ev.ID, Ingestion: ev.Ingested})
		msg := record.Event(in.topic, ev)
		msg.Headers = append(msg.Headers, completeBefore)
		if size := record.Size(msg); size > in.maxBytes {
			reason := fmt.Sprintf("oversized: event %s is %d bytes, over KAFKA_MAX_MESSAGE_BYTES %d", ev.ID, size, in.maxBytes)
			msg = record.DeadLetter(in.dlqTopic, ev.Raw, reason, in.maxBytes, in.now)
			msg.Key = []byte(ev.ID)
			out.commit.DLQ++
			out.oversized++
		}
		out.records = append(out.records, msg)
	}
	// Invalid elements have no eventId: they are remembered by their bytes,
	// so one served again in the overlap is not dead-lettered twice. The
	// page's newest ingestion time keeps the key at least as long as the
	// element can be served again.
	at := pageNewest(in.page, in.limit)
	for _, bad := range in.page.Invalid {
		key := invalidKey(bad.Raw)
		_, dup := in.seen[key]
		_, twice := inPage[key]
		if dup || twice {
			out.commit.Duplicates++
			continue
		}
		inPage[key] = struct{}{}
		out.commit.Remembered = append(out.commit.Remembered, checkpoint.Seen{ID: key, Ingestion: at})
		out.records = append(out.records, record.DeadLetter(in.dlqTopic, bad.Raw, bad.Reason, in.maxBytes, in.now))
		out.commit.DLQ++
	}
	return out
}

// invalidKey is the seen-ID under which an invalid element is remembered.
func invalidKey(raw []byte) string {
	sum := sha256.Sum256(raw)
	return "invalid:" + hex.EncodeToString(sum[:16])
}

// pageNewest is the newest ingestion time of the page's events, at most
// limit; limit when there is none.
func pageNewest(page *pigment.Page, limit time.Time) time.Time {
	var t time.Time
	for _, ev := range page.Events {
		if ev.Ingested.After(t) {
			t = ev.Ingested
		}
	}
	if t.IsZero() {
		return limit
	}
	return minTime(t, limit)
}

// minTime is the earlier of a and b; a zero b is no bound.
func minTime(a, b time.Time) time.Time {
	if !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}
