package main

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// With KAFKA_SASL_* set, extract authenticates to a broker that requires
// SASL (SCRAM-SHA-512) and writes every event; an independent client reads
// them back with the same credentials. (A wrong
// password is refused as SASL_AUTHENTICATION_FAILED by Kafka, which the
// publisher treats as permanent; kfake drops the connection instead, so
// that path is covered in internal/envcfg and internal/publish.)
func TestSASLToABrokerThatRequiresIt(t *testing.T) {
	t.Parallel()
	s := newStack(t, pigmentsim.Config{Seed: 45, History: 2 * time.Hour, HistoryEvents: 600, LateFraction: -1})
	brokers, sasl := testkit.MustKafkaSASL(t, "SCRAM-SHA-512", "extract", "scram-pass-5e4d3c")
	testkit.MustRun(t, extractBin, s.ExtractEnv(sasl), "once")

	// An independent client (franz-go, not kafka-go) reads them back with
	// the same credentials. kcat cannot here: kfake offers only SASL
	// handshake v1, and librdkafka 2.0 insists on v0 being listed.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(s.Topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.SASL(scram.Auth{User: sasl["KAFKA_SASL_USERNAME"], Pass: sasl["KAFKA_SASL_PASSWORD"]}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	want := s.sim.VisibleIDs(time.Now())
	var got []string
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for len(got) < len(want) && ctx.Err() == nil {
		fs := cl.PollFetches(ctx)
		for _, e := range fs.Errors() {
			if ctx.Err() == nil {
				t.Fatalf("franz-go with SASL: %v", e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) {
			for _, h := range r.Headers {
				if h.Key == record.HeaderEventID {
					got = append(got, string(h.Value))
				}
			}
		})
	}
	diffIDs(got, want).check(t, want)
}
