package splunkapp

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// This file reads the fields a search uses, for TestFieldsProduced. It knows
// the commands the app's searches use and refuses any other, so a new command
// in a dashboard is read on purpose rather than skipped.

type tokKind uint8

const (
	tIdent  tokKind = iota // a name: field, command, function, keyword
	tField                 // 'a.b': a field name in an expression
	tString                // "text", or a dashboard $token$
	tNumber                // 12, 1h, 35d@d
	tOp                    // = != < > <= >= + - * / . %
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string
}

// tokenize splits one pipeline segment into tokens.
func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"' || c == '\'' || c == '$':
			j := i + 1
			for j < len(s) && s[j] != c {
				if s[j] == '\\' && c == '"' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unclosed %c in %q", c, s)
			}
			kind := tString
			if c == '\'' {
				kind = tField
			}
			toks = append(toks, token{kind, s[i+1 : j]})
			i = j + 1
		case c >= '0' && c <= '9' || c == '@': // numbers, spans, snapped times (@d)
			j := i
			for j < len(s) && (isWord(s[j]) || s[j] == '@' || s[j] == '.') {
				j++
			}
			toks = append(toks, token{tNumber, s[i:j]})
			i = j
		case isWord(c):
			j := i
			for j < len(s) && (isWord(s[j]) || s[j] == '.' || s[j] == '{' || s[j] == '}') {
				j++
			}
			toks = append(toks, token{tIdent, s[i:j]})
			i = j
		case c == '(':
			toks = append(toks, token{tLParen, "("})
			i++
		case c == ')':
			toks = append(toks, token{tRParen, ")"})
			i++
		case c == ',':
			toks = append(toks, token{tComma, ","})
			i++
		case strings.ContainsRune("=!<>+-*/.%", rune(c)):
			j := i + 1
			if j < len(s) && s[j] == '=' && strings.ContainsRune("=!<>", rune(c)) {
				j++
			}
			toks = append(toks, token{tOp, s[i:j]})
			i = j
		default:
			return nil, fmt.Errorf("unexpected %q in %q", c, s)
		}
	}
	return toks, nil
}

func isWord(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// splitPipeline splits a search at the pipes outside quotes.
func splitPipeline(q string) []string {
	var segs []string
	var quote byte
	start := 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case quote != 0 && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
		case c == '"' || c == '\'':
			quote = c
		case c == '|':
			segs = append(segs, q[start:i])
			start = i + 1
		}
	}
	return append(segs, q[start:])
}

var macroRef = regexp.MustCompile("`([A-Za-z0-9_]+)`")

// tokenRef finds the dashboard tokens ($name.earliest$, $row.field.value$)
// in a definition.
var tokenRef = regexp.MustCompile(`\$([A-Za-z0-9_]+)\.`)

// expandMacros replaces every `name` by its definition, recursively.
func expandMacros(q string, macros map[string]string) (string, error) {
	for depth := 0; strings.Contains(q, "`"); depth++ {
		if depth > 10 {
			return "", fmt.Errorf("macros nested more than 10 deep in %q", q)
		}
		var missing []string
		q = macroRef.ReplaceAllStringFunc(q, func(m string) string {
			def, ok := macros[m[1:len(m)-1]]
			if !ok {
				missing = append(missing, m)
			}
			return def
		})
		if missing != nil {
			return "", fmt.Errorf("undefined macros %q", missing)
		}
	}
	return q, nil
}

// fieldUse is what a search does with fields: the ones it reads that it did
// not compute itself, in order.
type fieldUse struct {
	defined map[string]bool
	read    []string
}

func (u *fieldUse) ref(name string) {
	if !u.defined[name] && !slices.Contains(u.read, name) {
		u.read = append(u.read, name)
	}
}

func (u *fieldUse) define(name string) { u.defined[name] = true }

// fieldsRead returns the fields the search q (macros expanded) reads.
func fieldsRead(q string) ([]string, error) {
	u := &fieldUse{defined: map[string]bool{}}
	for i, seg := range splitPipeline(q) {
		toks, err := tokenize(seg)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			err = u.searchTerms(toks)
		} else {
			err = u.command(toks)
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %w", strings.TrimSpace(seg), err)
		}
	}
	return u.read, nil
}

func (u *fieldUse) command(toks []token) error {
	if len(toks) == 0 || toks[0].kind != tIdent {
		return fmt.Errorf("no command")
	}
	args := toks[1:]
	switch toks[0].text {
	case "search":
		return u.searchTerms(args)
	case "where":
		u.expr(args)
	case "eval":
		return u.eval(args)
	case "stats", "timechart", "chart":
		return u.stats(args)
	case "table", "fields", "sort", "head", "mvexpand":
		return u.fieldList(args)
	case "rename":
		return u.rename(args)
	case "rex":
		return u.rex(args)
	default:
		return fmt.Errorf("command %q unknown to this test: teach spl_test.go its fields", toks[0].text)
	}
	return nil
}

var (
	searchOps   = []string{"=", "!=", "<", ">", "<=", ">="}
	timeOptions = []string{"earliest", "latest"}
)

