package transform

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// wantClasses is the categorisation every event type the simulator emits
// must get, written out apart from classRows: CIM change_type,
// object_category and action (logins: "outcome", their action is the
// event's outcome; "" for none), the CIM object ("member", "application",
// "block" or ""), ECS event.category and event.type.
var wantClasses = map[string]struct {
	changeType, objectCategory, action, object string
	category, typ                              string
}{
	"UserLoggedIn":           {"", "", "outcome", "", "authentication,session", "start"},
	"UserLoggedOut":          {"", "", "", "", "authentication,session", "end"},
	"SupportSessionStarted":  {"", "", "", "", "session", "start"},
	"ApplicationAccessed":    {"", "", "", "", "web", "access"},
	"MemberInvited":          {"AAA", "user", "created", "member", "iam", "user,creation"},
	"UserInvited":            {"AAA", "user", "created", "member", "iam", "user,creation"},
	"MemberDeactivated":      {"AAA", "user", "deleted", "member", "iam", "user,change"},
	"UserDeactivated":        {"AAA", "user", "deleted", "member", "iam", "user,change"},
	"UserReactivated":        {"AAA", "user", "modified", "member", "iam", "user,change"},
	"UserPasswordChanged":    {"AAA", "user", "modified", "member", "iam", "user,change"},
	"RoleChanged":            {"AAA", "user", "modified", "member", "iam", "user,change"},
	"UserAccountTypeUpdated": {"AAA", "user", "modified", "member", "iam", "user,change"},
	"APIKeyCreated":          {"AAA", "api_key", "created", "", "iam", "admin,creation"},
	"APIKeyRevoked":          {"AAA", "api_key", "deleted", "", "iam", "admin,deletion"},
	"AccessRightsChanged":    {"AAA", "application", "modified", "application", "iam", "admin,change"},
	"PermissionsChanged":     {"AAA", "application", "modified", "application", "iam", "admin,change"},
	"GroupCreated":           {"AAA", "group", "created", "", "iam", "group,creation"},
	"GroupModified":          {"AAA", "group", "modified", "", "iam", "group,change"},
	"ApplicationCreated":     {"application", "application", "created", "application", "configuration", "creation"},
	"ApplicationDeleted":     {"application", "application", "deleted", "application", "configuration", "deletion"},
	"BlockCreated":           {"block", "block", "created", "block", "configuration", "creation"},
	"BlockModified":          {"block", "block", "modified", "block", "configuration", "change"},
	"BlockDeleted":           {"block", "block", "deleted", "block", "configuration", "deletion"},
	"DataModified":           {"block", "block", "modified", "block", "database", "change"},
	"ImportExecuted":         {"import", "import", "created", "block", "database", "change"},
	"ExportExecuted":         {"export", "export", "created", "block", "file", "access"},
}

// simFacts is what the simulator's own JSON says of an event, decoded with
// encoding/json: what the CIM and ECS fields must carry.
type simFacts struct {
	typ, outcome, actor, target, targetName, role, app, block, ip string
}

func decodeSimFacts(tb testing.TB, raw []byte) simFacts {
	tb.Helper()
	type body struct {
		Outcome, Status, IPAddress                          string
		TargetEmail, TargetMemberID, TargetName             string
		Email, ID, Name, UserEmail, UserID, UserName        string
		NewRole, NewAccountType, BlockName, ApplicationName string
	}
	var e struct {
		EventType string
		Actor     struct {
			Email string
			User  struct{ Email string }
		}
		Target, Context   struct{ ApplicationName, IPAddress string }
		Metadata, Payload body
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		tb.Fatal(err)
	}
	b := e.Metadata
	if e.Payload != (body{}) {
		b = e.Payload
	}
	outcome := strings.ToLower(cmp.Or(b.Outcome, b.Status))
	switch outcome {
	case "completed":
		outcome = "success"
	case "failed":
		outcome = "failure"
	}
	return simFacts{
		typ: e.EventType, outcome: outcome, actor: cmp.Or(e.Actor.Email, e.Actor.User.Email),
		target:     cmp.Or(b.TargetEmail, b.Email, b.UserEmail, b.TargetMemberID, b.ID, b.UserID),
		targetName: cmp.Or(b.TargetName, b.Name, b.UserName), role: cmp.Or(b.NewAccountType, b.NewRole),
		app:   cmp.Or(e.Target.ApplicationName, e.Context.ApplicationName, b.ApplicationName),
		block: b.BlockName, ip: cmp.Or(e.Context.IPAddress, b.IPAddress),
	}
}

