package detect

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// ellipsis ends a text MarshalFit cut.
const ellipsis = "…"

// MarshalFit returns the alert as JSON of at most limit bytes, and whether
// it had to be cut. An alert over the limit (an actor with a huge name, a
// long evidence list) is cut rather than refused: a record the brokers
// refuse would stop the alert flush for good. It is flagged
// "truncated":true; the largest part is cut first, repeatedly: a text
// (title, description, actor, email, application, runbook, MITRE) keeps its
// beginning and ends with "…", the evidence list keeps its first IDs. ID,
// rule, severity, window, times and count are never cut. The error says
// the limit is too small even for those.
func (a Alert) MarshalFit(limit int) ([]byte, bool, error) {
	b, err := json.Marshal(a)
	if err != nil || len(b) <= limit {
		return b, false, err
	}
	a.Truncated = true
	a.Evidence = slices.Clone(a.Evidence)
	texts := []*string{&a.Title, &a.Description, &a.Actor, &a.ActorEmail, &a.Application, &a.Runbook, &a.Mitre}
	for {
		if b, err = json.Marshal(a); err != nil || len(b) <= limit {
			return b, true, err
		}
		excess := len(b) - limit
		// The largest part: a text, or the evidence list as a whole.
		var big *string
		for _, s := range texts {
			if big == nil || len(*s) > len(*big) {
				big = s
			}
		}
		evidence := 0
		for _, id := range a.Evidence {
			evidence += len(id) + 3 // quotes and comma
		}
		switch {
		case evidence > 0 && evidence >= len(*big):
			dropped := 0
			for len(a.Evidence) > 0 && dropped < excess {
				dropped += len(a.Evidence[len(a.Evidence)-1]) + 3
				a.Evidence = a.Evidence[:len(a.Evidence)-1]
			}
			if a.Evidence == nil {
				a.Evidence = []string{}
			}
		case len(*big) > len(ellipsis):
			// A raw byte is at least one byte of JSON: cutting excess bytes
			// and room for the ellipsis always shrinks the JSON enough.
			*big = cut(*big, len(*big)-excess-len(ellipsis)) + ellipsis
		default:
			return nil, true, fmt.Errorf("detect: alert %s: %d bytes even cut, over the limit of %d", a.ID, len(b), limit)
		}
	}
}

// cut returns the first n bytes of s or fewer, on a character boundary.
func cut(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if n >= len(s) {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
