package extractor_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/pigment-siem/pipeline/internal/extractor"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// brokerLimit is message.max.bytes of the brokers in these tests: a tenth of
// Kafka's default, so a page of one actor's events is several times over it.
const brokerLimit = 100_000

// TestPageOverTheBrokersLimitIsSplit serves a page of 300 events of 3 KB of
// one actor (one partition, 900 KB) to a broker that accepts 100 KB per
// batch. Whether KAFKA_MAX_MESSAGE_BYTES says so (batches are cut to fit) or
// overstates it (refused batches are split), every event must reach the
// topic exactly once. The writer used to send one batch of 900 KB, refused
// with MESSAGE_TOO_LARGE and classed as permanent on every poll.
func TestPageOverTheBrokersLimitIsSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		maxMessageBytes int // KAFKA_MAX_MESSAGE_BYTES
		wantNoRefusal   bool
	}{
		{name: "limit configured", maxMessageBytes: brokerLimit, wantNoRefusal: true},
		{name: "limit overstated", maxMessageBytes: 1_000_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h, api, client := fakeAPIHarness(t)
			api.PageSize = 300
			base := h.now().Add(-time.Hour)
			for i := range 300 {
				id := "big-" + strconv.Itoa(i)
				api.AddRaw(id, base.Add(time.Duration(i)*time.Millisecond), bigEvent(t, id, base.Add(time.Duration(i)*time.Millisecond), 3000))
			}
			_, brokers := testkit.MustKafka(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(brokerLimit)}))
			var refused atomic.Int64
			pub := mustPublisher(t, brokers, tt.maxMessageBytes, func(err error) {
				if errors.Is(err, kafka.MessageSizeTooLarge) {
					refused.Add(1)
				}
			})
			cfg := h.config()
			cfg.MaxMessageBytes = tt.maxMessageBytes
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if _, err := extractor.New(cfg, client, pub, h.store).CatchUp(ctx); err != nil {
				t.Fatalf("CatchUp: %v", err)
			}
			var got []string
			for _, m := range testkit.ReadAll(t, brokers, h.topic) {
				got = append(got, testkit.Header(m, record.HeaderEventID))
			}
			assertExactlyOnce(t, got, api.IDs())
			if tt.wantNoRefusal && refused.Load() > 0 {
				t.Errorf("the broker refused %d writes as too large, want none: batches must stay under KAFKA_MAX_MESSAGE_BYTES", refused.Load())
			}
		})
	}
}

// TestRecordOverTheBrokersLimitStopsLoudly serves one event the broker
// refuses alone (KAFKA_MAX_MESSAGE_BYTES overstates the broker's limit):
// nothing can be split further, so the run fails with an error naming the
// variable instead of retrying for ever.
func TestRecordOverTheBrokersLimitStopsLoudly(t *testing.T) {
	t.Parallel()
	h, api, client := fakeAPIHarness(t)
	at := h.now().Add(-time.Hour)
	api.AddRaw("huge", at, bigEvent(t, "huge", at, 2*brokerLimit))
	_, brokers := testkit.MustKafka(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": strconv.Itoa(brokerLimit)}))
	pub := mustPublisher(t, brokers, 1_000_000, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := extractor.New(h.config(), client, pub, h.store).CatchUp(ctx)
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "KAFKA_MAX_MESSAGE_BYTES") || !errors.Is(err, publish.ErrRecordTooLarge) {
		t.Fatalf("CatchUp = %v (context: %v), want ErrRecordTooLarge naming KAFKA_MAX_MESSAGE_BYTES", err, ctx.Err())
	}
	// extract run stops on it rather than polling the same refusal.
	perr := extractor.New(h.config(), client, pub, h.store).Poll(ctx, 10*time.Millisecond)
	if !errors.Is(perr, publish.ErrRecordTooLarge) || ctx.Err() != nil {
		t.Errorf("Poll = %v (context: %v), want it to stop with ErrRecordTooLarge", perr, ctx.Err())
	}
}

// bigEvent is an event of actor m-1 carrying size bytes of incompressible
// text.
func bigEvent(t *testing.T, id string, at time.Time, size int) string {
	t.Helper()
	blob := make([]byte, size*3/4)
	if _, err := rand.Read(blob); err != nil {
		t.Fatal(err)
	}
	return `{"eventId":"` + id + `","eventType":"DataModified","ingestionTimestamp":"` + at.UTC().Format(time.RFC3339Nano) +
		`","actor":{"memberId":"m-1"},"metadata":{"blob":"` + base64.StdEncoding.EncodeToString(blob) + `"}}`
}

func mustPublisher(t *testing.T, brokers string, maxMessageBytes int, onRetry func(error)) *publish.Publisher {
	t.Helper()
	pub, err := publish.New(publish.Config{
		Brokers: []string{brokers}, Transport: testkit.Transport(t), Logger: testLogger(t), Compression: "lz4", MaxMessageBytes: maxMessageBytes,
		BackoffMin: 5 * time.Millisecond, BackoffMax: 50 * time.Millisecond, OnRetry: onRetry,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return pub
}