// TestSimCategorisation: every event type the simulator emits, in both
// vocabularies, gets the CIM fields (HEC) and the ECS categorisation and
// target (ECS) of wantClasses, with the values its own JSON holds.
func TestSimCategorisation(t *testing.T) {
	seen := map[string]bool{}
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		for _, raw := range mustSimEvents(t, shape, 5000) {
			f := decodeSimFacts(t, raw)
			w, ok := wantClasses[f.typ]
			if !ok {
				t.Errorf("the simulator emits %s, which wantClasses lacks", f.typ)
				continue
			}
			seen[f.typ] = true
			ev, err := event.Parse(raw, event.KindEvent)
			if err != nil {
				t.Fatal(err)
			}
			checkCIM(t, &ev, f, w.changeType, w.objectCategory, w.action, w.object)
			checkECSClass(t, &ev, f, w.category, w.typ, w.object == "member")
		}
	}
	for typ := range wantClasses {
		if !seen[typ] {
			t.Errorf("the simulator emitted no %s event", typ)
		}
	}
}

// checkCIM checks the CIM fields of ev's HEC event against f and the
// expected class.
func checkCIM(t *testing.T, ev *event.Event, f simFacts, changeType, objectCategory, action, object string) {
	t.Helper()
	var h struct{ Fields map[string]string }
	if err := json.Unmarshal(AppendHEC(nil, ev, hecOpts), &h); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"vendor_product": "Pigment", "app": "pigment", "user": f.actor,
		"src": f.ip, "dest": f.app, "eventType": f.typ, "actor": f.actor, "application": f.app}
	switch {
	case action == "outcome":
		want["action"] = f.outcome
	case changeType != "":
		want["change_type"], want["object_category"], want["action"] = changeType, objectCategory, action
		want["status"] = "success" // a change the audit log records happened, unless it says it failed
		if f.outcome == "failure" {
			want["status"] = "failure"
		}
		want["src_user"] = f.actor
	}
	switch object {
	case "member":
		want["object"], want["user"] = f.target, f.target
	case "application":
		want["object"] = f.app
	case "block":
		want["object"] = f.block
	}
	for k, v := range want {
		if v == "" {
			delete(want, k)
		}
	}
	if !mapsEqual(h.Fields, want) {
		t.Errorf("AppendHEC(%s %s).fields = %v, want %v", f.typ, ev.ID, h.Fields, want)
	}
}

// checkECSClass checks the categorisation, target and related users of
// ev's ECS document against f.
func checkECSClass(t *testing.T, ev *event.Event, f simFacts, category, typ string, member bool) {
	t.Helper()
	var d struct {
		Event struct{ Category, Type []string }
		User  struct {
			Target struct {
				Email, Name string
				Roles       []string
			}
		}
		Related struct{ User []string }
	}
	if err := json.Unmarshal(AppendECS(nil, ev), &d); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Event.Category, ",") + " " + strings.Join(d.Event.Type, ","); got != category+" "+typ {
		t.Errorf("AppendECS(%s %s) category, type = %s, want %s %s", f.typ, ev.ID, got, category, typ)
	}
	wantTarget, wantName, wantRoles := "", "", []string(nil)
	if member {
		wantTarget, wantName = f.target, f.targetName
		if f.role != "" {
			wantRoles = []string{f.role}
		}
	}
	tg := d.User.Target
	if tg.Email != wantTarget || tg.Name != wantName || !slices.Equal(tg.Roles, wantRoles) {
		t.Errorf("AppendECS(%s %s) user.target = %+v, want email %q, name %q, roles %q", f.typ, ev.ID, tg, wantTarget, wantName, wantRoles)
	}
	for _, u := range []string{f.actor, wantTarget} {
		if u != "" && !slices.Contains(d.Related.User, u) {
			t.Errorf("AppendECS(%s %s) related.user = %q, want %q in it", f.typ, ev.ID, d.Related.User, u)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestEventClasses: the exported table agrees with wantClasses, sorted by
// type.
func TestEventClasses(t *testing.T) {
	classes := EventClasses()
	if !slices.IsSortedFunc(classes, func(a, b EventClass) int { return strings.Compare(a.Type, b.Type) }) {
		t.Errorf("EventClasses() not sorted by type")
	}
	got := map[string]EventClass{}
	for _, c := range classes {
		got[c.Type] = c
	}
	for typ, w := range wantClasses {
		model, action := "", w.action
		switch {
		case w.action == "outcome":
			model, action = "Authentication", ""
		case w.changeType != "":
			model = "Change"
		}
		want := EventClass{typ, model, w.changeType, w.objectCategory, action, strings.Split(w.category, ","), strings.Split(w.typ, ",")}
		if c := got[typ]; c.CIMModel != want.CIMModel || c.ChangeType != want.ChangeType || c.ObjectCategory != want.ObjectCategory ||
			c.Action != want.Action || !slices.Equal(c.ECSCategory, want.ECSCategory) || !slices.Equal(c.ECSType, want.ECSType) {
			t.Errorf("EventClasses()[%s] = %+v, want %+v", typ, c, want)
		}
	}
}
