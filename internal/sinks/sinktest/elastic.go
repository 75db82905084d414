package sinktest

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"mime"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// ElasticOptions configures a strict Elasticsearch receiver.
type ElasticOptions struct {
	// APIKey is the accepted encoded API key ("Authorization: ApiKey <APIKey>").
	APIKey string
	// Username and Password are the accepted basic-auth credentials.
	Username, Password string
	// MaxContentLength refuses larger request bodies with 413, like
	// http.max_content_length (default 100 MiB).
	MaxContentLength int
	// TLS serves HTTPS with a self-signed certificate (see TLSConfig).
	TLS bool
	// WriteIndexes, when set, are the only indexes the credentials may
	// write to: a create elsewhere is an item 403 security_exception, as
	// for an API key or user lacking the create_doc index privilege.
	WriteIndexes []string
	// NoAutoCreate is action.auto_create_index: false with no index in
	// place: every create is an item 404 index_not_found_exception.
	NoAutoCreate bool
	// ClosedIndexes are closed: a create there is an item 400
	// index_closed_exception.
	ClosedIndexes []string
}

// Elastic is a strict Elasticsearch on /_bulk, /_index_template/<name> and
// /. It checks credentials (401 security_exception), the NDJSON content
// type, the final newline, action lines (one of create/index/update/delete,
// else 400 for the whole request), that writes to a data stream are
// create actions with _index and _id, that documents are JSON objects with
// @timestamp, and the type of date, ip and long fields (those of the
// installed index template, else @timestamp, event.created,
// event.ingested as dates and source.ip as an IP): a mismatch is an item
// 400 mapper_parsing_exception. A raw control character inside a string is
// an item 400 document_parsing_exception ("Illegal unquoted character"),
// as Elasticsearch's parser answers. A create of an existing _id is an
// item 409.
// Configuration errors are answered as Elasticsearch 8 answers them: an
// index the credentials may not write to (item 403 security_exception), a
// missing index without auto-creation (item 404 index_not_found_exception),
// a closed index (item 400 index_closed_exception), an unknown route (400
// "no handler found for uri") or method (405).
type Elastic struct {
	*server
	opts   ElasticOptions
	faults faults

	mu        sync.Mutex
	docs      map[string][]byte // "<index>/<id>" -> document
	attempts  map[string]int
	itemFault map[string]int
	templates map[string][]byte
	types     map[string]string // field path -> date | ip | long
}

// NewElastic starts a strict Elasticsearch receiver, closed by t.Cleanup.
func NewElastic(tb testing.TB, o ElasticOptions) *Elastic {
	tb.Helper()
	if o.MaxContentLength <= 0 {
		o.MaxContentLength = 100 << 20
	}
	e := &Elastic{
		opts: o, docs: map[string][]byte{}, attempts: map[string]int{},
		itemFault: map[string]int{}, templates: map[string][]byte{},
		types: map[string]string{"@timestamp": "date", "event.created": "date", "event.ingested": "date", "source.ip": "ip"},
	}
	e.server = newServer(tb, http.HandlerFunc(e.serve), o.TLS)
	return e
}

// Reject answers the next n _bulk requests 429 es_rejected_execution_exception.
func (e *Elastic) Reject(n int) { e.faults.add("reject", n) }

// Unavailable answers the next n _bulk requests 503.
func (e *Elastic) Unavailable(n int) { e.faults.add("unavailable", n) }

// RejectItem answers the next n create actions for _id id with an item 429
// es_rejected_execution_exception (errors: true), the others succeeding.
func (e *Elastic) RejectItem(id string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.itemFault[id] += n
}

// Doc returns the document stored under _id id in any index, or nil.
func (e *Elastic) Doc(id string) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, d := range e.docs {
		if k[strings.IndexByte(k, '/')+1:] == id {
			return d
		}
	}
	return nil
}

// Docs returns the stored documents by "<index>/<_id>".
func (e *Elastic) Docs() map[string][]byte {
	return locked(&e.mu, func() map[string][]byte { return maps.Clone(e.docs) })
}

// Count returns how many documents are stored.
func (e *Elastic) Count() int {
	return locked(&e.mu, func() int { return len(e.docs) })
}

// Attempts returns how many create actions named _id id (any outcome).
func (e *Elastic) Attempts(id string) int {
	return locked(&e.mu, func() int { return e.attempts[id] })
}

// Template returns the body of an installed index template, or nil.
func (e *Elastic) Template(name string) []byte {
	return locked(&e.mu, func() []byte { return e.templates[name] })
}

func esAnswer(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// esError answers a whole-request error the way Elasticsearch renders it.
func esError(w http.ResponseWriter, status int, typ, reason string) {
	cause := map[string]string{"type": typ, "reason": reason}
	b, _ := json.Marshal(map[string]any{
		"error":  map[string]any{"root_cause": []any{cause}, "type": typ, "reason": reason},
		"status": status,
	})
	esAnswer(w, status, b)
}

func (e *Elastic) serve(w http.ResponseWriter, r *http.Request) {
	if !e.authorized(w, r) {
		return
	}
	path := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case path == "" && r.Method == http.MethodGet:
		esAnswer(w, http.StatusOK, []byte(`{"name":"sinktest","cluster_name":"sinktest","version":{"number":"8.15.0"},"tagline":"You Know, for Search"}`))
	case strings.HasPrefix(path, "/_index_template/"):
		e.template(w, r, strings.TrimPrefix(path, "/_index_template/"))
	case path == "/_bulk" && (r.Method == http.MethodPost || r.Method == http.MethodPut):
		e.bulk(w, r)
	case path == "/_bulk":
		esError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			"Incorrect HTTP method for uri ["+r.URL.Path+"] and method ["+r.Method+"], allowed: [POST, PUT]")
	default:
		esError(w, http.StatusBadRequest, "illegal_argument_exception",
			"no handler found for uri ["+r.URL.Path+"] and method ["+r.Method+"]")
	}
}

