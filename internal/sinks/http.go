package sinks

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// maxAnswer bounds how much of an HTTP answer is read into memory; the rest
// is drained so the connection can be reused.
const maxAnswer = 4 << 20

// newHTTPClient returns a keep-alive client for one peer. tlsConf nil means
// the system roots with full verification. Skipping verification is the
// caller's explicit choice (tlsConf.InsecureSkipVerify); it is logged loudly.
//
// Redirects are never followed: Splunk and Elasticsearch do not send them,
// and following one would send the Authorization header (and the batch)
// wherever the answer points, https or not. The 3xx answer is returned as
// is, and classified as a misconfiguration.
func newHTTPClient(tlsConf *tls.Config, timeout time.Duration, log zerolog.Logger, peer string) *http.Client {
	if tlsConf != nil && tlsConf.InsecureSkipVerify {
		log.Warn().Str("sink", peer).Msg("TLS certificate verification is DISABLED: the peer is not authenticated")
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          64,
		MaxIdleConnsPerHost:   64,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// The body is compressed by the sink when configured; never ask
		// for compressed answers (they are small).
		DisableCompression: true,
	}
	return &http.Client{Transport: tr, Timeout: timeout, CheckRedirect: refuseRedirect}
}

func refuseRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// warnPlaintext warns, at start, when a secret is to be sent over plain
// http to a host other than this one: anyone on the path can read it.
func warnPlaintext(log zerolog.Logger, peer string, u *url.URL) {
	if u.Scheme != "http" {
		return
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || ip != nil && ip.IsLoopback() {
		return
	}
	log.Warn().Str("sink", peer).Str("host", u.Host).
		Msg("credentials are sent over plain http to another host: anyone on the path can read them; use https")
}

// answer is a read HTTP response.
type answer struct {
	status int
	// body is as received, to be parsed. Text copied out of it goes
	// through red (see excerpt): redacting the body itself would corrupt
	// the answer whenever a secret is also a word of it ("status").
	body       []byte
	retryAfter time.Duration
	// redirect is where a 3xx answer pointed: scheme and host only, since
	// its path or query may carry a secret.
	redirect string
	red      *redactor
}

// excerpt returns a short, single-line excerpt of the body for reasons,
// without the sink's secrets (removed before cutting, so none is cut in
// two).
func (a answer) excerpt() string { return excerpt(a.red.bytes(a.body)) }

// do sends req and reads at most maxAnswer bytes of the answer, draining
// the rest; red is kept with the answer for the text copied out of it. A
// transport error is returned as is (the caller turns it into Retry, a TLS
// verification error or a context error).
func do(c *http.Client, req *http.Request, red *redactor) (answer, error) {
	resp, err := c.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	_, _ = io.Copy(io.Discard, resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, body: body, retryAfter: retryAfter(resp.Header), red: red}
	if a.status >= 300 && a.status < 400 {
		a.redirect = "(no Location)"
		if loc, err := resp.Location(); err == nil {
			a.redirect = loc.Scheme + "://" + loc.Host
		}
	}
	return a, nil
}

// transportResult classifies a transport error. It returns a non-nil error
// when delivery must stop: ctx ended, or the peer's certificate cannot be
// verified (ErrMisconfigured: retrying will not fix it).
func transportResult(ctx context.Context, peer string, err error) (Result, error) {
	if ctx.Err() != nil {
		return Result{}, ctx.Err()
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) {
		return Result{}, fmt.Errorf("%s: TLS verification: %w: %w", peer, err, ErrMisconfigured)
	}
	return Result{Outcome: Retry, Reason: peer + ": " + err.Error()}, nil
}

// transportFailed fills res for a request that got no answer: every record
// Retry, its reason redacted; or it returns the error that stops delivery
// (see transportResult).
func transportFailed(ctx context.Context, peer string, red *redactor, err error, res []Result) error {
	r, err := transportResult(ctx, peer, err)
	if err != nil {
		return err
	}
	r.Reason = red.string(r.Reason)
	fill(res, r)
	return nil
}

// parseBaseURL checks a sink's configured base URL.
func parseBaseURL(peer, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: URL %q: want http(s)://host[:port]", peer, raw)
	}
	return u, nil
}

// freeBufs holds request-body buffers between sends. A sync.Pool was
// emptied by every other garbage collection, and regrowing megabyte
// buffers (zeroing them included) showed in the forwarder's profile; a
// bounded free list keeps enough for the concurrent senders of a process.
var freeBufs = make(chan *bytes.Buffer, 32)

func getBuf() *bytes.Buffer {
	select {
	case b := <-freeBufs:
		b.Reset()
		return b
	default:
		return new(bytes.Buffer)
	}
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() > 64<<20 {
		return // an outsized one-off: let it go
	}
	select {
	case freeBufs <- b:
	default:
	}
}

// excerpt returns a short, single-line excerpt of an answer body for reasons.
func excerpt(b []byte) string {
	const n = 300
	s := strings.Join(strings.Fields(string(b)), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
