package syslogtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// rsyslogConf makes rsyslogd a plain RFC 5424 receiver: imtcp (octet
// counting is on by default) and imudp feed ruleset "r", which splits the
// structured data with mmpstrucdata and writes every message as one JSON
// line of the properties rsyslog parsed. imuxsock is not loaded, so
// /dev/log is left alone. Placeholders: work dir, output file, TCP port,
// UDP port.
const rsyslogConf = `global(workDirectory=%q maxMessageSize="64k")
module(load="imtcp")
module(load="imudp")
module(load="mmpstrucdata")
template(name="parsed" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="version" name="protocol-version" format="jsonf")
  property(outname="timestamp" name="timereported" dateFormat="rfc3339" format="jsonf")
  property(outname="hostname" name="hostname" format="jsonf")
  property(outname="app_name" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="sd_parsed" name="$!rfc5424-sd" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
  property(outname="input" name="inputname" format="jsonf")
}
ruleset(name="r") {
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file=%q template="parsed")
}
input(type="imtcp" address="127.0.0.1" port="%d" ruleset="r")
input(type="imudp" address="127.0.0.1" port="%d" ruleset="r")
`

// Parsed is what rsyslogd made of one message: its properties pri,
// protocol-version, timereported (RFC 3339), hostname, app-name, procid,
// msgid, structured-data (as received), msg and inputname ("imtcp" or
// "imudp"). SDParsed is mmpstrucdata's view of the structured data with
// PARAM-VALUEs unescaped: SD-ID -> PARAM-NAME -> value.
type Parsed struct {
	Pri       string                       `json:"pri"`
	Version   string                       `json:"version"`
	Timestamp string                       `json:"timestamp"`
	Hostname  string                       `json:"hostname"`
	AppName   string                       `json:"app_name"`
	ProcID    string                       `json:"procid"`
	MsgID     string                       `json:"msgid"`
	SD        string                       `json:"sd"`
	SDRaw     string                       `json:"sd_parsed"`
	Msg       string                       `json:"msg"`
	Input     string                       `json:"input"`
	SDParsed  map[string]map[string]string `json:"-"`
}

// Rsyslog is a running rsyslogd receiving on 127.0.0.1.
type Rsyslog struct {
	TCPAddr, UDPAddr string
	out              string
	stderr           *testkit.SyncBuffer
}

// StartRsyslog runs rsyslogd (Debian package rsyslog) in the foreground with
// rsyslogConf in a temporary directory and stops it at cleanup. It returns
// once a probe message sent over TCP and one over UDP were both written out.
// A missing rsyslogd fails the test: it is never skipped.
func StartRsyslog(tb testing.TB) *Rsyslog {
	tb.Helper()
	bin, err := exec.LookPath("rsyslogd")
	if err != nil {
		bin = "/usr/sbin/rsyslogd"
		if _, serr := os.Stat(bin); serr != nil {
			tb.Fatalf("rsyslogd not found in PATH nor at %s: install the Debian package rsyslog (apt-get install -y rsyslog): %v", bin, err)
		}
	}
	var last string
	for attempt := 0; attempt < 3; attempt++ { // a freed port can be taken by another test
		r, cmd, ok := startRsyslog(tb, bin)
		if ok {
			return r
		}
		last = r.stderr.String()
		stopProcess(cmd)
	}
	tb.Fatalf("rsyslogd did not come up (3 attempts); its output:\n%s", last)
	return nil
}

func startRsyslog(tb testing.TB, bin string) (*Rsyslog, *exec.Cmd, bool) {
	tb.Helper()
	dir := tb.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		tb.Fatal(err)
	}
	tcpPort, udpPort := freePort(tb, "tcp"), freePort(tb, "udp")
	r := &Rsyslog{
		TCPAddr: fmt.Sprintf("127.0.0.1:%d", tcpPort),
		UDPAddr: fmt.Sprintf("127.0.0.1:%d", udpPort),
		out:     filepath.Join(dir, "parsed.json"),
		stderr:  &testkit.SyncBuffer{},
	}
	conf := filepath.Join(dir, "rsyslog.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, rsyslogConf, work, r.out, tcpPort, udpPort), 0o644); err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(bin, "-n", "-f", conf, "-i", filepath.Join(dir, "rsyslogd.pid"))
	cmd.Stdout, cmd.Stderr = r.stderr, r.stderr
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start rsyslogd: %v", err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	ready := r.probe(exited, 5*time.Second)
	if ready {
		tb.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				cmd.Process.Kill()
				<-exited
			}
		})
	}
	return r, cmd, ready
}

// probe sends a probe over TCP and UDP until both come out, rsyslogd exits
// or timeout passes.
func (r *Rsyslog) probe(exited <-chan struct{}, timeout time.Duration) bool {
	const probe = "<14>1 - - syslogtest - probe - ready"
	deadline := time.Now().Add(timeout)
	tcpSent := false
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if !tcpSent {
			if c, err := net.Dial("tcp", r.TCPAddr); err == nil {
				_, err = fmt.Fprintf(c, "%d %s", len(probe), probe)
				c.Close()
				tcpSent = err == nil
			}
		}
		if c, err := net.Dial("udp", r.UDPAddr); err == nil {
			c.Write([]byte(probe))
			c.Close()
		}
		time.Sleep(50 * time.Millisecond)
		var tcpOK, udpOK bool
		for _, p := range r.read() {
			if p.AppName == "syslogtest" && p.MsgID == "probe" {
				tcpOK = tcpOK || p.Input == "imtcp"
				udpOK = udpOK || p.Input == "imudp"
			}
		}
		if tcpOK && udpOK {
			return true
		}
	}
	return false
}

// read returns every message written out so far, probes included.
func (r *Rsyslog) read() []Parsed {
	b, _ := os.ReadFile(r.out)
	var out []Parsed
	for line := range bytes.Lines(b) {
		if !bytes.HasSuffix(line, []byte("\n")) {
			break // being written
		}
		var p Parsed
		if json.Unmarshal(line, &p) != nil {
			continue
		}
		if p.SDRaw != "" {
			json.Unmarshal([]byte(p.SDRaw), &p.SDParsed)
		}
		out = append(out, p)
	}
	return out
}

// Wait returns the messages rsyslogd parsed, probes left out, once at least
// n arrived; it fails the test if they do not within timeout.
func (r *Rsyslog) Wait(tb testing.TB, n int, timeout time.Duration) []Parsed {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var got []Parsed
		for _, p := range r.read() {
			if !(p.AppName == "syslogtest" && p.MsgID == "probe") {
				got = append(got, p)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			tb.Fatalf("rsyslogd parsed %d messages after %v, want %d; its output:\n%s", len(got), timeout, n, r.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a port that was free on 127.0.0.1 a moment ago.
func freePort(tb testing.TB, network string) int {
	tb.Helper()
	if network == "udp" {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		defer pc.Close()
		return pc.LocalAddr().(*net.UDPAddr).Port
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func stopProcess(cmd *exec.Cmd) {
	if cmd != nil && cmd.Process != nil {
		cmd.Process.Kill()
	}
}
