package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"
)

// Invalid configurations stop `forward run` before it connects to
// anything, with an error naming the variable; secrets are never echoed.
func TestRunRefusesInvalidConfiguration(t *testing.T) {
	t.Parallel()
	const token, apiKey = "hec-secret-0c1d2e3f", "es-secret-4a5b6c7d"
	splunk := map[string]string{"SINK": "splunk", "SPLUNK_HEC_URL": "http://127.0.0.1:1", "SPLUNK_HEC_TOKEN": token,
		"ELASTIC_API_KEY": apiKey, "KAFKA_BROKERS": "127.0.0.1:1", "METRICS_ADDR": "127.0.0.1:0"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	syslog := with(splunk, "SINK", "syslog", "SYSLOG_ADDR", "127.0.0.1:1")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // the variable the error must name
	}{
		{"missing SINK", with(splunk, "SINK", ""), "SINK"},
		{"unknown SINK", with(splunk, "SINK", "kafka"), "SINK"},
		{"missing SPLUNK_HEC_URL", with(splunk, "SPLUNK_HEC_URL", ""), "SPLUNK_HEC_URL"},
		{"missing SPLUNK_HEC_TOKEN", with(splunk, "SPLUNK_HEC_TOKEN", ""), "SPLUNK_HEC_TOKEN"},
		{"bad SYSLOG_FORMAT", with(syslog, "SYSLOG_FORMAT", "leef"), "SYSLOG_FORMAT"},
		{"bad FORWARD_BATCH_WAIT", with(splunk, "FORWARD_BATCH_WAIT", "soon"), "FORWARD_BATCH_WAIT"},
		{"zero FORWARD_BATCH_WAIT", with(splunk, "FORWARD_BATCH_WAIT", "0s"), "FORWARD_BATCH_WAIT"},
		{"negative FORWARD_SENDERS", with(splunk, "FORWARD_SENDERS", "-1"), "FORWARD_SENDERS"},
		{"too many FORWARD_SENDERS", with(splunk, "FORWARD_SENDERS", "1000"), "FORWARD_SENDERS"},
		{"missing ELASTIC_URL", with(splunk, "SINK", "elastic"), "ELASTIC_URL"},
		{"bad FILE_FORMAT", with(splunk, "SINK", "file", "FILE_PATH", "/tmp/x", "FILE_FORMAT", "xml"), "FILE_FORMAT"},
		{"token and token file", with(splunk, "SPLUNK_HEC_TOKEN_FILE", "/nonexistent"), "SPLUNK_HEC_TOKEN"},
		{"missing KAFKA_BROKERS", with(splunk, "KAFKA_BROKERS", ""), "KAFKA_BROKERS"},
		{"tiny KAFKA_MAX_MESSAGE_BYTES", with(splunk, "KAFKA_MAX_MESSAGE_BYTES", "1000"), "KAFKA_MAX_MESSAGE_BYTES"},
		{"bad ARCHIVE_RETENTION", with(splunk, "SINK", "postgres", "ARCHIVE_RETENTION", "7 years"), "ARCHIVE_RETENTION"},
		{"zero ARCHIVE_PARTITIONS_AHEAD", with(splunk, "SINK", "postgres", "ARCHIVE_PARTITIONS_AHEAD", "0"), "ARCHIVE_PARTITIONS_AHEAD"},
		{"KIBANA_URL with SINK=splunk", with(splunk, "KIBANA_URL", "http://127.0.0.1:1", "KIBANA_API_KEY", apiKey), "KIBANA_URL"},
		{"KIBANA_URL without a key", with(splunk, "SINK", "elastic", "ELASTIC_URL", "http://127.0.0.1:1", "KIBANA_URL", "http://127.0.0.1:1"), "KIBANA_API_KEY"},
		{"SPLUNK_HEC_GZIP_LEVEL 0", with(splunk, "SPLUNK_HEC_GZIP_LEVEL", "0"), "SPLUNK_HEC_GZIP_LEVEL"},
		{"SPLUNK_HEC_GZIP_LEVEL 10", with(splunk, "SPLUNK_HEC_GZIP_LEVEL", "10"), "SPLUNK_HEC_GZIP_LEVEL"},
		{"bad FORWARD_MEMORY_LIMIT", with(splunk, "FORWARD_MEMORY_LIMIT", "lots"), "FORWARD_MEMORY_LIMIT"},
		{"tiny FORWARD_MEMORY_LIMIT", with(splunk, "FORWARD_MEMORY_LIMIT", "1MiB"), "FORWARD_MEMORY_LIMIT"},
		{"tiny SPLUNK_HEC_ACK_PENDING_BYTES", with(splunk, "SPLUNK_HEC_ACK", "true", "SPLUNK_HEC_ACK_PENDING_BYTES", "1000"), "SPLUNK_HEC_ACK_PENDING_BYTES"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			err := run(context.Background(), []string{"run"}, envconfig.MapLookuper(tc.env), &out, &errb)
			if err == nil {
				t.Fatalf("run = nil, want an error naming %s", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %q, want it to name %s", err, tc.want)
			}
			all := err.Error() + out.String() + errb.String()
			if strings.Contains(all, token) || strings.Contains(all, apiKey) {
				t.Errorf("a secret is echoed: %q", all)
			}
		})
	}
}

// FORWARD_SENDERS defaults per sink: concurrent requests for HTTP sinks
// (more while HEC acknowledgements are awaited), one ordered stream for
// syslog and file; an explicit value wins.
func TestSendersDefaultPerSink(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		want int
	}{
		{map[string]string{"SINK": "splunk", "SPLUNK_HEC_URL": "http://h:8088", "SPLUNK_HEC_TOKEN": "t"}, 4},
		{map[string]string{"SINK": "splunk", "SPLUNK_HEC_URL": "http://h:8088", "SPLUNK_HEC_TOKEN": "t", "SPLUNK_HEC_ACK": "true"}, 8},
		{map[string]string{"SINK": "elastic", "ELASTIC_URL": "http://h:9200", "ELASTIC_API_KEY": "k"}, 2},
		{map[string]string{"SINK": "syslog", "SYSLOG_ADDR": "h:514"}, 1},
		{map[string]string{"SINK": "file", "FILE_PATH": "/tmp/x"}, 1},
		{map[string]string{"SINK": "syslog", "SYSLOG_ADDR": "h:514", "FORWARD_SENDERS": "3"}, 3},
	} {
		c, err := loadConfig(context.Background(), envconfig.MapLookuper(tc.env))
		if err != nil {
			t.Fatal(err)
		}
		if c.Senders != tc.want {
			t.Errorf("%v: Senders = %d, want %d", tc.env, c.Senders, tc.want)
		}
	}
}
