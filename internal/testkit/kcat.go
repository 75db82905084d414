package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// KcatRecord is one line of `kcat -C -J`: headers are a flat array of
// alternating names and values.
type KcatRecord struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       *string
	Payload   *string
	Headers   []string
}

// Kcat reads every record of topic, from the beginning to the end of each
// partition, with kcat (librdkafka): a client independent of the
// project's, for tests that check what the project wrote or counted. A
// missing kcat fails the test (apt-get install kcat).
func Kcat(tb testing.TB, brokers, topic string) []KcatRecord {
	tb.Helper()
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		tb.Fatalf("kcat is required for this test (apt-get install kcat): %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, kcat, "-b", brokers, "-t", topic, "-C", "-e", "-J", "-q")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("kcat: %v\n%s", err, stderr.String())
	}
	var out []KcatRecord
	for i, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var r KcatRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			tb.Fatalf("kcat line %d is not JSON: %v\n%s", i+1, err, line)
		}
		out = append(out, r)
	}
	return out
}

// Header returns the value of the record's first header named key, "" if
// none.
func (r KcatRecord) Header(key string) string {
	for i := 0; i+1 < len(r.Headers); i += 2 {
		if r.Headers[i] == key {
			return r.Headers[i+1]
		}
	}
	return ""
}
