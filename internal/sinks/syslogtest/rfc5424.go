// Package syslogtest holds test helpers for syslog delivery: a strict RFC
// 5424 parser, strict TCP/TLS (RFC 6587 octet counting, RFC 5425) and UDP
// (RFC 5426) receivers built on it, and a real rsyslogd receiver whose parsed
// fields can be read back.
//
// The helpers are for tests only; they report problems through testing.TB.
package syslogtest

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Message is one RFC 5424 message as parsed by Parse. Header fields hold the
// text as sent, "-" for NILVALUE.
type Message struct {
	Raw       []byte
	Pri       int // facility*8 + severity
	Version   int
	Timestamp string
	Hostname  string
	AppName   string
	ProcID    string
	MsgID     string
	SD        string      // STRUCTURED-DATA exactly as sent, "-" when none
	Elements  []SDElement // SD parsed, PARAM-VALUEs unescaped
	Msg       []byte      // MSG, nil when absent
}

// SDElement is one SD-ELEMENT with its unescaped parameters in order.
type SDElement struct {
	ID     string
	Params []SDParam
}

// SDParam is one SD-PARAM; Value is unescaped.
type SDParam struct{ Name, Value string }

// Param returns the value of the first parameter name in element id.
func (m *Message) Param(id, name string) (string, bool) {
	for _, e := range m.Elements {
		if e.ID != id {
			continue
		}
		for _, p := range e.Params {
			if p.Name == name {
				return p.Value, true
			}
		}
	}
	return "", false
}

// registered are the SD-IDs without "@" that IANA registered (RFC 5424 §7).
var registered = map[string]bool{"timeQuality": true, "origin": true, "meta": true}

// Parse checks msg strictly against the RFC 5424 ABNF (§6) and returns its
// fields. It rejects what a careful receiver rejects: PRIVAL out of range or
// with leading zeros, a version other than 1, a timestamp that is not RFC
// 3339 with at most 6 fraction digits, header fields too long or outside
// PRINTUSASCII, unterminated or unescaped structured data, duplicate SD-IDs,
// SD-IDs that are neither registered nor name@number, and invalid UTF-8 in
// PARAM-VALUEs or in a MSG.
func Parse(msg []byte) (Message, error) {
	m := Message{Raw: msg}
	rest := msg
	if len(rest) < 3 || rest[0] != '<' {
		return m, errors.New("PRI: missing '<'")
	}
	end := bytes.IndexByte(rest, '>')
	if end < 2 || end > 4 {
		return m, errors.New("PRI: want <0..191>")
	}
	pri := string(rest[1:end])
	p, err := strconv.Atoi(pri)
	if err != nil || p < 0 || p > 191 || (len(pri) > 1 && pri[0] == '0') || strings.ContainsAny(pri, "+-") {
		return m, fmt.Errorf("PRI %q: want 0..191 without leading zeros", pri)
	}
	m.Pri = p
	rest = rest[end+1:]
	if !bytes.HasPrefix(rest, []byte("1 ")) {
		return m, errors.New("VERSION: want 1")
	}
	m.Version = 1
	rest = rest[2:]

	fields := []struct {
		name string
		max  int
		dst  *string
	}{
		{"TIMESTAMP", 32, &m.Timestamp}, {"HOSTNAME", 255, &m.Hostname}, {"APP-NAME", 48, &m.AppName},
		{"PROCID", 128, &m.ProcID}, {"MSGID", 32, &m.MsgID},
	}
	for _, f := range fields {
		sp := bytes.IndexByte(rest, ' ')
		if sp < 0 {
			return m, fmt.Errorf("%s: missing SP after it", f.name)
		}
		v := rest[:sp]
		if len(v) == 0 || len(v) > f.max || !printUSASCII(v) {
			return m, fmt.Errorf("%s %q: want 1..%d PRINTUSASCII", f.name, v, f.max)
		}
		*f.dst = string(v)
		rest = rest[sp+1:]
	}
	if m.Timestamp != "-" {
		if err := checkTimestamp(m.Timestamp); err != nil {
			return m, err
		}
	}

	sdLen, elems, err := parseSD(rest)
	if err != nil {
		return m, fmt.Errorf("STRUCTURED-DATA: %w", err)
	}
	m.SD, m.Elements = string(rest[:sdLen]), elems
	rest = rest[sdLen:]
	switch {
	case len(rest) == 0:
	case rest[0] != ' ':
		return m, errors.New("want SP between STRUCTURED-DATA and MSG")
	default:
		m.Msg = rest[1:]
		if !utf8.Valid(m.Msg) {
			return m, errors.New("MSG: invalid UTF-8")
		}
	}
	return m, nil
}

