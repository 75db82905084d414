package daemon

import (
	"net/url"
	"time"

	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// CheckAPI adds the problems of the settings every caller of Pigment's
// APIs reads (extract, inventory): PIGMENT_API_URL, PIGMENT_HTTP_TIMEOUT
// and PIGMENT_MAX_ATTEMPTS; the key's variable differs per API and is
// checked by the program.
func CheckAPI(p *envcfg.Problems, apiURL string, httpTimeout time.Duration, maxAttempts int) {
	// The URL is named redacted: its user info may hold a password, and
	// one that does not parse is not named at all.
	u, err := url.Parse(apiURL)
	p.Check(err != nil, "PIGMENT_API_URL is not a URL: want an absolute http(s) URL")
	p.Check(err == nil && ((u.Scheme != "http" && u.Scheme != "https") || u.Host == ""),
		"PIGMENT_API_URL %q: want an absolute http(s) URL", u.Redacted())
	p.Check(httpTimeout <= 0, "PIGMENT_HTTP_TIMEOUT must be positive")
	p.Check(maxAttempts < 1, "PIGMENT_MAX_ATTEMPTS must be at least 1")
}
