package forwarder_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// fakeSink answers each record with whatever answer returns, and records
// what it confirmed.
type fakeSink struct {
	mu        sync.Mutex
	answer    func(id string, attempt int) sinks.Result
	attempts  map[string]int
	delivered map[string]int
	authFail  bool
}

func newFakeSink(answer func(id string, attempt int) sinks.Result) *fakeSink {
	return &fakeSink{answer: answer, attempts: map[string]int{}, delivered: map[string]int{}}
}

func (s *fakeSink) Send(_ context.Context, recs [][]byte, ids []string) ([]sinks.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.authFail {
		return nil, fmt.Errorf("splunk answered 401: %w", sinks.ErrAuth)
	}
	out := make([]sinks.Result, len(recs))
	for i, id := range ids {
		s.attempts[id]++
		out[i] = s.answer(id, s.attempts[id])
		if out[i].Outcome == sinks.Delivered {
			s.delivered[id]++
		}
	}
	return out, nil
}

type setup struct {
	brokers, topic, dlq, group string
	ids                        []string
	senders                    int             // Config.Senders
	formatted                  func(ev string) // called as each record is formatted, in fetch order
	tune                       func(*forwarder.Config)
	format                     forwarder.Format // nil: the record's raw value
}

// newSetup fills a topic with n events, plus the given raw records.
func newSetup(t *testing.T, n int, extra ...string) setup {
	t.Helper()
	_, brokers := testkit.MustKafka(t)
	s := setup{brokers: brokers, topic: testkit.Name("events"), dlq: testkit.Name("dlq"), group: testkit.Name("g")}
	w, err := publish.New(publish.Config{Brokers: []string{brokers}, Transport: testkit.Transport(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var msgs []kafka.Message
	for i := range n {
		id := fmt.Sprintf("ev-%05d", i)
		s.ids = append(s.ids, id)
		msgs = append(msgs, kafka.Message{Topic: s.topic, Key: []byte(id), Value: []byte(
			`{"eventId":"` + id + `","eventType":"UserLoggedIn","eventTimestamp":"2026-11-01T10:00:00Z","ingestionTimestamp":"2026-11-01T10:00:05Z","actor":{"memberId":"m1"}}`)})
	}
	for _, raw := range extra {
		msgs = append(msgs, kafka.Message{Topic: s.topic, Value: []byte(raw)})
	}
	if err := w.Write(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return s
}

// consumer joins the setup's group, as forward run does.
func (s setup) consumer(t *testing.T) *consumer.Consumer {
	t.Helper()
	c, err := consumer.New(consumer.Config{Brokers: []string{s.brokers}, GroupID: s.group, Topics: []string{s.topic},
		Dialer: kafka.DefaultDialer, MaxWait: 50 * time.Millisecond, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// forward runs a forwarder until every record is committed or it stops.
func (s setup) forward(t *testing.T, sink forwarder.Sink, total int) error {
	t.Helper()
	r := s.consumer(t)
	defer r.Close()
	dlq, err := publish.New(publish.Config{Brokers: []string{s.brokers}, Transport: testkit.Transport(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer dlq.Close()
	cfg := forwarder.Config{Sink: "fake", DLQTopic: s.dlq, BatchSize: 100, BatchWait: 20 * time.Millisecond, Senders: s.senders,
		RetryMin: time.Millisecond, RetryMax: 5 * time.Millisecond, Logger: zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.ErrorLevel)}
	if s.tune != nil {
		s.tune(&cfg)
	}
	f := forwarder.New(cfg, r, sink, func(dst []byte, ev *event.Event) []byte {
		if s.formatted != nil {
			s.formatted(ev.ID)
		}
		if s.format != nil {
			return s.format(dst, ev)
		}
		return rawFormat(dst, ev)
	}, dlq)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	for ctx.Err() == nil {
		select {
		case err := <-done:
			return err
		case <-time.After(50 * time.Millisecond):
		}
		if s.committed(t) >= total {
			cancel()
			return <-done
		}
	}
	return ctx.Err()
}

// rejecting is a sink that refuses the record id for good, with reason,
// and delivers the others.
func rejecting(id, reason string) *fakeSink {
	return newFakeSink(func(got string, _ int) sinks.Result {
		if got == id {
			return sinks.Result{Outcome: sinks.Reject, Reason: reason}
		}
		return sinks.Result{Outcome: sinks.Delivered}
	})
}

// rawFormat sends each record as it was read.
func rawFormat(dst []byte, ev *event.Event) []byte { return append(dst, ev.Raw...) }

// committed sums the group's committed offsets over the topic's partitions.
func (s setup) committed(t *testing.T) int {
	t.Helper()
	c := &kafka.Client{Addr: kafka.TCP(s.brokers)}
	resp, err := c.OffsetFetch(context.Background(), &kafka.OffsetFetchRequest{GroupID: s.group, Topics: map[string][]int{s.topic: {0, 1, 2}}})
	if err != nil {
		return 0
	}
	n := 0
	for _, p := range resp.Topics[s.topic] {
		if p.CommittedOffset > 0 {
			n += int(p.CommittedOffset)
		}
	}
	return n
}

func TestRetriesUntilDeliveredThenCommits(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 500)
	sink := newFakeSink(func(id string, attempt int) sinks.Result {
		if strings.HasSuffix(id, "7") && attempt < 4 { // a busy sink, for some records
			return sinks.Result{Outcome: sinks.Retry, Reason: "server is busy"}
		}
		return sinks.Result{Outcome: sinks.Delivered}
	})
	if err := s.forward(t, sink, 500); err != nil {
		t.Fatal(err)
	}
	for _, id := range s.ids {
		if sink.delivered[id] != 1 {
			t.Fatalf("%s delivered %d times, want once", id, sink.delivered[id])
		}
	}
	if got := len(testkit.ReadAll(t, s.brokers, s.dlq)); got != 0 {
		t.Errorf("%d records in the DLQ, want none", got)
	}
}

func TestRejectedAndInvalidRecordsGoToTheDLQAndTheStreamFlowsOn(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 300, `{not json`, `{"eventType":"NoID"}`)
	sink := rejecting("ev-00042", "mapper_parsing_exception: failed to parse field [source.ip]")
	if err := s.forward(t, sink, 302); err != nil {
		t.Fatal(err)
	}
	dlq := testkit.ReadAll(t, s.brokers, s.dlq)
	if len(dlq) != 3 {
		t.Fatalf("DLQ holds %d records, want 3 (one rejected, two unparsable)", len(dlq))
	}
	var reasons []string
	for _, m := range dlq {
		reasons = append(reasons, testkit.Header(m, "dlq.reason"))
		if testkit.Header(m, "dlq.stage") != "forward:fake" || testkit.Header(m, "dlq.source.topic") != s.topic || testkit.Header(m, "dlq.source.offset") == "" {
			t.Errorf("DLQ record headers %v lack the source and stage", m.Headers)
		}
	}
	if !strings.Contains(strings.Join(reasons, "|"), "mapper_parsing_exception") {
		t.Errorf("DLQ reasons %q do not carry the sink's reason", reasons)
	}
	if delivered := len(sink.delivered); delivered != 299 {
		t.Errorf("%d records delivered, want the other 299", delivered)
	}
}

func TestAuthFailureStopsWithoutCommitting(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 50)
	sink := newFakeSink(nil)
	sink.authFail = true
	err := s.forward(t, sink, 50)
	if err == nil || !strings.Contains(err.Error(), "authentication") {
		t.Fatalf("Run = %v, want the sink's authentication error", err)
	}
	if got := s.committed(t); got != 0 {
		t.Errorf("%d offsets committed after the sink refused the credentials, want 0", got)
	}
}

// gateSink holds the batch holding the first record fetched until release
// says how it ends (nil: delivered); other batches are delivered at once.
type gateSink struct {
	first     atomic.Value // string: the first record formatted
	release   chan error
	delivered atomic.Int64
}

func (s *gateSink) Send(_ context.Context, recs [][]byte, ids []string) ([]sinks.Result, error) {
	if slices.Contains(ids, s.first.Load().(string)) {
		if err := <-s.release; err != nil {
			return nil, err
		}
	}
	s.delivered.Add(int64(len(ids)))
	out := make([]sinks.Result, len(recs))
	for i := range out {
		out[i].Outcome = sinks.Delivered
	}
	return out, nil
}

// With several batches in delivery, a batch confirmed early waits for the
// ones fetched before it: its offsets are committed only after theirs, and
// never if one of them fails (committing it would skip the failed one).
func TestConcurrentDeliveriesCommitInFetchOrder(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		t.Run(fmt.Sprintf("first batch fails %v", fail), func(t *testing.T) {
			t.Parallel()
			s := newSetup(t, 600)
			s.senders = 3
			sink := &gateSink{release: make(chan error)}
			s.formatted = func(id string) { sink.first.CompareAndSwap(nil, id) }
			done := make(chan error, 1)
			go func() { done <- s.forward(t, sink, 600) }()
			deadline := time.Now().Add(20 * time.Second)
			for sink.delivered.Load() == 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond) // later batches delivered around the held one
			}
			time.Sleep(200 * time.Millisecond) // time for more, and for a wrong commit
			if got := sink.delivered.Load(); got == 0 || got > 200 {
				t.Fatalf("%d records delivered while the first batch was held; want some, at most two batches (Senders 3)", got)
			}
			if got := s.committed(t); got != 0 {
				t.Fatalf("%d offsets committed before the first batch was delivered, want 0", got)
			}
			if fail {
				sink.release <- fmt.Errorf("hec: 401: %w", sinks.ErrAuth)
				if err := <-done; !errors.Is(err, sinks.ErrAuth) {
					t.Fatalf("Run = %v, want the authentication error", err)
				}
				if got := s.committed(t); got != 0 {
					t.Fatalf("%d offsets committed after the first batch failed, want 0", got)
				}
				return
			}
			sink.release <- nil
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := s.committed(t); got != 600 {
				t.Fatalf("%d offsets committed, want 600", got)
			}
		})
	}
}

func TestLagCountsWhatTheGroupHasNotCommitted(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 120)
	c := &kafka.Client{Addr: kafka.TCP(s.brokers)}
	before, err := forwarder.Lag(context.Background(), c, s.group, []string{s.topic, "not-created-yet"})
	if err != nil || before != 120 {
		t.Fatalf("Lag before consuming = %d, %v; want 120", before, err)
	}
	sink := newFakeSink(func(string, int) sinks.Result { return sinks.Result{Outcome: sinks.Delivered} })
	if err := s.forward(t, sink, 120); err != nil {
		t.Fatal(err)
	}
	after, err := forwarder.Lag(context.Background(), c, s.group, []string{s.topic})
	if err != nil || after != 0 {
		t.Fatalf("Lag after consuming = %d, %v; want 0", after, err)
	}
}

// Records of the alerts topic are parsed as alerts, so the formats give them
// their own kind (HEC sourcetype pigment:alert, ECS event.kind alert).
func TestAlertsTopicRecordsAreFormattedAsAlerts(t *testing.T) {
	t.Parallel()
	alert := `{"id":"a-1","rule":"bulk-deletion","severity":"high","title":"Bulk deletion","actor":"m1",` +
		`"window":{"start":"2026-11-20T10:00:00Z","end":"2026-11-20T11:00:00Z"},"firstEventTime":"2026-11-20T10:00:00Z",` +
		`"lastEventTime":"2026-11-20T10:04:00Z","count":25,"evidence":["e1"]}`
	s := newSetup(t, 0, alert)
	var got []byte
	sink := newFakeSink(func(string, int) sinks.Result { return sinks.Result{Outcome: sinks.Delivered} })
	r := s.consumer(t)
	defer r.Close()
	f := forwarder.New(forwarder.Config{Sink: "fake", AlertsTopic: s.topic, DLQTopic: s.dlq, BatchWait: 20 * time.Millisecond},
		r, sink, func(dst []byte, ev *event.Event) []byte {
			out := transform.AppendHEC(dst, ev, transform.HECOptions{Host: "h"})
			got = append([]byte(nil), out[len(dst):]...)
			return out
		}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	for ctx.Err() == nil && s.committed(t) < 1 {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(string(got), `"sourcetype":"pigment:alert"`) || sink.delivered["a-1"] != 1 {
		t.Fatalf("alert delivered %d times as %s; want once, with sourcetype pigment:alert", sink.delivered["a-1"], got)
	}
}

// TestFormatSeesTheKafkaPosition: the archive keeps where each record was
// read, so the format gets the topic, partition and offset.
func TestFormatSeesTheKafkaPosition(t *testing.T) {
	t.Parallel()
	s := newSetup(t, 30)
	s.format = func(dst []byte, ev *event.Event) []byte {
		return fmt.Appendf(dst, "%s/%d/%d", ev.Topic, ev.Partition, ev.Offset)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	sink := &recordingSink{fn: func(recs [][]byte) {
		mu.Lock()
		defer mu.Unlock()
		for _, r := range recs {
			seen[string(r)] = true
		}
	}}
	if err := s.forward(t, sink, 30); err != nil {
		t.Fatal(err)
	}
	var want int
	for _, m := range testkit.ReadAll(t, s.brokers, s.topic) {
		want++
		if pos := fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset); !seen[pos] {
			t.Errorf("no record formatted with position %s (saw %d positions)", pos, len(seen))
		}
	}
	if want != 30 {
		t.Errorf("topic holds %d records, want 30", want)
	}
}

// recordingSink delivers everything and shows each batch to fn.
type recordingSink struct{ fn func([][]byte) }

func (s *recordingSink) Send(_ context.Context, recs [][]byte, _ []string) ([]sinks.Result, error) {
	s.fn(recs)
	return make([]sinks.Result, len(recs)), nil
}
