package splunkapp

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// confFile is a parsed Splunk .conf file: its stanzas in file order.
type confFile struct {
	name     string
	stanzas  []*stanza
	byStanza map[string]*stanza
}

// stanza is one [name] section: its keys in file order.
type stanza struct {
	name   string
	line   int
	keys   []string
	values map[string]string
}

func (c *confFile) stanza(name string) *stanza { return c.byStanza[name] }

// get returns the value of key, or "" when the stanza does not set it.
func (s *stanza) get(key string) string { return s.values[key] }

// parseConf parses data as a .conf file the way splunkd reads it, but
// strictly: comments (#) and blank lines; [stanza] headers; key = value
// lines; a value continued onto the next line by a trailing backslash. It
// refuses what splunkd would silently accept or merge: keys before the first
// stanza, a stanza or key given twice (the last would win), a line that is
// neither, an empty key, and a continuation at the end of the file.
func parseConf(name string, data []byte) (*confFile, error) {
	c := &confFile{name: name, byStanza: map[string]*stanza{}}
	var cur *stanza
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		start := n
		for strings.HasSuffix(line, `\`) {
			if !sc.Scan() {
				return nil, fmt.Errorf("%s:%d: continuation at the end of the file", name, start)
			}
			n++
			line = strings.TrimSuffix(line, `\`) + "\n" + strings.TrimSpace(sc.Text())
		}
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("%s:%d: stanza header %q not closed", name, start, line)
			}
			sname := line[1 : len(line)-1]
			if prev, dup := c.byStanza[sname]; dup {
				return nil, fmt.Errorf("%s:%d: stanza [%s] already at line %d", name, start, sname, prev.line)
			}
			cur = &stanza{name: sname, line: start, values: map[string]string{}}
			c.stanzas = append(c.stanzas, cur)
			c.byStanza[sname] = cur
		default:
			key, value, ok := strings.Cut(line, "=")
			key = strings.TrimSpace(key)
			switch {
			case !ok:
				return nil, fmt.Errorf("%s:%d: neither a stanza nor key = value: %q", name, start, line)
			case key == "":
				return nil, fmt.Errorf("%s:%d: empty key", name, start)
			case cur == nil:
				return nil, fmt.Errorf("%s:%d: key %q before the first stanza", name, start, key)
			}
			if _, dup := cur.values[key]; dup {
				return nil, fmt.Errorf("%s:%d: key %q given twice in [%s]", name, start, key, cur.name)
			}
			cur.keys = append(cur.keys, key)
			cur.values[key] = strings.TrimSpace(value)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return c, nil
}

// appDir is the app as it is packaged.
const appDir = "pigment_audit"

// mustConf parses one file of the app, relative to appDir.
func mustConf(tb testing.TB, rel string) *confFile {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(appDir, rel))
	if err != nil {
		tb.Fatal(err)
	}
	c, err := parseConf(rel, data)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestParseConfRefuses(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"key before stanza", "a = 1\n[s]\n", "before the first stanza"},
		{"duplicate stanza", "[s]\na = 1\n[s]\nb = 2\n", "already at line 1"},
		{"duplicate key", "[s]\na = 1\na = 2\n", `key "a" given twice`},
		{"no equals", "[s]\njust words\n", "neither a stanza"},
		{"empty key", "[s]\n = 1\n", "empty key"},
		{"open header", "[s\n", "not closed"},
		{"dangling continuation", "[s]\na = 1 \\", "continuation at the end"},
	}
	for _, c := range cases {
		_, err := parseConf(c.name, []byte(c.text))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("parseConf(%s) error = %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestParseConfContinuation(t *testing.T) {
	c, err := parseConf("m", []byte("# c\n[m]\ndefinition = a \\\n| b \\\n| c\niseval = 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.stanza("m").get("definition"), "a \n| b \n| c"; got != want {
		t.Errorf("definition = %q, want %q", got, want)
	}
	if got := c.stanza("m").get("iseval"); got != "0" {
		t.Errorf("iseval = %q, want 0", got)
	}
}

// TestConfFilesParse parses every .conf and .meta file of the app.
func TestConfFilesParse(t *testing.T) {
	var n int
	err := filepath.WalkDir(appDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if ext := filepath.Ext(path); ext != ".conf" && ext != ".meta" {
			return nil
		}
		n++
		rel, _ := filepath.Rel(appDir, path)
		c := mustConf(t, rel)
		if len(c.stanzas) == 0 {
			t.Errorf("%s has no stanza", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 7 {
		t.Errorf("parsed %d .conf/.meta files, want the 7 of the app", n)
	}
}
