package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/sinks/syslogtest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// eventTypes returns each event's eventType, from the records' headers.
func (d *deployment) eventTypes(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range testkit.ReadAll(t, d.brokers, d.topic) {
		out[testkit.Header(m, record.HeaderEventID)] = testkit.Header(m, record.HeaderEventType)
	}
	return out
}

// A real rsyslogd (Debian's) receives the RFC 5424 stream over TCP with
// octet counting and parses every message: version 1, APP-NAME pigment,
// MSGID the event type, the eventId in the pigment@32473 element, the
// original event JSON as MSG.
func TestSyslogIntoRealRsyslog(t *testing.T) {
	t.Parallel()
	rs := syslogtest.StartRsyslog(t) // fails the test when rsyslogd is missing
	d := newDeployment(t, 2000)
	types := d.eventTypes(t)
	env := d.env("syslog", map[string]string{"SYSLOG_ADDR": rs.TCPAddr, "SYSLOG_NETWORK": "tcp"})
	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return true })

	parsed := rs.Wait(t, len(d.ids), 60*time.Second)
	seen := map[string]int{}
	for _, p := range parsed {
		id := p.SDParsed["pigment@32473"]["eventId"]
		seen[id]++
		wantType := types[id]
		if len(wantType) > 32 {
			wantType = wantType[:32]
		}
		if p.Version != "1" || p.AppName != "pigment" || p.MsgID != wantType || p.Input != "imtcp" {
			t.Fatalf("rsyslog parsed version %q app-name %q msgid %q input %q for %q; want 1, pigment, %q, imtcp",
				p.Version, p.AppName, p.MsgID, p.Input, id, wantType)
		}
		if p.Msg != string(d.raw[id]) {
			t.Fatalf("rsyslog MSG of %q = %q, want the original event %q", id, p.Msg, d.raw[id])
		}
	}
	checkAllDelivered(t, d.ids, func(id string) bool { return seen[id] > 0 })
	if len(parsed) != len(d.ids) {
		t.Errorf("rsyslog parsed %d messages, want %d", len(parsed), len(d.ids))
	}
}

// SYSLOG_FORMAT=cef into the strict in-test receiver: every message is
// valid RFC 5424 carrying a CEF:0|Pigment|… payload.
func TestSyslogCEF(t *testing.T) {
	t.Parallel()
	rcv := syslogtest.NewTCPReceiver(t, nil)
	d := newDeployment(t, 1000)
	env := d.env("syslog", map[string]string{"SYSLOG_ADDR": rcv.Addr, "SYSLOG_NETWORK": "tcp", "SYSLOG_FORMAT": "cef"})
	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return len(rcv.Messages()) >= len(d.ids) })

	msgs := rcv.Messages()
	for _, m := range msgs {
		if !bytes.HasPrefix(m.Msg, []byte("CEF:0|Pigment|")) || m.AppName != "pigment" {
			t.Fatalf("message %q: want APP-NAME pigment and a CEF:0|Pigment|… payload", m.Raw)
		}
	}
	checkAllDelivered(t, d.ids, func(id string) bool {
		for _, m := range msgs {
			if bytes.Contains(m.Msg, []byte(id)) {
				return true
			}
		}
		return false
	})
}

// SINK=file FILE_FORMAT=ecs: one valid JSON line per event.
func TestFileECSWritesOneJSONLinePerEvent(t *testing.T) {
	t.Parallel()
	d := newDeployment(t, 2000)
	path := filepath.Join(t.TempDir(), "events.ndjson")
	env := d.env("file", map[string]string{"FILE_PATH": path, "FILE_FORMAT": "ecs"})
	recs := d.records(t)
	forwardUntil(t, d, env, recs, func() bool { return true })

	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	seen := map[string]int{}
	for i, line := range lines {
		var doc struct {
			Event struct {
				ID string `json:"id"`
			} `json:"event"`
		}
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("line %d is not JSON: %v\n%s", i+1, err, line)
		}
		seen[doc.Event.ID]++
	}
	checkAllDelivered(t, d.ids, func(id string) bool { return seen[id] == 1 })
	if len(lines) != len(d.ids) {
		t.Errorf("%d lines, want %d (one per event)", len(lines), len(d.ids))
	}
}