// searchTerms reads field=value terms, grouped with ( ) AND OR NOT.
func (u *fieldUse) searchTerms(toks []token) error {
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tLParen || t.kind == tRParen:
		case t.kind == tIdent && slices.Contains([]string{"AND", "OR", "NOT"}, t.text):
		case t.kind == tIdent && i+1 < len(toks) && toks[i+1].kind == tOp && slices.Contains(searchOps, toks[i+1].text):
			if !slices.Contains(timeOptions, t.text) {
				u.ref(t.text)
			}
			i += 2 // the operator and the value
			if i < len(toks) && toks[i].kind == tOp && toks[i].text == "-" {
				i++
			}
		default:
			return fmt.Errorf("free-text term %q: compare a field instead", t.text)
		}
	}
	return nil
}

// expr reads an eval or where expression: names not followed by ( and
// 'quoted' names are fields.
func (u *fieldUse) expr(toks []token) {
	for i, t := range toks {
		switch {
		case t.kind == tField:
			u.ref(t.text)
		case t.kind != tIdent:
		case i+1 < len(toks) && toks[i+1].kind == tLParen:
		case slices.Contains([]string{"AND", "OR", "NOT", "LIKE"}, t.text):
		default:
			u.ref(t.text)
		}
	}
}

// eval reads name=expr assignments separated by commas.
func (u *fieldUse) eval(toks []token) error {
	for _, a := range splitTop(toks) {
		if len(a) < 3 || a[0].kind != tIdent || a[1].text != "=" {
			return fmt.Errorf("eval assignment %v is not name = expression", a)
		}
		u.expr(a[2:])
		u.define(a[0].text)
	}
	return nil
}

// splitTop splits toks at the commas outside parentheses.
func splitTop(toks []token) [][]token {
	var parts [][]token
	depth, start := 0, 0
	for i, t := range toks {
		switch {
		case t.kind == tLParen:
			depth++
		case t.kind == tRParen:
			depth--
		case t.kind == tComma && depth == 0:
			parts = append(parts, toks[start:i])
			start = i + 1
		}
	}
	return append(parts, toks[start:])
}

var (
	statsFuncs   = []string{"count", "dc", "distinct_count", "sum", "values", "list", "max", "min", "avg", "latest", "earliest"}
	statsOptions = []string{"span", "limit", "useother", "usenull", "partial", "bins"}
)

// stats reads stats, chart and timechart: functions of fields, AS names,
// options, and the BY fields.
func (u *fieldUse) stats(toks []token) error {
	by := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case t.kind == tIdent && i+1 < len(toks) && toks[i+1].text == "=" && slices.Contains(statsOptions, t.text):
			i += 2
		case t.kind == tIdent && strings.EqualFold(t.text, "by"):
			by = true
		case by && t.kind == tIdent:
			u.ref(t.text)
		case t.kind == tIdent && slices.Contains(statsFuncs, t.text):
			end := i
			if i+1 < len(toks) && toks[i+1].kind == tLParen {
				end = closing(toks, i+1)
				u.expr(toks[i+2 : end])
			}
			name := t.text
			if end+2 < len(toks) && strings.EqualFold(toks[end+1].text, "AS") {
				name = toks[end+2].text
				end += 2
			}
			u.define(name)
			i = end
		default:
			return fmt.Errorf("stats term %q unknown to this test", t.text)
		}
	}
	return nil
}

// closing returns the index of the parenthesis closing the one at open.
func closing(toks []token, open int) int {
	depth := 0
	for i := open; i < len(toks); i++ {
		switch toks[i].kind {
		case tLParen:
			depth++
		case tRParen:
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return len(toks) - 1
}

// fieldList reads table, fields, sort, head and mvexpand: field names, with
// + - signs and counts.
func (u *fieldUse) fieldList(toks []token) error {
	for _, t := range toks {
		switch t.kind {
		case tIdent:
			u.ref(t.text)
		case tNumber, tOp:
		default:
			return fmt.Errorf("%q in a field list", t.text)
		}
	}
	return nil
}

func (u *fieldUse) rename(toks []token) error {
	for i := 0; i < len(toks); i += 3 {
		if i+2 >= len(toks) || !strings.EqualFold(toks[i+1].text, "AS") {
			return fmt.Errorf("rename %v is not old AS new", toks[i:])
		}
		u.ref(toks[i].text)
		u.define(toks[i+2].text)
	}
	return nil
}

var namedGroup = regexp.MustCompile(`\(\?<([A-Za-z_][A-Za-z0-9_]*)>`)

// rex reads field=name and the named groups of the regular expression.
func (u *fieldUse) rex(toks []token) error {
	if len(toks) != 4 || toks[0].text != "field" || toks[1].text != "=" || toks[3].kind != tString {
		return fmt.Errorf("rex %v is not field=name \"regex\"", toks)
	}
	u.ref(toks[2].text)
	for _, m := range namedGroup.FindAllStringSubmatch(toks[3].text, -1) {
		u.define(m[1])
	}
	return nil
}
