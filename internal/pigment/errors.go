package pigment

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrCursorRejected is matched (errors.Is) by the error FetchPage returns when
// the API answers 400 or 410 to a request that carried a cursor: the cursor
// expired or is unknown. The caller restarts its run from its checkpoint. The
// same error also yields the *APIError (errors.As).
var ErrCursorRejected = errors.New("pigment: cursor rejected")

// APIError is a permanent answer of the API (401, 403, other 4xx except 408
// and 429): FetchPage does not retry it. Its text gives the status and a short
// server message; it never contains the API key.
type APIError struct {
	StatusCode int
	Message    string // the server's message, at most maxMessageLen runes, key redacted; may be ""
	key        *keyKind
}

// keyKind is a kind of API key: the setting operators must check on 401 and
// 403, and what the key gives access to. Pigment's audit and metadata keys
// are different key types: one never works in place of the other.
type keyKind struct{ variable, access string }

var (
	auditKey    = &keyKind{"PIGMENT_AUDIT_API_KEY", "audit logs"}
	metadataKey = &keyKind{"PIGMENT_METADATA_API_KEY", "the Metadata API"}
)

// maxMessageLen bounds APIError.Message (in runes).
const maxMessageLen = 200

// Error implements error, e.g.
// "pigment API answered 401 Unauthorized: check PIGMENT_AUDIT_API_KEY (invalid or expired): bad token".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pigment API answered %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	key := cmp.Or(e.key, auditKey)
	switch e.StatusCode {
	case http.StatusUnauthorized:
		b.WriteString(": check " + key.variable + " (invalid or expired)")
	case http.StatusForbidden:
		b.WriteString(": check " + key.variable + " (the key has no access to " + key.access + ")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	return b.String()
}

// newAPIError builds an APIError from an answer's status and (a prefix of)
// its body. Occurrences of key in the body are redacted before anything else.
func newAPIError(status int, body []byte, key string) *APIError {
	return &APIError{StatusCode: status, Message: serverMessage(body, key)}
}

// serverMessage extracts a short, single-line, key-free message from an error
// body: the "message", "error", "detail" or "title" string of a JSON object
// if there is one, else the text itself.
func serverMessage(body []byte, key string) string {
	msg := string(body)
	var obj map[string]any
	if json.Unmarshal(body, &obj) == nil {
		for _, k := range []string{"message", "error", "detail", "title", "error_description"} {
			if s, ok := obj[k].(string); ok && s != "" {
				msg = s
				break
			}
		}
	}
	if key != "" {
		msg = strings.ReplaceAll(msg, key, "[REDACTED]")
	}
	msg = strings.Join(strings.FieldsFunc(msg, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
	if utf8.RuneCountInString(msg) > maxMessageLen {
		r := []rune(msg)
		msg = string(r[:maxMessageLen-3]) + "..."
	}
	return msg
}
