// Package pgdsn keeps database passwords out of logs and errors. A
// DATABASE_URL comes in three shapes (postgres://user:pass@host/db,
// postgres://host/db?password=pass, and libpq's keyword/value form
// host=h password='p w'), and pgx's own redaction misses some of them
// (password = 'x y', with spaces around the equals sign), so every program
// logs Redact(dsn), never dsn, and passes every error that may carry the
// DSN through Scrub before returning or logging it.
package pgdsn

import (
	"encoding/json"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// mask replaces a password.
const mask = "xxxxx"

// secretKeys are the connection parameters whose values are secret.
var secretKeys = map[string]bool{"password": true, "sslpassword": true}

// Redact returns dsn with every password replaced by xxxxx, in whichever
// form it is written, for logs and messages. A DSN it cannot read is
// replaced whole.
func Redact(dsn string) string {
	if isURL(dsn) {
		u, err := url.Parse(dsn)
		if err != nil {
			return "(unreadable database URL)"
		}
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), mask)
			}
		}
		q := u.Query()
		changed := false
		for k := range q {
			if secretKeys[strings.ToLower(k)] {
				q.Set(k, mask)
				changed = true
			}
		}
		if changed {
			u.RawQuery = q.Encode()
		}
		return u.String()
	}
	params, ok := parseKV(dsn)
	if !ok {
		return "(unreadable database connection string)"
	}
	var b strings.Builder
	for i, p := range params {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		if secretKeys[p.key] {
			b.WriteString(mask)
		} else {
			b.WriteString(dsn[p.rawStart:p.rawEnd])
		}
	}
	return b.String()
}

// Scrub returns err with every password of dsn (decoded, and as written)
// and every password of any other connection string in its message
// replaced by xxxxx; errors.Is and errors.As still see the original chain.
// It returns nil for nil.
func Scrub(err error, dsn string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	clean := scrubText(msg, secrets(dsn), kvPlain)
	if clean == msg {
		return err
	}
	return &scrubbed{msg: clean, err: err}
}

// scrubbed is an error whose message had secrets removed.
type scrubbed struct {
	msg string
	err error
}

func (e *scrubbed) Error() string { return e.msg }
func (e *scrubbed) Unwrap() error { return e.err }

// Connection-string shapes whose password is masked wherever they appear,
// whichever database they name: URL userinfo (scheme://user:pass@), and
// keyword values (password=..., sslpassword=..., in libpq keyword strings
// and URL queries alike), quoted or bare. A bare value ends at a space, a
// '&' or a '"'; a backslash escapes the character after it. kvJSON is the
// same as the text appears inside a JSON string of a log line, where each
// backslash is doubled and a double quote ends the string.
var (
	urlUserinfo = regexp.MustCompile(`(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@\s"']*:)[^@/?#\s"']+@`)
	kvPlain     = regexp.MustCompile(`(?i)(^|[^a-z_]|\\u0026)((?:ssl)?password)\s*=\s*(?:'(?:\\.|[^'\\])*'?|(?:\\.|[^\s&"\\])+)`)
	kvJSON      = regexp.MustCompile(`(?i)(^|[^a-z_]|\\u0026)((?:ssl)?password)\s*=\s*(?:'(?:\\\\.|\\[^\\]|[^'"\\])*'?|(?:\\\\.|[^\s&"\\])+)`)
)

// scrubText masks the connection-string shapes in s, then every exact form
// in olds (longest first).
func scrubText(s string, olds []string, kv *regexp.Regexp) string {
	s = urlUserinfo.ReplaceAllString(s, "${1}"+mask+"@")
	s = kv.ReplaceAllString(s, "${1}${2}="+mask)
	for _, old := range olds {
		s = strings.ReplaceAll(s, old, mask)
	}
	return s
}

