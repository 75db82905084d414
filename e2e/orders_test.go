package e2e

// The arrival orders the labelled test feeds detect, each with completeBefore
// headers that claim no more than the order provides: every record's header
// says which ingestion times are all in the topic once it is read, and the
// last one says all are (extract's saved watermark).

import (
	"cmp"
	"slices"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

func ingestion(m kafka.Message) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, testkit.Header(m, record.HeaderIngestion))
	return t
}

// byIngestion sorts a copy of msgs by ingestion time, then eventId.
func byIngestion(msgs []kafka.Message) []kafka.Message {
	out := slices.Clone(msgs)
	slices.SortStableFunc(out, func(a, b kafka.Message) int {
		return cmp.Or(ingestion(a).Compare(ingestion(b)), cmp.Compare(testkit.Header(a, record.HeaderEventID), testkit.Header(b, record.HeaderEventID)))
	})
	return out
}

// withComplete returns m with its completeBefore header set to t.
func withComplete(m kafka.Message, t time.Time) kafka.Message {
	h := slices.DeleteFunc(slices.Clone(m.Headers), func(h kafka.Header) bool { return h.Key == record.HeaderCompleteBefore })
	m.Headers = append(h, record.CompleteBefore(t))
	return m
}

// last gives the final record the watermark: once it is read, everything
// extract saved is in.
func last(msgs []kafka.Message, watermark time.Time) []kafka.Message {
	if n := len(msgs); n > 0 {
		msgs[n-1] = withComplete(msgs[n-1], watermark)
	}
	return msgs
}

// oldestFirst: by ingestion time; each record completes what was ingested
// before it.
func oldestFirst(msgs []kafka.Message, watermark time.Time) []kafka.Message {
	out := byIngestion(msgs)
	for i, m := range out {
		out[i] = withComplete(m, ingestion(m))
	}
	return last(out, watermark)
}

// newestFirst: as a first catch-up arrives, each record with the header
// extract gave it (nothing complete before the lookback's start).
func newestFirst(msgs []kafka.Message, watermark time.Time) []kafka.Message {
	out := byIngestion(msgs)
	slices.Reverse(out)
	return last(out, watermark)
}

// newestPerWindow: as a live extractor polling every window delivers it:
// windows oldest first, each newest first, each record completing the
// windows before its own.
func newestPerWindow(msgs []kafka.Message, window time.Duration, watermark time.Time) []kafka.Message {
	out := byIngestion(msgs)
	for i := 0; i < len(out); {
		start := ingestion(out[i]).Truncate(window)
		j := i
		for j < len(out) && ingestion(out[j]).Truncate(window).Equal(start) {
			out[j] = withComplete(out[j], start)
			j++
		}
		slices.Reverse(out[i:j])
		i = j
	}
	return last(out, watermark)
}
