package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzRenderHTML: whatever a cell, a title or a reason holds, the page is
// valid UTF-8 with no forbidden control character, and the text never
// becomes markup.
func FuzzRenderHTML(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", "a\x00b\x07c", "\xff\xfe", `"';}</style>`, "ünïcödé — ✓", "12:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d := sampleDocument(false, true)
		d.Title, d.Incomplete = s, []string{s}
		d.Sections[1].Tables[2].Rows[0][0] = s
		d.Sections[1].Findings[0].Detail = s
		var out bytes.Buffer
		if err := RenderHTML(&out, d); err != nil {
			t.Fatalf("RenderHTML: %v", err)
		}
		page := out.Bytes()
		if !utf8.Valid(page) {
			t.Fatal("page is not valid UTF-8")
		}
		for _, c := range page {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\f' && c != '\r') || c == 0x7f {
				t.Fatalf("page holds control byte %#x", c)
			}
		}
		if strings.Contains(strings.ToLower(out.String()), "<script") {
			t.Fatal("page holds a script element")
		}
	})
}

func BenchmarkRenderHTML(b *testing.B) {
	d := longDocument()
	b.ReportAllocs()
	for b.Loop() {
		if err := RenderHTML(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
