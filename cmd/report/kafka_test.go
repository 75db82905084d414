package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/report"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// partitions returns the partitions of topic and a client, closed with
// the test.
func partitions(t *testing.T, brokers, topic string) (*kgo.Client, []int32) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	resp, err := meta.RequestWith(context.Background(), cl)
	if err != nil || len(resp.Topics) != 1 {
		t.Fatalf("metadata of %s: %v", topic, err)
	}
	var ps []int32
	for _, p := range resp.Topics[0].Partitions {
		ps = append(ps, p.Partition)
	}
	return cl, ps
}

// offsets sums the first (at -2) or end (at -1) offsets of topic's
// partitions.
func offsets(t *testing.T, brokers, topic string, at int64) int64 {
	t.Helper()
	_, ps := partitions(t, brokers, topic)
	reqs := make([]kafka.OffsetRequest, len(ps))
	for i, p := range ps {
		reqs[i] = kafka.OffsetRequest{Partition: int(p), Timestamp: at}
	}
	c := &kafka.Client{Addr: kafka.TCP(brokers), Transport: testkit.Transport(t)}
	resp, err := c.ListOffsets(context.Background(), &kafka.ListOffsetsRequest{Topics: map[string][]kafka.OffsetRequest{topic: reqs}})
	if err != nil {
		t.Fatalf("list offsets of %s: %v", topic, err)
	}
	var sum int64
	for _, p := range resp.Topics[topic] {
		sum += map[bool]int64{true: p.FirstOffset, false: p.LastOffset}[at == kafka.FirstOffset]
	}
	return sum
}

// deleteRecords empties every partition of topic as retention would: the
// records are gone, the end offsets stay.
func deleteRecords(t *testing.T, brokers, topic string) {
	t.Helper()
	cl, ps := partitions(t, brokers, topic)
	req := kmsg.NewPtrDeleteRecordsRequest()
	rt := kmsg.NewDeleteRecordsRequestTopic()
	rt.Topic = topic
	for _, p := range ps {
		rp := kmsg.NewDeleteRecordsRequestTopicPartition()
		rp.Partition, rp.Offset = p, -1 // -1: up to the high watermark
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	req.TimeoutMillis = 10000
	resp, err := req.RequestWith(context.Background(), cl)
	if err != nil {
		t.Fatalf("delete records of %s: %v", topic, err)
	}
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			if rp.ErrorCode != 0 {
				t.Fatalf("delete records of %s/%d: error code %d", topic, rp.Partition, rp.ErrorCode)
			}
		}
	}
	if first, end := offsets(t, brokers, topic, kafka.FirstOffset), offsets(t, brokers, topic, kafka.LastOffset); first != end || end == 0 {
		t.Fatalf("%s after deleting its records: first offsets sum to %d, end offsets to %d", topic, first, end)
	}
}

// lastOffset is offsets' at for the end offsets.
const lastOffset = kafka.LastOffset

// writeDeadLetter puts one dead letter, dead at at, on the dead-letter
// topic, as extract would for a record it could not read.
func writeDeadLetter(t *testing.T, brokers, topic string, at time.Time) {
	t.Helper()
	w := &kafka.Writer{Addr: kafka.TCP(brokers), RequiredAcks: kafka.RequireAll, AllowAutoTopicCreation: true,
		Transport: testkit.Transport(t)}
	defer w.Close()
	m := record.Letter{Key: []byte("e-unreadable"), Value: []byte(`{"eventType":"X"}`), Reason: "missing eventId",
		Stage: record.StageExtract, Time: at}.Message(topic, 1<<20)
	if err := w.WriteMessages(context.Background(), m); err != nil {
		t.Fatalf("write a dead letter to %s: %v", topic, err)
	}
}

// countInTopic counts the distinct events of the topic whose event time is
// in per, read with kcat, a client independent of the project's.
func countInTopic(t *testing.T, p *pipeline, per report.Period) int64 {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range testkit.Kcat(t, p.Brokers, p.Topic) {
		var e struct {
			EventTimestamp time.Time `json:"eventTimestamp"`
		}
		if r.Payload == nil || json.Unmarshal([]byte(*r.Payload), &e) != nil {
			t.Fatalf("record %d/%d is not an event", r.Partition, r.Offset)
		}
		if !e.EventTimestamp.Before(per.Start) && e.EventTimestamp.Before(per.End) {
			seen[r.Header(record.HeaderEventID)] = true
		}
	}
	return int64(len(seen))
}
