package actor

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     Actor
	}{
		// Every shape the API notes list.
		{"described", `{"memberId":"m1","email":"a@x.io","name":"Ann"}`, Actor{"m1", "a@x.io", "Ann"}},
		{"public flat id", `{"id":"m1","email":"a@x.io","name":"Ann","type":"User"}`, Actor{"m1", "a@x.io", "Ann"}},
		{"public flat userId", `{"userId":"m1","email":"a@x.io"}`, Actor{ID: "m1", Email: "a@x.io"}},
		{"public nested user", `{"user":{"id":"m1","email":"a@x.io","name":"Ann"},"type":"User"}`, Actor{"m1", "a@x.io", "Ann"}},
		{"nested memberId", `{"user":{"memberId":"m1"}}`, Actor{ID: "m1"}},
		{"nested userId", `{"user":{"userId":"m1","name":"Ann"}}`, Actor{ID: "m1", Name: "Ann"}},
		{"plain string id", `"svc-account"`, Actor{ID: "svc-account"}},
		{"plain string email", `"a@x.io"`, Actor{Email: "a@x.io"}},

		// Precedence: memberId > id > userId, direct before nested user.
		{"memberId before id and userId", `{"userId":"u","id":"i","memberId":"m"}`, Actor{ID: "m"}},
		{"id before userId", `{"userId":"u","id":"i"}`, Actor{ID: "i"}},
		{"nested memberId before nested id", `{"user":{"id":"i","memberId":"m"}}`, Actor{ID: "m"}},
		{"direct userId before nested memberId", `{"user":{"memberId":"m","email":"n@x.io","name":"N"},"userId":"u"}`, Actor{"u", "n@x.io", "N"}},
		{"direct email and name before nested", `{"user":{"id":"m","email":"n@x.io","name":"N"},"email":"d@x.io","name":"D"}`, Actor{"m", "d@x.io", "D"}},
		{"repeated key: the last wins", `{"id":"a","id":"b"}`, Actor{ID: "b"}},

		// Odd inputs.
		{"empty", ``, Actor{}},
		{"null", `null`, Actor{}},
		{"number", `42`, Actor{}},
		{"array", `["m1"]`, Actor{}},
		{"empty object", `{}`, Actor{}},
		{"empty string", `""`, Actor{}},
		{"numbers are not ids", `{"memberId":42,"id":7.5,"email":"a@x.io"}`, Actor{Email: "a@x.io"}},
		{"null and empty skipped", `{"memberId":null,"id":"","userId":"u","email":null,"name":true}`, Actor{ID: "u"}},
		{"empty direct, nested wins", `{"id":"","email":"","user":{"id":"m","email":"a@x.io"}}`, Actor{ID: "m", Email: "a@x.io"}},
		{"user not an object", `{"user":"m1","id":"i"}`, Actor{ID: "i"}},
		{"user null", `{"user":null}`, Actor{}},
		{"only one level of user", `{"user":{"user":{"id":"deep"}}}`, Actor{}},
		{"other members skipped", `{"roles":[{"id":"r"},"x",{"memberId":"no"}],"meta":{"id":"no","a":[1,{"b":"}"}]},"id":"m"}`, Actor{ID: "m"}},
		{"whitespace", " \n{ \"id\" : \"m\" ,\t\"user\" : { \"email\" : \"a@x.io\" } } \r\n", Actor{ID: "m", Email: "a@x.io"}},
		{"non-ASCII", `{"id":"ü-1","email":"élodie@acme.fr","name":"日本 予算"}`, Actor{"ü-1", "élodie@acme.fr", "日本 予算"}},
		{"escaped values", `{"id":"m\"1\\","email":"a\u0040x.io","name":"\ud83d\ude00 \ud800x\n"}`, Actor{"m\"1\\", "a@x.io", "😀 \ufffdx\n"}},
		{"escaped keys", `{"\u0075ser":{"\u0069d":"m"},"em\u0061il":"a@x.io"}`, Actor{ID: "m", Email: "a@x.io"}},
		{"escaped string with @", `"a\u0040x.io"`, Actor{Email: "a@x.io"}},
		{"key with a long escape", `{"` + strings.Repeat(`\u0061`, 40) + `":"x","id":"m"}`, Actor{ID: "m"}},
		// Raw control characters in strings (real producers emit them;
		// extract keeps such events byte for byte): read, kept as they are.
		{"raw control in name", "{\"memberId\":\"m1\",\"name\":\"A\x01B\"}", Actor{ID: "m1", Name: "A\x01B"}},
		{"raw NUL, US, tab, newline", "{\"user\":{\"id\":\"m1\",\"name\":\"\x00a\x1fb\tc\nd\"}}", Actor{ID: "m1", Name: "\x00a\x1fb\tc\nd"}},
		{"raw control and an escape", "{\"id\":\"m\\u00e9\x01\",\"email\":\"a@x.io\"}", Actor{ID: "m\u00e9\x01", Email: "a@x.io"}},
		{"raw control in a skipped member", "{\"note\":\"a\x02b\",\"meta\":{\"x\":[\"\x03\"]},\"memberId\":\"m1\"}", Actor{ID: "m1"}},
		{"raw control in a key", "{\"n\x04\":1,\"id\":\"m1\"}", Actor{ID: "m1"}},
		{"raw control in a plain string", "\"svc\x05\"", Actor{ID: "svc\x05"}},
		{"raw control outside a string", "{\"id\":\"m1\"\x01}", Actor{}},
		{"raw control after a backslash", "{\"id\":\"m\\\x01\"}", Actor{}},
		{"not JSON", `{"id":`, Actor{}},
		{"truncated string", `{"id":"m`, Actor{}},
		{"invalid inside a skipped member", `{"x":[1,},"id":"m1"}`, Actor{}},
		{"invalid scalar in a skipped member", `{"x":tru,"id":"m1"}`, Actor{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Parse([]byte(tc.in)); got != tc.want {
				t.Errorf("Parse(%s) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		a    Actor
		want string
	}{
		{Actor{ID: "m", Email: "a@x.io", Name: "Ann"}, "m"},
		{Actor{Email: "a@x.io", Name: "Ann"}, "a@x.io"},
		{Actor{Name: "Ann"}, ""},
		{Actor{}, ""},
	} {
		if got := tc.a.Key(); got != tc.want {
			t.Errorf("%+v.Key() = %q, want %q", tc.a, got, tc.want)
		}
	}
}

// One member's events in both envelopes and every public shape have the
// same key.
func TestSameMemberSameKey(t *testing.T) {
	t.Parallel()
	shapes := []string{
		`{"memberId":"m-7","email":"a@x.io","name":"Ann"}`,
		`{"id":"m-7","email":"a@x.io","name":"Ann","type":"User"}`,
		`{"userId":"m-7"}`,
		`{"user":{"id":"m-7","email":"a@x.io","name":"Ann"}}`,
		`"m-7"`,
	}
	for _, s := range shapes {
		if got := Parse([]byte(s)).Key(); got != "m-7" {
			t.Errorf("Parse(%s).Key() = %q, want m-7", s, got)
		}
	}
}

// Parse allocates only for values with escapes.
func TestParseAllocs(t *testing.T) {
	in := []byte(`{"user":{"id":"m-7","email":"a@x.io","name":"Ann"},"type":"User"}`)
	if n := testing.AllocsPerRun(100, func() { _ = Parse(in) }); n != 0 {
		t.Errorf("Parse allocates %v times per call, want 0", n)
	}
}

func BenchmarkParse(b *testing.B) {
	in := []byte(`{"user":{"id":"0b6f3e2a-1c4d-4e5f-8a9b-0c1d2e3f4a5b","email":"jane.doe@acme.io","name":"Jane Doe"},"type":"User"}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_ = Parse(in)
	}
}

// FuzzParse: never panics, and what it returns comes from the input.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"user":{"id":"m"}}`, `"a@x"`, `{"id":"\ud800"}`, `{"a":[{"b":"]"}],"id":"m"}`, `{`, `[`, `"\u00`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a := Parse(in)
		for _, v := range []string{a.ID, a.Email, a.Name} {
			if v != "" && !strings.Contains(string(in), v) && !strings.Contains(string(in), `\`) {
				t.Errorf("Parse(%q) = %+v: %q is not in the input", in, a, v)
			}
		}
	})
}