func checkTimestamp(ts string) error {
	t := strings.IndexByte(ts, 'T')
	if t != 10 || strings.ContainsAny(ts, "tz") {
		return fmt.Errorf("TIMESTAMP %q: want FULL-DATE \"T\" FULL-TIME", ts)
	}
	if dot := strings.IndexByte(ts, '.'); dot >= 0 {
		n := 0
		for _, c := range ts[dot+1:] {
			if c < '0' || c > '9' {
				break
			}
			n++
		}
		if n == 0 || n > 6 {
			return fmt.Errorf("TIMESTAMP %q: want 1..6 fraction digits", ts)
		}
	}
	if _, err := time.Parse(time.RFC3339Nano, ts); err != nil {
		return fmt.Errorf("TIMESTAMP %q: %w", ts, err)
	}
	return nil
}

// parseSD parses STRUCTURED-DATA at the start of b and returns its length.
func parseSD(b []byte) (int, []SDElement, error) {
	if len(b) > 0 && b[0] == '-' {
		if len(b) > 1 && b[1] != ' ' {
			return 0, nil, errors.New("NILVALUE followed by something other than SP")
		}
		return 1, nil, nil
	}
	var elems []SDElement
	seen := map[string]bool{}
	i := 0
	for i < len(b) && b[i] == '[' {
		i++
		id, n := sdName(b[i:])
		if n == 0 {
			return 0, nil, fmt.Errorf("SD-ID at %d: want 1..32 PRINTUSASCII except = SP ] \"", i)
		}
		if seen[id] {
			return 0, nil, fmt.Errorf("SD-ID %q repeated", id)
		}
		if err := checkSDID(id); err != nil {
			return 0, nil, err
		}
		seen[id] = true
		i += n
		e := SDElement{ID: id}
		for i < len(b) && b[i] == ' ' {
			i++
			name, n := sdName(b[i:])
			if n == 0 || i+n+1 >= len(b) || b[i+n] != '=' || b[i+n+1] != '"' {
				return 0, nil, fmt.Errorf("SD-PARAM at %d in %q: want NAME=\"VALUE\"", i, id)
			}
			i += n + 2
			val, n, err := paramValue(b[i:])
			if err != nil {
				return 0, nil, fmt.Errorf("PARAM-VALUE of %s in %q: %w", name, id, err)
			}
			i += n
			e.Params = append(e.Params, SDParam{Name: name, Value: val})
		}
		if i >= len(b) || b[i] != ']' {
			return 0, nil, fmt.Errorf("SD-ELEMENT %q: want ']' at %d", id, i)
		}
		i++
		elems = append(elems, e)
	}
	if len(elems) == 0 {
		return 0, nil, errors.New("want '-' or '['")
	}
	return i, elems, nil
}

func checkSDID(id string) error {
	at := strings.IndexByte(id, '@')
	if at < 0 {
		if !registered[id] {
			return fmt.Errorf("SD-ID %q: neither IANA-registered nor name@number", id)
		}
		return nil
	}
	pen := id[at+1:]
	if at == 0 || pen == "" || strings.Trim(pen, "0123456789.") != "" || strings.Contains(pen, "@") {
		return fmt.Errorf("SD-ID %q: want name@private-enterprise-number", id)
	}
	return nil
}

// sdName reads an SD-NAME: 1..32 PRINTUSASCII except '=', SP, ']' and '"'.
func sdName(b []byte) (string, int) {
	n := 0
	for n < len(b) && n <= 32 && b[n] > 32 && b[n] < 127 && b[n] != '=' && b[n] != ']' && b[n] != '"' {
		n++
	}
	if n > 32 {
		return "", 0
	}
	return string(b[:n]), n
}

// paramValue reads a PARAM-VALUE up to and including its closing quote and
// returns it unescaped. '"', '\' and ']' must be escaped with '\'; a '\'
// before any other character is a literal backslash (RFC 5424 §6.3.3).
func paramValue(b []byte) (string, int, error) {
	var v []byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; c {
		case '"':
			if !utf8.Valid(v) {
				return "", 0, errors.New("invalid UTF-8")
			}
			return string(v), i + 1, nil
		case ']':
			return "", 0, errors.New("unescaped ']'")
		case '\\':
			if i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\' || b[i+1] == ']') {
				i++
				v = append(v, b[i])
			} else {
				v = append(v, c)
			}
		default:
			v = append(v, c)
		}
	}
	return "", 0, errors.New("no closing '\"'")
}

func printUSASCII(b []byte) bool {
	for _, c := range b {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}
