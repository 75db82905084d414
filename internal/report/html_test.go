package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestRenderHTMLGolden pins the whole page: a change to the layout, the
// escaping or the order shows as a diff of testdata/html/*.html.golden (go test
// -run TestRenderHTMLGolden -update rewrites them).
func TestRenderHTMLGolden(t *testing.T) {
	for _, tc := range sampleCases() {
		t.Run(tc.name, func(t *testing.T) {
			got := bytes.NewBufferString(mustRender(t, tc.doc))
			path := filepath.Join("testdata", "html", tc.name+".html.golden")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("golden file (run with -update to create): %v", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("RenderHTML(%s) differs from %s; run with -update and review the diff", tc.name, path)
			}
		})
	}
}

// sampleCases are the documents the golden and the browser tests render.
func sampleCases() []struct {
	name string
	doc  *Document
} {
	return []struct {
		name string
		doc  *Document
	}{
		{"weekly-complete", sampleDocument(true, false)},
		{"monthly-incomplete-signoff", sampleDocument(false, true)},
	}
}

// mustRender is d's page, or the test's end.
func mustRender(tb testing.TB, d *Document) string {
	tb.Helper()
	var out bytes.Buffer
	if err := RenderHTML(&out, d); err != nil {
		tb.Fatalf("RenderHTML: %v", err)
	}
	return out.String()
}

// checkContains reports each of want that page lacks.
func checkContains(t *testing.T, page string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("page lacks %q", w)
		}
	}
}

func TestRenderHTMLDeterministic(t *testing.T) {
	if mustRender(t, sampleDocument(false, true)) != mustRender(t, sampleDocument(false, true)) {
		t.Error("two renderings of the same Document differ")
	}
}

// TestRenderHTMLEscapes: audit data is untrusted. A cell holding markup
// is shown as text, and control characters as escapes.
func TestRenderHTMLEscapes(t *testing.T) {
	page := mustRender(t, sampleDocument(true, false))
	for _, bad := range []string{"<script", "<b>812", "\x07", "\x01"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	checkContains(t, page,
		"<td>Sales &lt;script&gt;alert(1)&lt;/script&gt;</td>",
		"&lt;b&gt;812&lt;/b&gt; changes against 610.",
		`<td>bell\x07and\x01nul</td>`,
		"<td>bad\uFFFDutf8</td>",
		"Ventes &amp; Opérations — Zürich",
	)
}

// TestRenderHTMLSelfContained: nothing on the page refers to another file
// or host (the browser test checks that no request is made, too).
func TestRenderHTMLSelfContained(t *testing.T) {
	page := mustRender(t, sampleDocument(false, true))
	for _, ref := range []string{"http:", "https:", "//", "src=", "<link", "<script", "url(", "@import"} {
		if strings.Contains(page, ref) {
			t.Errorf("page refers outside itself: %q", ref)
		}
	}
}

func TestRenderHTMLIncomplete(t *testing.T) {
	page := mustRender(t, sampleDocument(false, false))
	checkContains(t, page,
		`id="incomplete-banner"`, `id="incomplete"`, "archive behind pigment.audit.events partition 1 by 120 records",
		`content: "INCOMPLETE: extract\27s watermark 2026-11-29T23\3a 00\3a 00Z`, // every printed page's top margin
	)
	if strings.Contains(page, "ZgotmplZ") {
		t.Error("html/template filtered a value out of the page")
	}
	if strings.Contains(page, `id="signoff"`) {
		t.Error("page without SignOff has a sign-off block")
	}
	if page := mustRender(t, sampleDocument(true, false)); strings.Contains(page, "INCOMPLETE") {
		t.Error("complete page says INCOMPLETE")
	}
	checkContains(t, mustRender(t, sampleDocument(true, true)), `id="signoff"`, "Reviewer", "Signature", "approved", "rejected")
}

// TestRenderHTMLLongReasons: the printed margin holds a shortened line;
// the first page has every reason whole.
func TestRenderHTMLLongReasons(t *testing.T) {
	d := sampleDocument(false, false)
	d.Incomplete = append(d.Incomplete, strings.Repeat("partition behind; ", 20))
	page := mustRender(t, d)
	checkContains(t, page, `… \28 all reasons on the first page\29 "`, "<li>"+d.Incomplete[2]+"</li>")
}

// TestRenderHTMLRefusesBadCharts: a chart that cannot be drawn is an error
// naming it, and nothing is written.
func TestRenderHTMLRefusesBadCharts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		chart Chart
		cell  string
		want  string
	}{
		{"missing table", Chart{ID: "c", Table: "nope", Values: []int{1}}, "1", `draws table "nope"`},
		{"label column", Chart{ID: "c", Table: "t", Label: 5, Values: []int{1}}, "1", "label column 5"},
		{"value column", Chart{ID: "c", Table: "t", Values: []int{2}}, "1", "value column 2"},
		{"no values", Chart{ID: "c", Table: "t"}, "1", "no value column"},
		{"not a number", Chart{ID: "c", Table: "t", Values: []int{1}}, "many", `"many" is not a count`},
	} {
		d := sampleDocument(true, false)
		d.Sections = []Section{{ID: "s", Title: "S", Charts: []Chart{tc.chart},
			Tables: []Table{{ID: "t", Columns: []string{"a", "b"}, Rows: [][]string{{"x", tc.cell}}}}}}
		var out bytes.Buffer
		err := RenderHTML(&out, d)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: RenderHTML error = %v, want it to say %q", tc.name, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %d bytes of a page it refused", tc.name, out.Len())
		}
	}
}
