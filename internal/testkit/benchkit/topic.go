package benchkit

import (
	"context"
	"net/http/httptest"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// FillTopic writes n simulator events to topic.
func FillTopic(b testing.TB, brokers, topic string, n int) {
	w, err := publish.New(publish.Config{Brokers: []string{brokers}, Compression: "lz4", Transport: testkit.Transport(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	SimEvents(b, n, func(events []event.Event) {
		msgs := make([]kafka.Message, len(events))
		for i, ev := range events {
			msgs[i] = record.Event(topic, ev)
		}
		if err := w.Write(context.Background(), msgs); err != nil {
			b.Fatal(err)
		}
	})
}

// SimEvents hands fn the n events of a simulator (seed 1, spread over the
// last week) page by page, in the simulator's order, as the Pigment client
// fetches them: the benchmarks' events, without holding all n at once.
func SimEvents(tb testing.TB, n int, fn func([]event.Event)) {
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: 1, APIKey: "k", History: 7 * 24 * time.Hour, HistoryEvents: n, LateFraction: -1})
	if err != nil {
		tb.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	client, err := pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		tb.Fatal(err)
	}
	cursor, got, since := "", 0, time.Now().Add(-8*24*time.Hour)
	for {
		page, err := client.FetchPage(context.Background(), since, cursor)
		if err != nil {
			tb.Fatal(err)
		}
		fn(page.Events)
		got += len(page.Events)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if got != n {
		tb.Fatalf("the simulator gave %d events, want %d", got, n)
	}
}

// RawConsume reads n records of topic as a new consumer group (a kafka-go
// Reader, fetching without committing) and does nothing else with them:
// the baseline the forwarding benchmarks compare with.
func RawConsume(tb testing.TB, brokers, topic, group string, n int) {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{brokers}, GroupID: group, GroupTopics: []string{topic},
		StartOffset: kafka.FirstOffset, MinBytes: 1, MaxBytes: 16 << 20, MaxWait: 100 * time.Millisecond, QueueCapacity: 4096})
	defer r.Close()
	for i := 0; i < n; i++ {
		if _, err := r.FetchMessage(context.Background()); err != nil {
			tb.Fatal(err)
		}
	}
}

// EnvInt is the environment variable name as a positive number (a
// benchmark's size, BENCH_EVENTS say), else def.
func EnvInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
