package pigmentsim

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

func TestSameSeedSameFirstPage(t *testing.T) {
	firstPage := func(seed int64) []byte {
		_, srv, clk := mustSim(t, Config{Seed: seed, Rate: 5, History: 6 * time.Hour, HistoryEvents: 3000})
		clk.Add(time.Minute)
		_, body, _ := get(t, srv, "/api/audit/v1/events", sinceParam(t0.Add(-24*time.Hour)))
		return body
	}
	a, b, c := firstPage(42), firstPage(42), firstPage(43)
	if !bytes.Equal(a, b) {
		t.Errorf("same seed gave different first pages")
	}
	if bytes.Equal(a, c) {
		t.Errorf("different seeds gave the same first page")
	}
}

// TestEventContent checks the rendered events of both shapes: valid JSON,
// realistic sizes, non-ASCII names, failed logins with IP and country.
func TestEventContent(t *testing.T) {
	tests := []struct {
		shape, body, login, ctx string
	}{
		{ShapeDescribed, "metadata", "UserLoggedIn", "target"},
		{ShapePublic, "payload", "UserLoggedIn", "context"},
	}
	for _, tt := range tests {
		t.Run(tt.shape, func(t *testing.T) {
			s, err := New(Config{Seed: 9, APIKey: "k", Shape: tt.shape, History: time.Hour, HistoryEvents: 5000, Clock: func() time.Time { return t0 }})
			if err != nil {
				t.Fatal(err)
			}
			var total, nonASCII, failed int
			types := map[string]bool{}
			for _, e := range s.st.evs {
				b := s.rd.appendEvent(nil, e, nil)
				total += len(b)
				var m map[string]any
				if err := json.Unmarshal(b, &m); err != nil {
					t.Fatalf("event %s is not valid JSON: %v", b, err)
				}
				if m[tt.body] == nil || m[tt.ctx] == nil || m["actor"] == nil {
					t.Fatalf("event %s lacks %s, %s or actor", b, tt.body, tt.ctx)
				}
				types[m["eventType"].(string)] = true
				if !isASCII(b) {
					nonASCII++
				}
				if body := m[tt.body].(map[string]any); m["eventType"] == tt.login {
					if body["ipAddress"] == nil || body["country"] == nil {
						t.Fatalf("login %s lacks ipAddress or country", b)
					}
					if body["outcome"] == "failure" {
						failed++
					}
				}
			}
			avg := total / len(s.st.evs)
			if avg < 400 || avg > 700 {
				t.Errorf("average event size = %d bytes, want 400..700", avg)
			}
			if nonASCII == 0 || failed == 0 || len(types) < 15 {
				t.Errorf("non-ASCII events = %d, failed logins = %d, types = %d; want some, some, >= 15", nonASCII, failed, len(types))
			}
		})
	}
}

func TestPublicVocabulary(t *testing.T) {
	s, err := New(Config{Seed: 2, APIKey: "k", Shape: ShapePublic, History: time.Hour, HistoryEvents: 20000, Clock: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	var page []byte
	for _, e := range s.st.evs {
		page = s.rd.appendEvent(page[:0], e, nil)
		if !bytes.Contains(page, []byte(`"eventType":"UserAccountTypeUpdated"`)) {
			continue
		}
		var ev struct{ Payload map[string]string }
		if err := json.Unmarshal(page, &ev); err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"userId", "userName", "userEmail", "previousAccountType", "newAccountType"} {
			if ev.Payload[k] == "" {
				t.Errorf("UserAccountTypeUpdated payload %v lacks %s", ev.Payload, k)
			}
		}
		return
	}
	t.Errorf("no UserAccountTypeUpdated among %d events", len(s.st.evs))
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// BenchmarkServePage renders one 1,000-event page, the serving hot path.
func BenchmarkServePage(b *testing.B) {
	for _, shape := range []string{ShapeDescribed, ShapePublic} {
		b.Run(shape, func(b *testing.B) {
			s, err := New(Config{Seed: 1, APIKey: "k", Shape: shape, History: time.Hour, HistoryEvents: 1000, Clock: func() time.Time { return t0 }})
			if err != nil {
				b.Fatal(err)
			}
			evs := s.st.evs
			buf := make([]byte, 0, 1<<20)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				buf = s.rd.appendPage(buf[:0], evs, nil, "next")
			}
			b.SetBytes(int64(len(buf)))
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkHandler measures a whole request through the handler, query and
// cursor included, over a 200,000-event backlog.
func BenchmarkHandler(b *testing.B) {
	_, srv, _ := mustSim(b, Config{Seed: 1, History: 24 * time.Hour, HistoryEvents: 200000})
	b.ReportAllocs()
	for b.Loop() {
		get(b, srv, "/api/audit/v1/events", sinceParam(t0.Add(-48*time.Hour)))
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "events/s")
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", `q"b\s`, "Zürich 日本", "\x00\x1f\u2028", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := jsonenc.AppendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("jsonenc.AppendString(%q) = %s: invalid JSON: %v", s, b, err)
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); utf8.ValidString(s) && got != want {
			t.Errorf("jsonenc.AppendString(%q) decodes to %q, want %q", s, got, want)
		}
	})
}

// TestAccountTypes: role changes and member events carry Pigment's own
// account types, in both vocabularies, and the workspace has one Primary
// Owner.
func TestAccountTypes(t *testing.T) {
	pigment := []string{"Primary Owner", "Security Admin", "Workspace Admin", "Builder", "Standard Member"}
	for _, shape := range []string{ShapeDescribed, ShapePublic} {
		s, err := New(Config{Seed: 3, APIKey: "k", Shape: shape, History: time.Hour, HistoryEvents: 20000, Clock: func() time.Time { return t0 }})
		if err != nil {
			t.Fatal(err)
		}
		owners := 0
		for _, m := range s.ws.members {
			if m.accountType == "Primary Owner" {
				owners++
			}
		}
		if owners != 1 {
			t.Errorf("%s: %d Primary Owners, want 1", shape, owners)
		}
		changes := 0
		var page []byte
		for _, e := range s.st.evs {
			page = s.rd.appendEvent(page[:0], e, nil)
			var ev struct {
				EventType         string
				Metadata, Payload map[string]any
			}
			if err := json.Unmarshal(page, &ev); err != nil {
				t.Fatal(err)
			}
			body := ev.Payload
			if shape == ShapeDescribed {
				body = ev.Metadata
			}
			for _, k := range []string{"previousAccountType", "newAccountType", "previousRole", "newRole", "accountType"} {
				v, ok := body[k].(string)
				if ok && !slices.Contains(pigment, v) {
					t.Errorf("%s: %s %s = %q, not one of Pigment's account types", shape, ev.EventType, k, v)
				}
				if ok && k != "accountType" {
					changes++
				}
			}
		}
		if changes == 0 {
			t.Errorf("%s: no account type change among %d events", shape, len(s.st.evs))
		}
	}
}