// authorized checks ApiKey or Basic credentials as Elasticsearch security does.
func (e *Elastic) authorized(w http.ResponseWriter, r *http.Request) bool {
	a := r.Header.Get("Authorization")
	ok := false
	switch {
	case a == "":
		w.Header().Set("WWW-Authenticate", `Basic realm="security", charset="UTF-8"`)
		esError(w, http.StatusUnauthorized, "security_exception",
			"missing authentication credentials for REST request ["+r.URL.Path+"]")
		return false
	case strings.HasPrefix(a, "ApiKey "):
		ok = e.opts.APIKey != "" && strings.TrimPrefix(a, "ApiKey ") == e.opts.APIKey
	case strings.HasPrefix(a, "Basic "):
		want := base64.StdEncoding.EncodeToString([]byte(e.opts.Username + ":" + e.opts.Password))
		ok = e.opts.Username != "" && strings.TrimPrefix(a, "Basic ") == want
	}
	if !ok {
		esError(w, http.StatusUnauthorized, "security_exception", "unable to authenticate with provided credentials")
	}
	return ok
}

// template stores (PUT) or returns (GET) an index template; the date, ip
// and long fields of a stored template's mappings become the checked types.
func (e *Elastic) template(w http.ResponseWriter, r *http.Request, name string) {
	if r.Method == http.MethodGet {
		e.mu.Lock()
		t, ok := e.templates[name]
		e.mu.Unlock()
		if !ok {
			esError(w, http.StatusNotFound, "resource_not_found_exception", "index template matching ["+name+"] not found")
			return
		}
		esAnswer(w, http.StatusOK, []byte(`{"index_templates":[{"name":"`+name+`","index_template":`+string(t)+`}]}`))
		return
	}
	body, _ := io.ReadAll(r.Body)
	var t struct {
		IndexPatterns []string        `json:"index_patterns"`
		DataStream    json.RawMessage `json:"data_stream"`
		Template      struct {
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal(body, &t); err != nil {
		esError(w, http.StatusBadRequest, "x_content_parse_exception", err.Error())
		return
	}
	if len(t.IndexPatterns) == 0 {
		esError(w, http.StatusBadRequest, "action_request_validation_exception",
			"Validation Failed: 1: index patterns are missing;")
		return
	}
	types := map[string]string{}
	collectTypes("", t.Template.Mappings.Properties, types)
	e.mu.Lock()
	e.templates[name] = body
	if len(types) > 0 {
		e.types = types
	}
	e.mu.Unlock()
	esAnswer(w, http.StatusOK, []byte(`{"acknowledged":true}`))
}

// collectTypes walks mapping properties, keeping date, ip and long leaves.
func collectTypes(prefix string, props map[string]any, out map[string]string) {
	for k, v := range props {
		m, _ := v.(map[string]any)
		switch typ, _ := m["type"].(string); typ {
		case "date", "date_nanos":
			out[prefix+k] = "date"
		case "ip", "long":
			out[prefix+k] = typ
		}
		if sub, ok := m["properties"].(map[string]any); ok {
			collectTypes(prefix+k+".", sub, out)
		}
	}
}

// bulkBody checks the request framing and returns its lines.
func (e *Elastic) bulkBody(w http.ResponseWriter, r *http.Request) ([][]byte, bool) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-ndjson" && ct != "application/json" {
		esError(w, http.StatusNotAcceptable, "illegal_argument_exception",
			"Content-Type header ["+r.Header.Get("Content-Type")+"] is not supported")
		return nil, false
	}
	var rd io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(r.Body)
		if err != nil {
			esError(w, http.StatusBadRequest, "illegal_argument_exception", "invalid gzip body")
			return nil, false
		}
		rd = zr
	}
	body, err := io.ReadAll(io.LimitReader(rd, int64(e.opts.MaxContentLength)+1))
	if err != nil {
		esError(w, http.StatusBadRequest, "illegal_argument_exception", err.Error())
		return nil, false
	}
	if len(body) > e.opts.MaxContentLength {
		w.WriteHeader(http.StatusRequestEntityTooLarge) // ES answers 413 with no body
		return nil, false
	}
	if len(body) == 0 {
		esError(w, http.StatusBadRequest, "action_request_validation_exception", "Validation Failed: 1: no requests added;")
		return nil, false
	}
	if body[len(body)-1] != '\n' {
		esError(w, http.StatusBadRequest, "illegal_argument_exception", `The bulk request must be terminated by a newline [\n]`)
		return nil, false
	}
	return bytes.Split(body[:len(body)-1], []byte{'\n'}), true
}
