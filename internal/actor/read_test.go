package actor

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/jsonscan"
)

// readSeeds are actor and member objects of every shape, and broken ones.
var readSeeds = []string{
	`{"memberId":"m1","email":"a@x.io","name":"Ann"}`, `{"user":{"id":"m1","email":"a@x.io"},"type":"User"}`,
	`"a@x.io"`, `"m1"`, `""`, `null`, `42`, `["m1"]`, `{"id":"a","id":"b","id":""}`,
	`{"user":{"memberId":"m","email":"n@x.io","name":"N"},"userId":"u","user":{"id":"i"}}`,
	`{"targetMemberId":"t","memberId":"m","userId":"u","id":"i","targetEmail":"te","userEmail":"ue","email":"e","targetName":"tn","userName":"un","name":"n"}`,
	`{"member":{"email":"me","user":{"id":"x"}},"user":{"name":"un","member":{"id":"y"}},"applicationId":"a","id":"app","name":"App"}`,
	`{"user":"x","member":7,"id":{"v":"w"},"name":["n"]}`, `{"id":"\u00e9\ud800","name":"a\u0000b"}`, "{\"id\":\"a\x01b\"}",
	`{"id":"a"`, `{"user":{"id":"a"}`, `{"id":"a",}`, `{"a":[1,{"b":[]}],"id":"m"}`, `{"id":"\x"}`, `"a@b`, `{"user":{"id":tru}}`,
}

// FuzzRead checks that Read, which validates as it goes, reads what the
// first implementation of Parse (refParse) reads from the same bytes once
// Scanner.Value validated them, and fails exactly where Value fails.
func FuzzRead(f *testing.F) {
	for _, s := range readSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s := jsonscan.Scanner{B: in}
		got, err := Read(&s, 1)
		v := jsonscan.Scanner{B: in}
		wantErr := v.Value(1)
		var want Actor
		if wantErr == nil {
			want = refParse(in[:v.I])
		}
		if got != want || s.I != v.I || !sameError(err, wantErr) {
			t.Errorf("Read(%q) = %+v, %v at %d; want %+v, %v at %d", in, got, err, s.I, want, wantErr, v.I)
		}
		if p := Parse(in[:v.I]); wantErr == nil && p != want {
			t.Errorf("Parse(%q) = %+v, want %+v", in[:v.I], p, want)
		}
	})
}

// FuzzMember checks that an object read member by member into a Member
// gives what the first implementation of Target (refTarget) gives,
// whichever of target, metadata and payload it is, and fails exactly where
// Value fails.
func FuzzMember(f *testing.F) {
	for _, s := range readSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var target, body Member
		gotErr := readMembers(in, &target, &body)
		v := jsonscan.Scanner{B: in}
		wantErr := v.Value(1)
		if !sameError(gotErr, wantErr) {
			t.Fatalf("reading %q into Members: %v, want %v", in, gotErr, wantErr)
		}
		if wantErr != nil {
			return
		}
		in = in[:v.I]
		var none Member
		for _, c := range []struct {
			got, want Actor
		}{
			{TargetOf(&target, &none, &none), refTarget(in, nil, nil)},
			{TargetOf(&none, &body, &none), refTarget(nil, in, nil)},
			{TargetOf(&none, &none, &body), refTarget(nil, nil, in)},
			{TargetOf(&target, &body, &body), refTarget(in, in, in)},
			{Target(in, nil, nil), refTarget(in, nil, nil)},
			{Target(nil, in, in), refTarget(nil, in, in)},
		} {
			if c.got != c.want {
				t.Errorf("TargetOf over %q = %+v, want %+v", in, c.got, c.want)
			}
		}
	})
}

// readMembers reads the value of in as a target object into target and as
// a metadata object into body, as internal/event does.
func readMembers(in []byte, target, body *Member) error {
	for _, m := range []struct {
		m        *Member
		inTarget bool
	}{{target, true}, {body, false}} {
		s := jsonscan.Scanner{B: in}
		if s.Peek() != '{' {
			return s.Value(1)
		}
		s.I++
		for n := 0; ; n++ {
			key, ok, err := s.Member(n)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if ok, err = m.m.Read(&s, key, m.inTarget, 2); err != nil {
				return err
			}
			if !ok {
				if err := s.Value(2); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// Read allocates only for values with escapes.
func TestReadAllocs(t *testing.T) {
	in := []byte(`{"user":{"id":"m-7","email":"a@x.io","name":"Ann"},"type":"User"}`)
	if n := testing.AllocsPerRun(100, func() { s := jsonscan.Scanner{B: in}; _, _ = Read(&s, 1) }); n != 0 {
		t.Errorf("Read allocates %v times per call, want 0", n)
	}
}
