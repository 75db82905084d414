package syslogtest_test

import (
	"context"
	"maps"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/syslogtest"
)

// sent is one hand-written RFC 5424 message and what rsyslogd must make of it.
type sent struct {
	pri, timestamp, hostname, appName, msgID, sd, msg string
	sdParams                                          map[string]map[string]string // unescaped
	wantMsg                                           string                       // "" means msg
}

func (s sent) line() []byte {
	return []byte("<" + s.pri + ">1 " + s.timestamp + " " + s.hostname + " " + s.appName + " - " + s.msgID + " " + s.sd + " " + s.msg)
}

var rsyslogCases = []sent{
	{
		pri: "134", timestamp: "2024-05-01T12:34:56.789Z", hostname: "host.example", appName: "pigment", msgID: "user.login",
		sd:       `[pigment@32473 eventId="e-1" actor="a\"b\\c\]d" application="Plan \]["]`,
		sdParams: map[string]map[string]string{"pigment@32473": {"eventId": "e-1", "actor": `a"b\c]d`, "application": "Plan ]["}},
		msg:      `{"eventId":"e-1","actor":{"name":"Zoë Ødegård 日本語 🙂"}}`,
	},
	{
		pri: "10", timestamp: "2024-05-01T14:34:56.123456+02:00", hostname: "fwd-1", appName: "pigment", msgID: "alert",
		sd: `[pigment@32473 eventId="al-2"][origin ip="10.0.0.1"]`,
		sdParams: map[string]map[string]string{
			"pigment@32473": {"eventId": "al-2"}, "origin": {"ip": "10.0.0.1"},
		},
		msg: `{"id":"al-2","severity":"critical"}`,
	},
	{
		pri: "191", timestamp: "2024-05-01T12:34:56Z", hostname: "-", appName: "pigment", msgID: "-",
		sd: "-", msg: "no structured data, nil hostname",
	},
}

func TestRsyslogParsesWhatTheSyslogSinkSends(t *testing.T) {
	t.Parallel()
	rs := syslogtest.StartRsyslog(t)
	records := make([][]byte, len(rsyslogCases))
	for i, c := range rsyslogCases {
		records[i] = c.line()
		if _, err := syslogtest.Parse(records[i]); err != nil {
			t.Fatalf("case %d is not strict RFC 5424: %v", i, err)
		}
	}
	// Over TCP a line feed inside MSG is legal with octet counting; a
	// receiver splitting on LF would see two messages.
	lf := sent{pri: "134", timestamp: "2024-05-01T12:34:56.789Z", hostname: "h", appName: "pigment", msgID: "lf",
		sd: "-", msg: "line one\nline two", wantMsg: "line one#012line two"}

	for _, network := range []string{"tcp", "udp"} {
		addr := map[string]string{"tcp": rs.TCPAddr, "udp": rs.UDPAddr}[network]
		s, err := sinks.NewSyslog(sinks.SyslogConfig{Addr: addr, Network: network})
		if err != nil {
			t.Fatal(err)
		}
		recs := records
		if network == "tcp" {
			recs = append(recs[:len(recs):len(recs)], lf.line())
		}
		res, err := s.Send(context.Background(), recs, nil)
		if err != nil {
			t.Fatalf("%s Send: %v", network, err)
		}
		for i, r := range res {
			if r.Outcome != sinks.Delivered {
				t.Fatalf("%s result %d = %v (%s), want delivered", network, i, r.Outcome, r.Reason)
			}
		}
		s.Close()
	}

	got := rs.Wait(t, 2*len(rsyslogCases)+1, 10*time.Second)
	byInput := map[string][]syslogtest.Parsed{}
	for _, p := range got {
		byInput[p.Input] = append(byInput[p.Input], p)
	}
	for _, input := range []string{"imtcp", "imudp"} {
		want := rsyslogCases
		if input == "imtcp" {
			want = append(want[:len(want):len(want)], lf)
		}
		if len(byInput[input]) != len(want) {
			t.Fatalf("rsyslogd %s parsed %d messages, want %d: %+v", input, len(byInput[input]), len(want), byInput[input])
		}
		for i, w := range want {
			checkParsed(t, input, i, byInput[input][i], w)
		}
	}
}

func checkParsed(t *testing.T, input string, i int, p syslogtest.Parsed, w sent) {
	t.Helper()
	wantMsg := w.msg
	if w.wantMsg != "" {
		wantMsg = w.wantMsg
	}
	fields := []struct{ name, got, want string }{
		{"pri", p.Pri, w.pri},
		{"protocol-version", p.Version, "1"},
		{"timereported", p.Timestamp, w.timestamp},
		{"hostname", p.Hostname, w.hostname},
		{"app-name", p.AppName, w.appName},
		{"procid", p.ProcID, "-"},
		{"msgid", p.MsgID, w.msgID},
		{"structured-data", p.SD, w.sd},
		{"msg", p.Msg, wantMsg},
	}
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("%s message %d: rsyslog %s = %q, want %q", input, i, f.name, f.got, f.want)
		}
	}
	if w.sdParams != nil && !maps.EqualFunc(p.SDParsed, w.sdParams, maps.Equal) {
		t.Errorf("%s message %d: mmpstrucdata = %v, want %v", input, i, p.SDParsed, w.sdParams)
	}
}
