package detector

import (
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/detect"
)

// newTestSession returns a session over partitions 0 and 1 at offsets, with
// the built-in rules (lateness 10m) and nothing read yet.
func newTestSession(t *testing.T, offsets map[int]int64) *session {
	t.Helper()
	rs, err := detect.LoadRules(detect.DefaultRules())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := detect.NewEngine(rs)
	if err != nil {
		t.Fatal(err)
	}
	return &session{eng: eng, offsets: offsets, complete: map[int]time.Time{},
		parts: []kafka.Partition{{ID: 0}, {ID: 1}}}
}

// TestWatermarkFollowsExtractOnceItsRecordsAreRead: extract's checkpoint
// says every event ingested before T is in the topic, at the end offsets
// read after it. Until detect has read up to those offsets the watermark
// does not move; once it has, the watermark is T minus the lateness, even
// past the newest event read and with no completeBefore header at all
// (a first catch-up, then nothing).
func TestWatermarkFollowsExtractOnceItsRecordsAreRead(t *testing.T) {
	t.Parallel()
	T := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	s := newTestSession(t, map[int]int64{0: 5, 1: 3})
	s.newest = T.Add(-3 * time.Hour)
	ends := map[int]int64{0: 7, 1: 3}

	s.noteExtract(&extractMark{at: T, ends: ends})
	if wm := s.watermark(ends); !wm.IsZero() {
		t.Fatalf("watermark with partition 0 at 5 of 7 = %v, want none yet", wm)
	}
	s.offsets[0] = 6
	s.noteExtract(nil)
	if wm := s.watermark(ends); !wm.IsZero() {
		t.Fatalf("watermark with partition 0 at 6 of 7 = %v, want none yet", wm)
	}
	s.offsets[0] = 7
	s.noteExtract(nil)
	if wm, want := s.watermark(ends), T.Add(-10*time.Minute); !wm.Equal(want) {
		t.Fatalf("watermark once read to the offsets = %v, want %v (T minus the lateness)", wm, want)
	}

	// A later checkpoint read with later offsets waits for them; the
	// watermark keeps what was vouched for meanwhile.
	later := map[int]int64{0: 9, 1: 3}
	s.noteExtract(&extractMark{at: T.Add(30 * time.Minute), ends: later})
	if wm, want := s.watermark(later), T.Add(-10*time.Minute); !wm.Equal(want) {
		t.Fatalf("watermark before the later offsets are read = %v, want %v", wm, want)
	}
	s.offsets[0] = 9
	s.noteExtract(nil)
	if wm, want := s.watermark(later), T.Add(20*time.Minute); !wm.Equal(want) {
		t.Fatalf("watermark once read to the later offsets = %v, want %v", wm, want)
	}
}

// TestWatermarkFromExtractIsBoundedByTheClock: a checkpoint ahead of this
// clock (Postgres's clock, or the source's, running ahead) moves the
// watermark no further than this clock plus the skew allowed.
func TestWatermarkFromExtractIsBoundedByTheClock(t *testing.T) {
	t.Parallel()
	s := newTestSession(t, map[int]int64{0: 1, 1: 1})
	ends := map[int]int64{0: 1, 1: 1}
	before := time.Now()
	s.noteExtract(&extractMark{at: before.Add(48 * time.Hour), ends: ends})
	wm := s.watermark(ends)
	if late := time.Now().Add(maxExtractSkew - 10*time.Minute); wm.IsZero() || wm.After(late) || wm.Before(before.Add(maxExtractSkew-10*time.Minute)) {
		t.Fatalf("watermark from a checkpoint two days ahead = %v, want this clock plus %v minus the lateness (%v)", wm, maxExtractSkew, late)
	}
}

// TestWatermarkWithoutExtract: no checkpoint read (detect used alone), the
// watermark is the headers' as before.
func TestWatermarkWithoutExtract(t *testing.T) {
	t.Parallel()
	T := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	s := newTestSession(t, map[int]int64{0: 4, 1: 2})
	s.complete[0], s.complete[1] = T, T.Add(-time.Hour)
	s.newest = T.Add(time.Hour)
	s.noteExtract(nil)
	if wm, want := s.watermark(map[int]int64{0: 4, 1: 2}), T.Add(-10*time.Minute); !wm.Equal(want) {
		t.Fatalf("watermark from headers alone = %v, want %v", wm, want)
	}
}
