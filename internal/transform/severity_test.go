package transform

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

func TestSyslogSeverity(t *testing.T) {
	tests := []struct {
		ev   event.Event
		want int
	}{
		{event.Event{Type: "UserLoggedIn", Outcome: "success"}, 6},
		{event.Event{Type: "UserLoggedIn", Outcome: "failure"}, 4},
		{event.Event{Type: "BlockModified"}, 6},
		{event.Event{Type: "BlockDeleted"}, 5},
		{event.Event{Type: "UserAccountTypeUpdated"}, 5},
		{event.Event{Type: "APIKeyCreated"}, 5},
		{event.Event{Type: "SupportSessionStarted"}, 5},
		{event.Event{Type: "SomethingNew"}, 6},
		{event.Event{Kind: event.KindAlert, Severity: "critical"}, 2},
		{event.Event{Kind: event.KindAlert, Severity: "HIGH"}, 3},
		{event.Event{Kind: event.KindAlert, Severity: "medium"}, 4},
		{event.Event{Kind: event.KindAlert, Severity: "low"}, 5},
		{event.Event{Kind: event.KindAlert, Severity: "info"}, 6},
		{event.Event{Kind: event.KindAlert}, 4},
	}
	for _, tt := range tests {
		if got := SyslogSeverity(&tt.ev); got != tt.want {
			t.Errorf("SyslogSeverity(%+v) = %d, want %d", tt.ev, got, tt.want)
		}
	}
}

func TestECSCategory(t *testing.T) {
	tests := []struct {
		typ            string
		category, typ2 string
	}{
		{"UserLoggedIn", `["authentication","session"]`, `["start"]`},
		{"BlockDeleted", `["configuration"]`, `["deletion"]`},
		{"GroupModified", `["iam"]`, `["group","change"]`},
		{"UserAccountTypeUpdated", `["iam"]`, `["user","change"]`},
		{"SnapshotCreated", "", `["info"]`},
		{"ViewShared", `["configuration"]`, `["change"]`},
		{"DataExported", `["database"]`, `["access"]`},
		{"SsoLoginFailed", `["authentication"]`, `["info"]`},
	}
	for _, tt := range tests {
		got := ecsCategory(&event.Event{Type: tt.typ})
		if got.category != tt.category || got.typ != tt.typ2 {
			t.Errorf("ecsCategory(%s) = %s %s, want %s %s", tt.typ, got.category, got.typ, tt.category, tt.typ2)
		}
	}
}

// TestSummaryLiteralsNeedNoEscaping: appendSummary appends its literal
// pieces without escaping them, which is only right while no format's
// escaping changes them.
func TestSummaryLiteralsNeedNoEscaping(t *testing.T) {
	for _, lit := range []string{"Alert ", "unnamed", " for ", "Event", " by ", "unknown actor", " in ", " from ", ": failure"} {
		for name, esc := range map[string]func([]byte, string) []byte{"JSON": jsonenc.AppendText, "CEF": appendCEFValue} {
			if got := string(esc(nil, lit)); got != lit {
				t.Errorf("%s escaping of %q = %q, want it unchanged", name, lit, got)
			}
		}
	}
}
