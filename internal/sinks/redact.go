package sinks

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
)

// redacted replaces a secret in text copied from a peer's answer.
const redacted = "[REDACTED]"

// redactor removes a sink's credentials from text that came from its peer
// (answer bodies, transport errors) before that text becomes a Reason, an
// error, a log field or a dead letter's dlq.reason: a proxy or a debug page
// may echo the Authorization header. A nil redactor changes nothing.
type redactor struct {
	forms [][]byte
	rep   *strings.Replacer
}

// newRedactor returns a redactor for secrets, in every form they may take
// in an answer: as given, JSON-escaped, URL-escaped, with "/" escaped as
// "\/"; and for a base64 credential (an encoded API key, basic auth's
// user:password), its decoded form and the part after the colon.
func newRedactor(secrets []string, base64Creds ...string) *redactor {
	all := slices.Clone(secrets)
	for _, c := range base64Creds {
		all = append(all, c)
		if dec, err := base64.StdEncoding.DecodeString(c); err == nil {
			all = append(all, string(dec))
			if _, after, ok := strings.Cut(string(dec), ":"); ok {
				all = append(all, after)
			}
		}
	}
	var forms []string
	for _, s := range all {
		if s == "" {
			continue
		}
		j, _ := json.Marshal(s)
		forms = append(forms, s, string(j[1:len(j)-1]), url.QueryEscape(s), strings.ReplaceAll(s, "/", `\/`))
	}
	// At one position the first form given wins: longest first, so that a
	// secret containing another is replaced whole.
	slices.SortFunc(forms, func(a, b string) int {
		if d := len(b) - len(a); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	forms = slices.Compact(forms)
	r := &redactor{}
	args := make([]string, 0, 2*len(forms))
	for _, f := range forms {
		r.forms = append(r.forms, []byte(f))
		args = append(args, f, redacted)
	}
	r.rep = strings.NewReplacer(args...)
	return r
}

// bytes returns b without the secrets; b itself when it holds none.
func (r *redactor) bytes(b []byte) []byte {
	if r == nil {
		return b
	}
	for _, f := range r.forms {
		if bytes.Contains(b, f) {
			return []byte(r.rep.Replace(string(b)))
		}
	}
	return b
}

// string returns s without the secrets.
func (r *redactor) string(s string) string {
	if r == nil {
		return s
	}
	return r.rep.Replace(s)
}
