package pigmentsim

import (
	"context"
	"crypto/subtle"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// Handler returns the simulator's HTTP API:
//
//	GET /api/audit/v1/events?ingestedSince=&cursor=       (the audit key)
//	GET /api/v1/applications                              (the metadata key)
//	GET /api/v1/blocks?applicationId=
//	GET /api/v1/importConfigurations?applicationId=&blockId=
//	GET /api/v1/views?applicationId=&blockId=
//	GET /healthz (no authentication, no rate limit)
//
// Every /api/* request is authenticated first (401; each key works on its
// own API only, as Pigment's key types do), then counted against the one
// rate limit shared by every endpoint (429: Pigment's limit is per IP), then possibly delayed (SlowRate) or failed
// (FaultRate). A 200 answer may be truncated (TruncateRate): either the body
// is cut and the connection aborted (the client sees an unexpected EOF), or a
// cut body is sent with a matching Content-Length (the client sees invalid
// JSON). Aborting relies on a real http.Server, as httptest.NewServer gives.
func (s *Sim) Handler() http.Handler {
	notFound := func(w http.ResponseWriter, r *http.Request) { writeError(w, http.StatusNotFound, "not found") }
	audit := http.NewServeMux()
	audit.HandleFunc("GET /api/audit/v1/events", s.serveEvents)
	audit.HandleFunc("/api/audit/", notFound)
	meta := http.NewServeMux()
	meta.HandleFunc("GET /api/v1/applications", s.serveApplications)
	meta.HandleFunc("GET /api/v1/blocks", s.serveBlocks)
	meta.HandleFunc("GET /api/v1/importConfigurations", s.serveBlockItems("importConfigurations", func(b *metaBlock) []metaItem { return b.imports }))
	meta.HandleFunc("GET /api/v1/views", s.serveBlockItems("views", func(b *metaBlock) []metaItem { return b.views }))
	meta.HandleFunc("/api/", notFound)
	root := http.NewServeMux()
	root.Handle("/api/audit/", s.guard(audit, s.cfg.APIKey))
	root.Handle("/api/", s.guard(meta, s.cfg.MetadataAPIKey))
	root.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	return root
}

type truncateKey struct{}

// guard applies authentication with key, the rate limit and fault
// injection.
func (s *Sim) guard(next http.Handler, key string) http.Handler {
	want := []byte("Bearer " + key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			s.unauthorized.Add(1)
			w.Header().Set("WWW-Authenticate", `Bearer realm="pigment"`)
			writeError(w, http.StatusUnauthorized, "unauthorized")
			return
		}
		if retry, ok := s.allow(s.cfg.Clock()); !ok {
			s.rateLimited.Add(1)
			if s.cfg.RetryAfter {
				w.Header().Set("Retry-After", strconv.FormatInt(int64((retry+time.Second-1)/time.Second), 10))
			}
			writeError(w, http.StatusTooManyRequests, "rate limit exceeded")
			return
		}
		slow, fault, truncate, pick := s.roll()
		if slow {
			s.slowed.Add(1)
			t := time.NewTimer(s.cfg.SlowDelay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if fault {
			s.faults.Add(1)
			writeFault(w, pick)
			return
		}
		if truncate {
			r = r.WithContext(context.WithValue(r.Context(), truncateKey{}, pick))
		}
		next.ServeHTTP(w, r)
	})
}

// allow counts a request in the fixed window containing now and reports
// whether it is within the limit; if not, it also returns the time left
// until the window resets.
func (s *Sim) allow(now time.Time) (time.Duration, bool) {
	if s.cfg.RateLimit <= 0 {
		return 0, true
	}
	win := now.UnixNano() / int64(s.cfg.RateWindow)
	s.mu.Lock()
	defer s.mu.Unlock()
	if win != s.window {
		s.window, s.windowCount = win, 0
	}
	s.windowCount++
	if s.windowCount <= s.cfg.RateLimit {
		return 0, true
	}
	return time.Duration((win+1)*int64(s.cfg.RateWindow) - now.UnixNano()), false
}

// roll draws the fault injection decisions of one request.
func (s *Sim) roll() (slow, fault, truncate bool, pick int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	slow = s.slow > 0 && s.rng.Float64() < s.slow
	fault = s.fault > 0 && s.rng.Float64() < s.fault
	truncate = s.truncate > 0 && s.rng.Float64() < s.truncate
	return slow, fault, truncate, s.rng.IntN(4)
}

const badGateway = `<html>
<head><title>502 Bad Gateway</title></head>
<body>
<center><h1>502 Bad Gateway</h1></center>
<hr><center>nginx</center>
</body>
</html>
`

const unavailable = `<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>503 Service Unavailable</h1><p>The server is temporarily unable to service your request.</p></body></html>`

// writeFault answers 500 (JSON), 502 (HTML) or 503 (JSON or HTML).
func writeFault(w http.ResponseWriter, pick int) {
	switch pick {
	case 0:
		writeError(w, http.StatusInternalServerError, "internal server error")
	case 1:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(badGateway))
	case 2:
		writeError(w, http.StatusServiceUnavailable, "service unavailable")
	default:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(unavailable))
	}
}

// writeError answers {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	b := append([]byte(`{"error":`), jsonenc.AppendString(nil, msg)...)
	b = append(b, '}')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeBody answers 200 with a JSON body, truncated when guard decided so.
func (s *Sim) writeBody(w http.ResponseWriter, r *http.Request, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	pick, truncate := r.Context().Value(truncateKey{}).(int)
	if !truncate || len(body) < 2 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
		return
	}
	s.truncated.Add(1)
	cut := body[:len(body)/2]
	if pick%2 == 0 { // a short but well-framed answer: invalid JSON
		h.Set("Content-Length", strconv.Itoa(len(cut)))
		_, _ = w.Write(cut)
		return
	}
	// The full length is announced, half is sent, the connection dies.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(cut)
	_ = http.NewResponseController(w).Flush()
	panic(http.ErrAbortHandler)
}

// bufPool holds render buffers; a 1,000-event page is about 600 KB.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}