// secrets returns every exact form of every password dsn holds, longest
// first so that a quoted form is replaced before the bare value inside it:
// as written in dsn, decoded, URL-escaped (path, query, userinfo) and as a
// libpq keyword value (quoted, or bare with backslash escapes). Never the
// words of a password: 'audit events' must not mask pigment.audit.events.
func secrets(dsn string) []string {
	var out []string
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	var values []string
	if cfg, err := pgconn.ParseConfig(dsn); err == nil && cfg.Password != "" {
		values = append(values, cfg.Password)
	}
	if isURL(dsn) {
		if u, err := url.Parse(dsn); err == nil {
			if u.User != nil {
				p, _ := u.User.Password()
				values = append(values, p)
			}
			for k, vs := range u.Query() {
				if secretKeys[strings.ToLower(k)] {
					values = append(values, vs...)
				}
			}
		}
		// The raw, percent-encoded forms, even when the URL does not parse.
		rest := dsn[strings.Index(dsn, "://")+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			if _, p, ok := strings.Cut(rest[:at], ":"); ok {
				add(p)
			}
		}
		if _, query, ok := strings.Cut(dsn, "?"); ok {
			for _, kv := range strings.Split(query, "&") {
				if k, v, ok := strings.Cut(kv, "="); ok && secretKeys[strings.ToLower(k)] {
					add(v)
				}
			}
		}
	} else {
		if params, ok := parseKV(dsn); ok {
			for _, p := range params {
				if secretKeys[p.key] {
					values = append(values, p.value)
					add(dsn[p.rawStart:p.rawEnd])
				}
			}
		}
		for _, m := range kvPassword.FindAllStringSubmatch(dsn, -1) {
			add(m[1])
			add(strings.Trim(m[1], "'"))
		}
	}
	for _, v := range values {
		add(v)
		add(url.QueryEscape(v))
		add(url.PathEscape(v))
		add(strings.TrimPrefix(url.UserPassword("", v).String(), ":"))
		add(kvQuoted(v))
		add(kvBare(v))
	}
	// A library that masks a password=... value up to the first space
	// leaves the tail of an escaped one (pgx: password=xxxxx w0rd): the
	// mask followed by that tail is a form of the password too.
	for _, f := range slices.Clone(out) {
		for i, c := range f {
			if c == ' ' && i > 0 {
				add(mask + f[i:])
			}
		}
	}
	slices.SortStableFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// kvPassword finds password values in a keyword/value string that parseKV
// could not read, as a last resort.
var kvPassword = regexp.MustCompile(`(?i)(?:ssl)?password\s*=\s*('(?:[^'\\]|\\.)*'?|\S+)`)

// kvQuoted is v as a quoted libpq keyword value.
func kvQuoted(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// kvBare is v as an unquoted libpq keyword value, spaces and quotes escaped.
func kvBare(v string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`, " ", `\ `, "\t", "\\\t").Replace(v)
}

func isURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// param is one keyword=value of a libpq connection string.
type param struct {
	key              string
	value            string // unquoted, unescaped
	rawStart, rawEnd int    // the value as written (quotes included)
}

// parseKV reads a libpq keyword/value string: keywords and values separated
// by '=' with optional spaces around it; a value is either single-quoted
// (with \' and \\ escapes) or runs to the next space (with backslash
// escapes).
func parseKV(s string) ([]param, bool) {
	var out []param
	i := 0
	space := func() {
		for i < len(s) && isSpace(s[i]) {
			i++
		}
	}
	for {
		space()
		if i == len(s) {
			return out, true
		}
		k := i
		for i < len(s) && s[i] != '=' && !isSpace(s[i]) {
			i++
		}
		key := s[k:i]
		space()
		if key == "" || i == len(s) || s[i] != '=' {
			return nil, false
		}
		i++
		space()
		p := param{key: key, rawStart: i}
		var v strings.Builder
		if i < len(s) && s[i] == '\'' {
			i++
			closed := false
			for i < len(s) {
				c := s[i]
				if c == '\\' && i+1 < len(s) {
					v.WriteByte(s[i+1])
					i += 2
					continue
				}
				i++
				if c == '\'' {
					closed = true
					break
				}
				v.WriteByte(c)
			}
			if !closed {
				return nil, false
			}
		} else {
			for i < len(s) && !isSpace(s[i]) {
				if s[i] == '\\' && i+1 < len(s) {
					i++
				}
				v.WriteByte(s[i])
				i++
			}
		}
		p.value, p.rawEnd = v.String(), i
		out = append(out, p)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// Writer returns a writer that replaces every password of dsn (as Scrub
// does, and as JSON escapes it) and the password of any connection string
// in what is written to w, for log output: a last guard behind Scrub and
// Redact, since a library may log a connection string itself. Each Write is scrubbed alone (zerolog writes whole lines).
func Writer(w io.Writer, dsn string) io.Writer {
	var olds []string
	for _, s := range secrets(dsn) {
		olds = append(olds, s)
		if j, err := json.Marshal(s); err == nil {
			if q := string(j[1 : len(j)-1]); q != s {
				olds = append(olds, q)
			}
		}
	}
	slices.SortStableFunc(olds, func(a, b string) int { return len(b) - len(a) })
	return &scrubWriter{w: w, olds: olds}
}

type scrubWriter struct {
	w    io.Writer
	olds []string
}

func (s *scrubWriter) Write(p []byte) (int, error) {
	out := scrubText(string(p), s.olds, kvJSON)
	if _, err := io.WriteString(s.w, out); err != nil {
		return 0, err
	}
	return len(p), nil
}
