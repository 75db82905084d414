package jsonscan

import (
	"strings"
	"testing"
)

func TestScannerValue(t *testing.T) {
	tests := []struct {
		in   string
		want string // "" for no error, else the error's text
	}{
		{`{"a":[1,{"b":"c\td"},true,null],"e":-0.5e3}`, ""},
		{`{}`, ""},
		{`[]`, ""},
		{`{"a":1,}`, "invalid JSON at offset 7: want an object key"},
		{`{"a" 1}`, "invalid JSON at offset 5: want ':' after an object key"},
		{`{"a":1 "b":2}`, "invalid JSON at offset 7: want ',' or '}' in an object"},
		{`[1 2]`, "invalid JSON at offset 3: want ',' or ']' in an array"},
		{`[1,]`, "invalid JSON at offset 3: unexpected ']', want a value"},
		{`{"a":"\q"}`, "invalid JSON at offset 6: invalid escape"},
		{`{"a":[`, "invalid JSON: unexpected end of input at offset 6 (truncated?)"},
		{strings.Repeat("[", MaxDepth+1), "invalid JSON at offset 10000: nesting too deep"},
		// Member's errors point at the offending byte, past any space.
		{`{ "a" 1}`, "invalid JSON at offset 6: want ':' after an object key"},
		{`{ , }`, "invalid JSON at offset 2: want an object key"},
		{`{"a":1 ,  "b"  }`, "invalid JSON at offset 15: want ':' after an object key"},
		{`{"a":1  x`, "invalid JSON at offset 8: want ',' or '}' in an object"},
		{`{"a":1 ,  1}`, "invalid JSON at offset 10: want an object key"},
		{`{"a\q":1}`, "invalid JSON at offset 3: invalid escape"},
		{`{"a"  `, "invalid JSON: unexpected end of input at offset 6 (truncated?)"},
		{`{"a":1,  `, "invalid JSON: unexpected end of input at offset 9 (truncated?)"},
		{"{\"a\x01\" : 1}", ""},
	}
	for _, tt := range tests {
		s := Scanner{B: []byte(tt.in)}
		got := ""
		if err := s.Value(0); err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("Value(%.20q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestScannerMembers walks an object the way the readers do, with an
// escaped key and values of other kinds read by String as "".
func TestScannerMembers(t *testing.T) {
	s := Scanner{B: []byte(` { "a" : "x" , "b\u0063" : 1 , "d" : {"e":"f"} } `)}
	s.SkipSpace()
	if ok, err := s.Enter(0); !ok || err != nil {
		t.Fatalf("Enter = %v, %v; want true", ok, err)
	}
	var got []string
	for n := 0; ; n++ {
		key, ok, err := s.Member(n)
		if err != nil {
			t.Fatalf("Member(%d): %v", n, err)
		}
		if !ok {
			break
		}
		v, err := s.String(1)
		if err != nil {
			t.Fatalf("String: %v", err)
		}
		got = append(got, string(key)+"="+v)
	}
	if s.SkipSpace(); s.More() || strings.Join(got, " ") != "a=x bc= d=" {
		t.Errorf("members = %q, rest %q; want a=x bc= d= and nothing", got, s.B[s.I:])
	}
}
