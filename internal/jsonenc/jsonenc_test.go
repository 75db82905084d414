package jsonenc

import (
	"encoding/json"
	"testing"
)

func TestAppendStringDecodesToTheInput(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{`quote " and \ backslash`, `quote " and \ backslash`},
		{"ctrl \n\r\t\x01 end", "ctrl \n\r\t\x01 end"},
		{"é 日本 😀", "é 日本 😀"},
		{"bad \xff utf8", "bad \ufffd utf8"},
		{"<html> & </html>", "<html> & </html>"},
	}
	for _, tt := range tests {
		out := AppendString(nil, tt.in)
		var got string
		if err := json.Unmarshal(out, &got); err != nil || got != tt.want {
			t.Errorf("AppendString(%q) = %s, decodes to %q (%v), want %q", tt.in, out, got, err, tt.want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("a\"b\\c\x00\xff日")
	f.Fuzz(func(t *testing.T, s string) {
		out := AppendString(nil, s)
		if !json.Valid(out) {
			t.Fatalf("AppendString(%q) = %s: not valid JSON", s, out)
		}
	})
}
