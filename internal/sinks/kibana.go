package sinks

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// KibanaConfig configures the import of saved objects into Kibana.
type KibanaConfig struct {
	// URL is Kibana's base URL, with its base path if it has one
	// (https://kibana:5601, https://host/kibana); a space's URL
	// (…/s/security) imports into that space.
	URL string
	// APIKey is an Elasticsearch API key, encoded (base64) or "id:key",
	// sent as "Authorization: ApiKey …". It needs the Kibana privilege to
	// manage saved objects (or All on Dashboard and Discover).
	APIKey string
	// TLS is the client TLS configuration; nil verifies against the system
	// roots.
	TLS *tls.Config
	// Timeout bounds the request (default 30s).
	Timeout time.Duration
	// Logger receives the plain-http warning.
	Logger zerolog.Logger
}

// Kibana imports saved objects with Kibana's saved objects import API. It
// never follows redirects and never puts its API key in an error.
type Kibana struct {
	client *http.Client
	url    string // the import endpoint, with ?overwrite=true
	auth   string
	red    *redactor
}

// NewKibana validates cfg. No connection is made until Import.
func NewKibana(cfg KibanaConfig) (*Kibana, error) {
	u, err := parseBaseURL("kibana", cfg.URL)
	if err != nil {
		return nil, err
	}
	if cfg.APIKey == "" {
		return nil, fmt.Errorf("kibana: no API key for %s", u.Redacted())
	}
	cred := cfg.APIKey
	if strings.Contains(cred, ":") { // id:key, not yet encoded
		cred = base64.StdEncoding.EncodeToString([]byte(cred))
	}
	urlPassword, _ := u.User.Password()
	warnPlaintext(cfg.Logger, "kibana", u)
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	return &Kibana{
		client: newHTTPClient(cfg.TLS, timeout, cfg.Logger, "kibana"),
		url:    strings.TrimRight(u.String(), "/") + "/api/saved_objects/_import?overwrite=true",
		auth:   "ApiKey " + cred,
		red:    newRedactor([]string{cfg.APIKey, urlPassword}, cred),
	}, nil
}

// ImportError is one object Kibana refused, as its import API reports it.
type ImportError struct {
	Type, ID, Title string
	// Reason is Kibana's error type (conflict, missing_references,
	// unsupported_type, unknown, …) with its details.
	Reason string
}

// ImportResult is Kibana's answer to an import.
type ImportResult struct {
	SuccessCount int
	Errors       []ImportError
}

// importAnswer is the body of a 200 from the import API.
type importAnswer struct {
	Success      *bool `json:"success"`
	SuccessCount int   `json:"successCount"`
	Errors       []struct {
		Type  string `json:"type"`
		ID    string `json:"id"`
		Title string `json:"title"`
		Meta  struct {
			Title string `json:"title"`
		} `json:"meta"`
		Error struct {
			Type       string `json:"type"`
			Message    string `json:"message"`
			References []struct {
				Type string `json:"type"`
				ID   string `json:"id"`
			} `json:"references"`
		} `json:"error"`
	} `json:"errors"`
}

// Import posts ndjson (saved objects, one per line) as the file name
// (which must end .ndjson) to POST /api/saved_objects/_import?overwrite=true,
// multipart/form-data with the kbn-xsrf header. Objects with the same ids
// are replaced, so importing again changes nothing.
//
// It returns an error when any object was refused (the result lists them
// all, and so does the error), ErrAuth (wrapped) on 401/403, and
// ErrMisconfigured (wrapped) on a redirect, 404, 405, a TLS verification
// failure or a 200 that is not the import API's answer. Other statuses
// (400 for a malformed request, 429, 5xx) are errors with Kibana's message.
func (k *Kibana) Import(ctx context.Context, name string, ndjson []byte) (ImportResult, error) {
	body, ctype, err := multipartFile(name, ndjson)
	if err != nil {
		return ImportResult{}, fmt.Errorf("kibana: import %s: %w", name, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, k.url, bytes.NewReader(body))
	if err != nil {
		return ImportResult{}, fmt.Errorf("kibana: import %s: %w", name, err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("kbn-xsrf", "true")
	req.Header.Set("Authorization", k.auth)
	ans, err := do(k.client, req, k.red)
	if err != nil {
		if _, err := transportResult(ctx, "kibana", err); err != nil {
			return ImportResult{}, fmt.Errorf("kibana: import %s: %w", name, err)
		}
		return ImportResult{}, fmt.Errorf("kibana: import %s: %s", name, k.red.string(err.Error()))
	}
	return importOutcome(name, ans)
}

// importOutcome classifies the import API's answer (see Import).
func importOutcome(name string, a answer) (ImportResult, error) {
	var rep importAnswer
	jsonErr := json.Unmarshal(a.body, &rep)
	switch {
	case isAuthStatus(a.status):
		return ImportResult{}, fmt.Errorf("kibana: import %s: %s: %w", name, kibanaReason(a), ErrAuth)
	case a.status == http.StatusOK && (jsonErr != nil || rep.Success == nil):
		return ImportResult{}, fmt.Errorf("kibana: import %s: 200 that is not the import API's answer: %s: %w",
			name, a.excerpt(), ErrMisconfigured)
	case statusOutcome(a.status) == misconfigured:
		return ImportResult{}, fmt.Errorf("kibana: import %s: %s: %w", name, kibanaReason(a), ErrMisconfigured)
	case a.status != http.StatusOK:
		return ImportResult{}, fmt.Errorf("kibana: import %s: %s", name, kibanaReason(a))
	}
	res := ImportResult{SuccessCount: rep.SuccessCount}
	for _, e := range rep.Errors {
		reason := e.Error.Type
		for _, r := range e.Error.References {
			reason += " " + r.Type + "/" + r.ID
		}
		if e.Error.Message != "" {
			reason += ": " + e.Error.Message
		}
		title := e.Title
		if title == "" {
			title = e.Meta.Title
		}
		res.Errors = append(res.Errors, ImportError{Type: e.Type, ID: e.ID, Title: title, Reason: a.red.string(reason)})
	}
	if *rep.Success && len(res.Errors) == 0 {
		return res, nil
	}
	msgs := make([]string, 0, len(res.Errors))
	for _, e := range res.Errors {
		msgs = append(msgs, e.Type+" "+e.ID+": "+e.Reason)
	}
	return res, fmt.Errorf("kibana: import %s: %d objects imported, %d refused: %s",
		name, res.SuccessCount, len(res.Errors), strings.Join(msgs, "; "))
}

// kibanaReason renders an error answer: Kibana's {"statusCode", "error",
// "message"}, else an excerpt of the body, without the API key.
func kibanaReason(a answer) string {
	s := strconv.Itoa(a.status)
	if a.redirect != "" {
		return s + " redirect to " + a.redirect + " (redirects are not followed: set KIBANA_URL to where Kibana answers)"
	}
	var e struct{ Error, Message string }
	if json.Unmarshal(a.body, &e) == nil && e.Message != "" {
		return a.red.string(s + " " + e.Error + ": " + e.Message)
	}
	if len(a.body) > 0 {
		return s + " " + a.excerpt()
	}
	return s + " " + http.StatusText(a.status)
}

// multipartFile encodes data as the form field "file" named name.
func multipartFile(name string, data []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(data); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}
