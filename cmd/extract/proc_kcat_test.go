package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// kcatRecord is one line of `kcat -C -J`: headers are a flat array of
// alternating names and values.
type kcatRecord struct {
	Partition int32
	Offset    int64
	Key       *string
	Payload   *string
	Headers   []string
}

// TestKcatReadsEveryEvent reads the topic written by `extract once` with an
// independent client (librdkafka's kcat): every event is there once, with a
// key, its eventId header, and the event's JSON as payload.
func TestKcatReadsEveryEvent(t *testing.T) {
	t.Parallel()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		t.Fatalf("kcat is required for this test (apt-get install kcat): %v", err)
	}
	s := newStack(t, pigmentsim.Config{Seed: 44, History: 6 * time.Hour, HistoryEvents: 2500, LateFraction: -1})
	env := s.ExtractEnv(nil)
	testkit.MustRun(t, extractBin, env, "once")
	want := s.sim.VisibleIDs(time.Now())

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kcat, "-b", s.Brokers, "-t", s.Topic, "-C", "-e", "-J", "-q")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("kcat: %v\n%s", err, stderr.String())
	}

	var got []string
	for i, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var r kcatRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("kcat line %d is not JSON: %v\n%s", i+1, err, line)
		}
		id := kcatHeader(r.Headers, record.HeaderEventID)
		got = append(got, id)
		if r.Key == nil || *r.Key == "" || r.Payload == nil || len(r.Headers)%2 != 0 {
			t.Errorf("kcat record %d/%d: want a key, a payload and name/value headers, got %s", r.Partition, r.Offset, line)
			continue
		}
		var ev struct {
			EventID string `json:"eventId"`
		}
		if err := json.Unmarshal([]byte(*r.Payload), &ev); err != nil || ev.EventID != id {
			t.Errorf("kcat record %d/%d: payload eventId %q (%v), header eventId %q", r.Partition, r.Offset, ev.EventID, err, id)
		}
	}
	d := diffIDs(got, want)
	d.check(t, want)
	if len(got) != d.distinct {
		t.Errorf("kcat read %d records for %d distinct events", len(got), d.distinct)
	}
}

// kcatHeader returns the value of the first header named key.
func kcatHeader(headers []string, key string) string {
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == key {
			return headers[i+1]
		}
	}
	return ""
}
