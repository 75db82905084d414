package sinks_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/syslogtest"
)

// line5424 builds an RFC 5424 message by hand (the formatter lives
// elsewhere): PRI 134 (local0.info), a fixed timestamp, APP-NAME pigment.
func line5424(msgid, sd, msg string) []byte {
	return []byte("<134>1 2024-05-01T12:34:56.789Z host.example pigment - " + msgid + " " + sd + " " + msg)
}

// syslogBatch returns n distinct messages with escaped SD-PARAMs and non-ASCII MSG.
func syslogBatch(prefix string, n int) [][]byte {
	recs := make([][]byte, n)
	for i := range recs {
		sd := fmt.Sprintf(`[pigment@32473 eventId="%s-%d" actor="a\"b\\c\]d"]`, prefix, i)
		recs[i] = line5424("user.login", sd, fmt.Sprintf(`{"eventId":"%s-%d","name":"Zoë 日本"}`, prefix, i))
	}
	return recs
}

func mustSyslog(tb testing.TB, cfg sinks.SyslogConfig) *sinks.Syslog {
	tb.Helper()
	s, err := sinks.NewSyslog(cfg)
	return closedAtEnd(tb, "NewSyslog", s, err)
}

// wantAll fails unless there are n results, all with outcome want.
func wantAll(tb testing.TB, got []sinks.Result, n int, want sinks.Outcome) {
	tb.Helper()
	if len(got) != n {
		tb.Fatalf("Send returned %d results, want %d", len(got), n)
	}
	for i, r := range got {
		if r.Outcome != want {
			tb.Fatalf("result %d = %v (%s), want %v", i, r.Outcome, r.Reason, want)
		}
	}
}

// wantReceived fails unless msgs are exactly recs, in order.
func wantReceived(tb testing.TB, msgs []syslogtest.Message, recs [][]byte) {
	tb.Helper()
	if len(msgs) != len(recs) {
		tb.Fatalf("received %d messages, want %d", len(msgs), len(recs))
	}
	for i := range recs {
		if !bytes.Equal(msgs[i].Raw, recs[i]) {
			tb.Fatalf("message %d = %q, want %q", i, msgs[i].Raw, recs[i])
		}
	}
}

func TestSyslogTCPOctetCounting(t *testing.T) {
	t.Parallel()
	r := syslogtest.NewTCPReceiver(t, nil)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "tcp"})
	recs := syslogBatch("tcp", 500)
	recs = append(recs, line5424("big", "-", strings.Repeat("x", 100<<10))) // bigger than the buffer
	res, err := s.Send(context.Background(), recs, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantAll(t, res, len(recs), sinks.Delivered)
	msgs := r.Wait(t, len(recs), 5*time.Second)
	wantReceived(t, msgs, recs)
	if v, _ := msgs[3].Param("pigment@32473", "actor"); v != `a"b\c]d` {
		t.Errorf("actor = %q, want %q", v, `a"b\c]d`)
	}
}

func TestSyslogRejectsEmptyRecord(t *testing.T) {
	t.Parallel()
	r := syslogtest.NewTCPReceiver(t, nil)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "tcp"})
	recs := [][]byte{line5424("a", "-", "one"), {}, line5424("b", "-", "two")}
	res, err := s.Send(context.Background(), recs, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got := outcomes(res); got != "DXD" {
		t.Fatalf("outcomes = %s, want DXD", got)
	}
	wantReceived(t, r.Wait(t, 2, 5*time.Second), [][]byte{recs[0], recs[2]})
}

