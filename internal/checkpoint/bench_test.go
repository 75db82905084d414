package checkpoint

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkCommitPage commits pages of 1,000 new event IDs, as the extractor
// does, against a checkpoint_seen table that grows with every page.
func BenchmarkCommitPage(b *testing.B) {
	ctx := context.Background()
	s, _ := mustStore(b)
	run, err := s.BeginRun(ctx, "live", ModeRun, t0, time.Time{})
	if err != nil {
		b.Fatal(err)
	}
	pages := benchPages(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		if err := s.CommitPage(ctx, run, pages[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
}

// benchPages returns n pages of 1,000 events with IDs shaped like UUIDs.
func benchPages(n int) []PageCommit {
	const perPage = 1000
	pages := make([]PageCommit, n)
	for i := range pages {
		produced := make([]Seen, perPage)
		for j := range produced {
			produced[j] = Seen{
				ID:        fmt.Sprintf("%08x-%04x-4b1d-4e8a-9f1c2a7e4b1d", i, j),
				Ingestion: t0.Add(time.Duration(i*perPage+j) * time.Millisecond),
			}
		}
		pages[i] = PageCommit{NextCursor: fmt.Sprintf("cursor-%d", i), High: produced[perPage-1].Ingestion,
			Produced: produced, Fetched: perPage}
	}
	return pages
}
