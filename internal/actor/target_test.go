package actor

import (
	"strings"
	"testing"
)

func TestTarget(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                      string
		target, metadata, payload string
		want                      Actor
	}{
		// Public sources: UserAccountTypeUpdated, and UserDeactivated,
		// UserReactivated, UserInvited (payload).
		{"public account type", ``, ``, `{"userId":"m1","userName":"Ann","userEmail":"a@x.io","previousAccountType":"Builder","newAccountType":"Workspace Admin"}`, Actor{"m1", "a@x.io", "Ann"}},
		{"public deactivated", ``, ``, `{"id":"m1","name":"Ann","email":"a@x.io"}`, Actor{"m1", "a@x.io", "Ann"}},
		// The described envelope: metadata, or the target object.
		{"described metadata target fields", ``, `{"targetMemberId":"m1","targetEmail":"a@x.io","targetName":"Ann","accountType":"Builder"}`, ``, Actor{"m1", "a@x.io", "Ann"}},
		{"described metadata memberId", ``, `{"memberId":"m1","email":"a@x.io"}`, ``, Actor{ID: "m1", Email: "a@x.io"}},
		{"described metadata userId", ``, `{"userId":"m1","userEmail":"a@x.io","userName":"Ann"}`, ``, Actor{"m1", "a@x.io", "Ann"}},
		{"described metadata id", ``, `{"id":"m1"}`, ``, Actor{ID: "m1"}},
		{"described metadata email only", ``, `{"email":"a@x.io"}`, ``, Actor{Email: "a@x.io"}},
		{"described metadata userEmail only", ``, `{"userEmail":"a@x.io"}`, ``, Actor{Email: "a@x.io"}},
		{"nested user", ``, `{"user":{"id":"m1","email":"a@x.io","name":"Ann"}}`, ``, Actor{"m1", "a@x.io", "Ann"}},
		{"nested member", ``, ``, `{"member":{"memberId":"m1","email":"a@x.io"}}`, Actor{ID: "m1", Email: "a@x.io"}},
		{"target object", `{"memberId":"m1","email":"a@x.io","userName":"Ann"}`, `{}`, ``, Actor{"m1", "a@x.io", "Ann"}},
		{"target object nested user", `{"user":{"id":"m1","email":"a@x.io"}}`, ``, ``, Actor{ID: "m1", Email: "a@x.io"}},

		// In target, id and name are the application's.
		{"target application only", `{"applicationId":"a1","applicationName":"Budget","id":"a1","name":"Budget"}`, `{"id":"m1"}`, ``, Actor{ID: "m1"}},
		{"target member beside its application", `{"applicationId":"a1","id":"a1","name":"Budget","memberId":"m1"}`, ``, ``, Actor{ID: "m1"}},

		// Precedence: target, metadata, payload; the first that names a
		// member (an id or an email) gives every field.
		{"target before metadata", `{"memberId":"t"}`, `{"id":"m","name":"M"}`, ``, Actor{ID: "t"}},
		{"metadata before payload", ``, `{"userId":"m","userName":"M"}`, `{"id":"p","email":"p@x.io"}`, Actor{ID: "m", Name: "M"}},
		{"a name alone names no one", ``, `{"name":"N"}`, `{"id":"p"}`, Actor{ID: "p"}},
		// Within one object: targetMemberId > memberId > userId > id,
		// targetEmail > userEmail > email, targetName > userName > name,
		// direct before nested user, then member.
		{"id precedence", ``, `{"id":"i","userId":"u","memberId":"m","targetMemberId":"t"}`, ``, Actor{ID: "t"}},
		{"memberId before userId and id", ``, `{"id":"i","userId":"u","memberId":"m"}`, ``, Actor{ID: "m"}},
		{"userId before id", ``, `{"id":"i","userId":"u"}`, ``, Actor{ID: "u"}},
		{"email precedence", ``, `{"email":"e@x.io","userEmail":"u@x.io","targetEmail":"t@x.io"}`, ``, Actor{Email: "t@x.io"}},
		{"userEmail before email", ``, `{"email":"e@x.io","userEmail":"u@x.io"}`, ``, Actor{Email: "u@x.io"}},
		{"name precedence", ``, `{"id":"m","name":"N","userName":"U"}`, ``, Actor{ID: "m", Name: "U"}},
		{"direct before nested", ``, `{"user":{"id":"n","email":"n@x.io"},"id":"m"}`, ``, Actor{ID: "m", Email: "n@x.io"}},
		{"user before member", ``, `{"member":{"id":"b"},"user":{"id":"a"}}`, ``, Actor{ID: "a"}},

		// Odd inputs.
		{"nothing", ``, ``, ``, Actor{}},
		{"nulls", `null`, `null`, `null`, Actor{}},
		{"not objects", `"m1"`, `["m1"]`, `42`, Actor{}},
		{"no member fields", `{"applicationId":"a1"}`, `{"ipAddress":"10.0.0.1","outcome":"success"}`, `{"format":"CSV"}`, Actor{}},
		{"numbers and empty strings skipped", ``, `{"id":7,"userId":"","email":"a@x.io"}`, ``, Actor{Email: "a@x.io"}},
		{"invalid JSON", ``, `{"id":`, `{"id":"p"}`, Actor{ID: "p"}},
		{"invalid inside a skipped member", ``, `{"x":{"y":[}},"id":"m"}`, `{"id":"p"}`, Actor{ID: "p"}},
		{"escaped", ``, `{"\u0069d":"m\"1","email":"a\u0040x.io"}`, ``, Actor{ID: "m\"1", Email: "a@x.io"}},
		{"non-ASCII", ``, ``, `{"id":"ü-1","name":"日本","email":"élodie@acme.fr"}`, Actor{"ü-1", "élodie@acme.fr", "日本"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Target([]byte(tc.target), []byte(tc.metadata), []byte(tc.payload)); got != tc.want {
				t.Errorf("Target(%s, %s, %s) = %+v, want %+v", tc.target, tc.metadata, tc.payload, got, tc.want)
			}
		})
	}
}

// Target allocates only for values with escapes.
func TestTargetAllocs(t *testing.T) {
	in := []byte(`{"userId":"m-7","userName":"Ann","userEmail":"a@x.io","previousAccountType":"Builder","newAccountType":"Workspace Admin"}`)
	if n := testing.AllocsPerRun(100, func() { _ = Target(nil, nil, in) }); n != 0 {
		t.Errorf("Target allocates %v times per call, want 0", n)
	}
}

// FuzzTarget: never panics, and what it returns comes from the input.
func FuzzTarget(f *testing.F) {
	for _, s := range []string{`{"user":{"id":"m"}}`, `{"targetMemberId":"m"}`, `{"member":{"email":"\ud800"}}`, `{"a":[{"b":"]"}],"id":"m"}`, `{`, `"\u00`} {
		f.Add([]byte(s), []byte(`{"applicationId":"a","memberId":"t"}`))
	}
	f.Fuzz(func(t *testing.T, body, target []byte) {
		a := Target(target, body, body)
		in := string(target) + string(body)
		for _, v := range []string{a.ID, a.Email, a.Name} {
			if v != "" && !strings.Contains(in, v) && !strings.Contains(in, `\`) {
				t.Errorf("Target(%q, %q) = %+v: %q is not in the input", target, body, a, v)
			}
		}
	})
}