func TestSyslogReconnectsAfterReceiverCloses(t *testing.T) {
	t.Parallel()
	r := syslogtest.NewTCPReceiver(t, nil)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "tcp"})
	first, second := syslogBatch("first", 10), syslogBatch("second", 10)
	res, _ := s.Send(context.Background(), first, nil)
	wantAll(t, res, len(first), sinks.Delivered)
	r.Wait(t, len(first), 5*time.Second)

	r.CloseConnections() // the receiver restarts, say
	res, _ = s.Send(context.Background(), second, nil)
	wantAll(t, res, len(second), sinks.Delivered)
	wantReceived(t, r.Wait(t, 20, 5*time.Second), append(first, second...))
	if got := r.Accepted(); got != 2 {
		t.Errorf("receiver accepted %d connections, want 2", got)
	}
}

func TestSyslogReceiverDownIsRetry(t *testing.T) {
	t.Parallel()
	s := mustSyslog(t, sinks.SyslogConfig{Addr: closedAddr(t), Network: "tcp", DialTimeout: time.Second})
	// The connection was refused:
	sendRetried(t, s, syslogBatch("down", 3), "refused")
}

// sendRetried sends recs and checks that every one is Retry, the first
// with a reason containing want.
func sendRetried(t *testing.T, s *sinks.Syslog, recs [][]byte, want string) {
	t.Helper()
	res, err := s.Send(context.Background(), recs, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantAll(t, res, len(recs), sinks.Retry)
	if !strings.Contains(res[0].Reason, want) {
		t.Errorf("reason = %q, want it to contain %q", res[0].Reason, want)
	}
}

// stallingSyslogServer accepts connections and never reads from them.
func stallingSyslogServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

func TestSyslogWriteTimeoutWhenReceiverStopsReading(t *testing.T) {
	t.Parallel()
	s := mustSyslog(t, sinks.SyslogConfig{Addr: stallingSyslogServer(t), Network: "tcp", WriteTimeout: 200 * time.Millisecond})
	recs := make([][]byte, 1000)
	for i := range recs {
		recs[i] = line5424("big", "-", strings.Repeat("y", 4000))
	}
	start := time.Now()
	for i := 0; i < 50; i++ { // at most 200 MB; socket buffers fill far sooner
		sendStart := time.Now()
		res, err := s.Send(context.Background(), recs, nil)
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if d := time.Since(sendStart); d > 3*time.Second {
			t.Fatalf("Send blocked for %v with WriteTimeout 200ms", d)
		}
		if res[0].Outcome == sinks.Retry {
			wantAll(t, res, len(recs), sinks.Retry)
			if !strings.Contains(res[0].Reason, "timeout") {
				t.Errorf("reason = %q, want a timeout", res[0].Reason)
			}
			return
		}
	}
	t.Fatalf("no Retry after %v of sending to a receiver that never reads", time.Since(start))
}

func TestSyslogContextEndInterruptsWrite(t *testing.T) {
	t.Parallel()
	s := mustSyslog(t, sinks.SyslogConfig{Addr: stallingSyslogServer(t), Network: "tcp", WriteTimeout: time.Minute})
	recs := make([][]byte, 20000)
	for i := range recs {
		recs[i] = line5424("big", "-", strings.Repeat("z", 4000)) // 80 MB: more than the socket buffers
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := s.Send(ctx, recs, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send error = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Send returned after %v, want soon after the context ended", d)
	}
	wantAll(t, res, len(recs), sinks.Retry)
}

// syslogTestCA returns a server TLS config for 127.0.0.1 signed by a fresh CA, and
// a pool holding that CA.
func syslogTestCA(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "syslog test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func TestSyslogTLSVerified(t *testing.T) {
	t.Parallel()
	serverCfg, pool := syslogTestCA(t)
	r := syslogtest.NewTCPReceiver(t, serverCfg)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "tls", TLS: &tls.Config{RootCAs: pool}})
	first, second := syslogBatch("tls1", 50), syslogBatch("tls2", 50)
	res, _ := s.Send(context.Background(), first, nil)
	wantAll(t, res, len(first), sinks.Delivered)
	r.Wait(t, len(first), 5*time.Second)

	r.CloseConnections() // sends close_notify and FIN
	res, _ = s.Send(context.Background(), second, nil)
	wantAll(t, res, len(second), sinks.Delivered)
	wantReceived(t, r.Wait(t, 100, 5*time.Second), append(first, second...))
}

