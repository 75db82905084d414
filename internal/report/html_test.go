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
// escaping or the order shows as a diff of testdata/html/*.html (go test
// -run TestRenderHTMLGolden -update rewrites them).
func TestRenderHTMLGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		doc  *Document
	}{
		{"weekly-complete", sampleDocument(true, false)},
		{"monthly-incomplete-signoff", sampleDocument(false, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got bytes.Buffer
			if err := RenderHTML(&got, tc.doc); err != nil {
				t.Fatalf("RenderHTML: %v", err)
			}
			path := filepath.Join("testdata", "html", tc.name+".html")
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

func TestRenderHTMLDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	if err := RenderHTML(&a, sampleDocument(false, true)); err != nil {
		t.Fatal(err)
	}
	if err := RenderHTML(&b, sampleDocument(false, true)); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two renderings of the same Document differ")
	}
}

// TestRenderHTMLEscapes: audit data is untrusted. A cell holding markup
// is shown as text, and control characters as escapes.
func TestRenderHTMLEscapes(t *testing.T) {
	var out bytes.Buffer
	if err := RenderHTML(&out, sampleDocument(true, false)); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, bad := range []string{"<script", "<b>812", "\x07", "\x01"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	for _, want := range []string{
		"<td>Sales &lt;script&gt;alert(1)&lt;/script&gt;</td>",
		"&lt;b&gt;812&lt;/b&gt; changes against 610.",
		`<td>bell\x07and\x01nul</td>`,
		"<td>bad\uFFFDutf8</td>",
		"Ventes &amp; Opérations — Zürich",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

// TestRenderHTMLSelfContained: nothing on the page refers to another file
// or host (the browser test checks that no request is made, too).
func TestRenderHTMLSelfContained(t *testing.T) {
	var out bytes.Buffer
	if err := RenderHTML(&out, sampleDocument(false, true)); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, ref := range []string{"http:", "https:", "//", "src=", "<link", "<script", "url(", "@import"} {
		if strings.Contains(page, ref) {
			t.Errorf("page refers outside itself: %q", ref)
		}
	}
}

func TestRenderHTMLIncomplete(t *testing.T) {
	var out bytes.Buffer
	if err := RenderHTML(&out, sampleDocument(false, false)); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	for _, want := range []string{
		`id="incomplete-banner"`, `id="incomplete"`, "archive behind pigment.audit.events partition 1 by 120 records",
		`content: "INCOMPLETE: extract\27s watermark 2026-11-29T23\3a 00\3a 00Z`, // every printed page's top margin
	} {
		if !strings.Contains(page, want) {
			t.Errorf("incomplete page lacks %q", want)
		}
	}
	if strings.Contains(page, "ZgotmplZ") {
		t.Error("html/template filtered a value out of the page")
	}
	out.Reset()
	if err := RenderHTML(&out, sampleDocument(true, false)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "INCOMPLETE") {
		t.Error("complete page says INCOMPLETE")
	}
	if strings.Contains(out.String(), `id="signoff"`) {
		t.Error("page without SignOff has a sign-off block")
	}
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
