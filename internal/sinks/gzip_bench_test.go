package sinks

import (
	"bytes"
	"io"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/testkit/benchkit"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// BenchmarkGzipLevels compresses a page of 1,000 simulator events formatted
// for HEC (about 1 KB each) as the HEC sink does, at each level worth
// considering, and decompresses level 1's stream as a receiver would: the
// measurements behind SPLUNK_HEC_GZIP_LEVEL's default (README, "Splunk
// HEC"). Figures: ns per event and the compression ratio.
func BenchmarkGzipLevels(b *testing.B) {
	recs := hecPage(b)
	total := 0
	for _, r := range recs {
		total += len(r) + 1
	}
	for _, l := range []struct {
		name  string
		level int
	}{{"level-1", 1}, {"level-2", 2}, {"level-3", 3}, {"huffman-only", gzip.HuffmanOnly}} {
		b.Run(l.name, func(b *testing.B) {
			p := newGzipPool(l.level)
			var buf bytes.Buffer
			b.SetBytes(int64(total))
			for b.Loop() {
				buf.Reset()
				if err := p.compressLines(&buf, recs); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)/float64(buf.Len()), "ratio")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
		})
	}
	b.Run("decompress-level-1", func(b *testing.B) {
		var buf bytes.Buffer
		if err := newGzipPool(1).compressLines(&buf, recs); err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			b.Fatal(err)
		}
		out := make([]byte, 256<<10)
		b.SetBytes(int64(total))
		for b.Loop() {
			if err := zr.Reset(bytes.NewReader(buf.Bytes())); err != nil {
				b.Fatal(err)
			}
			for err == nil {
				_, err = zr.Read(out)
			}
			if err != io.EOF {
				b.Fatal(err) // a stream that does not decode is not measured as one that does
			}
			err = nil
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/event")
	})
}

// hecPage is a page of simulator events formatted for HEC.
func hecPage(b *testing.B) [][]byte {
	var recs [][]byte
	benchkit.SimEvents(b, 1000, func(events []event.Event) {
		for i := range events {
			recs = append(recs, transform.AppendHEC(nil, &events[i], transform.HECOptions{Host: "bench"}))
		}
	})
	return recs
}