func TestSyslogTLSUnknownCAIsRetry(t *testing.T) {
	t.Parallel()
	serverCfg, _ := syslogTestCA(t)
	r := syslogtest.NewTCPReceiver(t, serverCfg)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "tls"}) // system roots only
	// A certificate verification error:
	sendRetried(t, s, syslogBatch("untrusted", 2), "certificate")
	if n := len(r.Messages()); n != 0 {
		t.Errorf("receiver got %d messages over an unverified connection", n)
	}
	hs := r.HandshakeErrors()
	for deadline := time.Now().Add(2 * time.Second); len(hs) == 0 && time.Now().Before(deadline); hs = r.HandshakeErrors() {
		time.Sleep(5 * time.Millisecond) // the server learns of the alert a moment later
	}
	if len(hs) != 1 || !strings.Contains(hs[0].Error(), "bad certificate") {
		t.Errorf("receiver handshake errors = %v, want the client's bad certificate alert", hs)
	}
}

func TestSyslogUDPDatagramsAndSizeLimit(t *testing.T) {
	t.Parallel()
	r := syslogtest.NewUDPReceiver(t)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "udp"})
	head := line5424("size", "-", "")
	exact := append(bytes.Clone(head), strings.Repeat("a", 2048-len(head))...)
	tooBig := append(bytes.Clone(exact), 'b')
	recs := append(syslogBatch("udp", 3), exact, tooBig)
	res, err := s.Send(context.Background(), recs, nil)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	wantAll(t, res[:4], 4, sinks.Delivered)
	want := "message of 2049 bytes exceeds SYSLOG_MAX_DATAGRAM (2048)"
	if res[4].Outcome != sinks.Reject || res[4].Reason != want {
		t.Errorf("oversized result = %v %q, want reject %q", res[4].Outcome, res[4].Reason, want)
	}
	wantReceived(t, r.Wait(t, 4, 5*time.Second), recs[:4])
}

func TestNewSyslogChecksConfig(t *testing.T) {
	for _, cfg := range []sinks.SyslogConfig{
		{Addr: "127.0.0.1:514", Network: "relp"},
		{Addr: "127.0.0.1:514", Network: ""},
		{Addr: "no-port", Network: "tcp"},
	} {
		if _, err := sinks.NewSyslog(cfg); err == nil {
			t.Errorf("NewSyslog(%+v) = nil error, want one", cfg)
		}
	}
}

func TestSyslogSendAfterCloseFails(t *testing.T) {
	r := syslogtest.NewTCPReceiver(t, nil)
	s := mustSyslog(t, sinks.SyslogConfig{Addr: r.Addr, Network: "tcp"})
	s.Close()
	res, err := s.Send(context.Background(), syslogBatch("closed", 1), nil)
	if err == nil {
		t.Fatal("Send after Close = nil error, want one")
	}
	wantAll(t, res, 1, sinks.Retry)
}

// BenchmarkSyslogTCP measures the sink alone: batches of 1000 ~550-byte
// records into a receiver that discards them.
func BenchmarkSyslogTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c)
		}
	}()
	s := mustSyslog(b, sinks.SyslogConfig{Addr: ln.Addr().String(), Network: "tcp"})
	recs := syslogBatch("bench", 1000)
	for i := range recs {
		recs[i] = append(recs[i], strings.Repeat(" ", 550-len(recs[i]))...)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(recs) * 550))
	for b.Loop() {
		if res, err := s.Send(context.Background(), recs, nil); err != nil || res[0].Outcome != sinks.Delivered {
			b.Fatalf("Send = %v, %v", res[0], err)
		}
	}
	b.ReportMetric(float64(b.N*len(recs))/b.Elapsed().Seconds(), "records/s")
}
