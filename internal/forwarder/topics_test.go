package forwarder_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// mustCluster starts a broker that creates topics only when asked, as
// production clusters do, seeded with topics.
func mustCluster(t *testing.T, topics ...string) *kafka.Client {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DefaultNumPartitions(1)}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(1, topics...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return &kafka.Client{Addr: kafka.TCP(c.ListenAddrs()[0]), Timeout: 5 * time.Second, Transport: testkit.Transport(t)}
}

// A missing topic (the alerts topic before detect first writes) does not
// hold the others: they are read at once, and read again with it once it
// appears; with no topic at all, nothing is read until one appears.
func TestTopicsReadsWhatExistsThenWhatAppears(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		seeded []string
		want   string
	}{
		{"alerts missing", []string{"events"}, "[events] [events alerts]"},
		{"both missing", nil, "[events alerts]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			admin := mustCluster(t, tc.seeded...)
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			var mu sync.Mutex
			var calls []string
			reads := make(chan []string, 4)
			tp := &forwarder.Topics{Admin: admin, Topics: []string{"events", "alerts"}, Poll: 50 * time.Millisecond, Logger: zerolog.Nop(),
				Read: func(ctx context.Context, topics []string) error {
					mu.Lock()
					calls = append(calls, fmt.Sprint(topics))
					mu.Unlock()
					reads <- topics
					<-ctx.Done()
					return nil
				}}
			done := make(chan error, 1)
			go func() { done <- tp.Run(ctx) }()

			time.Sleep(200 * time.Millisecond) // a few polls: nothing read without a topic
			if len(tc.seeded) > 0 {
				<-reads
			}
			missing := []string{"alerts"}
			if len(tc.seeded) == 0 {
				missing = []string{"events", "alerts"}
			}
			var create []kafka.TopicConfig
			for _, name := range missing {
				create = append(create, kafka.TopicConfig{Topic: name, NumPartitions: 1, ReplicationFactor: 1})
			}
			if _, err := admin.CreateTopics(ctx, &kafka.CreateTopicsRequest{Topics: create}); err != nil {
				t.Fatal(err)
			}
			select {
			case <-reads:
			case <-ctx.Done():
				t.Fatal("the new topic was not read")
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v after its context ended, want nil", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if got := strings.Join(calls, " "); got != tc.want {
				t.Errorf("Read calls = %s, want %s", got, tc.want)
			}
		})
	}
}

// Read's error ends Run; wrong credentials or configuration say delivery
// stopped.
func TestTopicsStopsOnReadError(t *testing.T) {
	t.Parallel()
	admin := mustCluster(t, "events")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("hec: %w", sinks.ErrAuth), "fix the credentials and restart"},
		{fmt.Errorf("hec: %w", sinks.ErrMisconfigured), "fix the sink's configuration and restart"},
		{errors.New("consumer: boom"), "consumer: boom"},
	} {
		tp := &forwarder.Topics{Admin: admin, Topics: []string{"events"}, Logger: zerolog.Nop(),
			Read: func(context.Context, []string) error { return tc.err }}
		err := tp.Run(t.Context())
		if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run = %v, want %v saying %q", err, tc.err, tc.want)
		}
	}
}
