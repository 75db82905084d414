package testkit

import (
	"bytes"
	"encoding/json"
	"time"
)

// LogLines returns the JSON log lines of a program's stderr (other lines
// are ignored).
func LogLines(stderr string) []map[string]any {
	var out []map[string]any
	for line := range bytes.Lines([]byte(stderr)) {
		var m map[string]any
		if json.Unmarshal(line, &m) == nil && m["message"] != nil {
			out = append(out, m)
		}
	}
	return out
}

// CountMessages is the number of log lines of stderr whose message is msg.
func CountMessages(stderr, msg string) int {
	n := 0
	for _, l := range LogLines(stderr) {
		if l["message"] == msg {
			n++
		}
	}
	return n
}

// servingMessage is the log line with which every daemon announces the
// address of its /metrics and /healthz (daemon.Listen).
const servingMessage = "serving /metrics and /healthz"

// LoggedMetricsAddr is the address the process logged for /metrics and
// /healthz (METRICS_ADDR 127.0.0.1:0 picks a port), "" before it did.
func (p *Proc) LoggedMetricsAddr() string {
	for _, l := range LogLines(p.Stderr()) {
		if l["message"] == servingMessage {
			addr, _ := l["addr"].(string)
			return addr
		}
	}
	return ""
}

// MetricsAddr waits up to 15 seconds for the process to log the address of
// its /metrics and /healthz, and fails the test if it does not.
func (p *Proc) MetricsAddr() string {
	p.tb.Helper()
	var addr string
	if !Eventually(15*time.Second, func() bool { addr = p.LoggedMetricsAddr(); return addr != "" || p.Exited() }) || addr == "" {
		p.tb.Fatalf("%v logged no metrics address; stderr:\n%s", p.cmd.Args, Tail(p.Stderr(), 4096))
	}
	return addr
}
