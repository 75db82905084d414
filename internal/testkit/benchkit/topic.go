package benchkit

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/pigment"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// FillTopic writes n simulator events to topic.
func FillTopic(b testing.TB, brokers, topic string, n int) {
	sim, err := pigmentsim.New(pigmentsim.Config{Seed: 1, APIKey: "k", History: 7 * 24 * time.Hour, HistoryEvents: n, LateFraction: -1})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(sim.Handler())
	defer srv.Close()
	client, err := pigment.New(pigment.Config{BaseURL: srv.URL, APIKey: "k"})
	if err != nil {
		b.Fatal(err)
	}
	w, err := publish.New(publish.Config{Brokers: []string{brokers}, Compression: "lz4", Transport: testkit.Transport(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	cursor, written, since := "", 0, time.Now().Add(-8*24*time.Hour)
	for {
		page, err := client.FetchPage(context.Background(), since, cursor)
		if err != nil {
			b.Fatal(err)
		}
		msgs := make([]kafka.Message, len(page.Events))
		for i, ev := range page.Events {
			msgs[i] = record.Event(topic, ev)
		}
		if err := w.Write(context.Background(), msgs); err != nil {
			b.Fatal(err)
		}
		written += len(msgs)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if written != n {
		b.Fatalf("wrote %d events, want %d", written, n)
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
