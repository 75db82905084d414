package splunkapp

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/pigmentsim"
)

// eventtypeMatcher is an eventtypes.conf search reduced to what it may
// contain: one sourcetype and, optionally, a disjunction of eventType terms.
type eventtypeMatcher struct {
	sourcetype string
	types      []string // empty: every event of the sourcetype
}

var (
	eventtypeSearch = regexp.MustCompile(`^sourcetype="([^"]+)"(?: \((.+)\))?$`)
	eventtypeTerm   = regexp.MustCompile(`^eventType="([^"]+)"$`)
)

// parseEventtype parses an eventtype search strictly: anything beyond
// `sourcetype="x" (eventType="a" OR eventType="b" ...)` is refused, so the
// evaluation below is what Splunk does.
func parseEventtype(search string) (eventtypeMatcher, error) {
	m := eventtypeSearch.FindStringSubmatch(search)
	if m == nil {
		return eventtypeMatcher{}, fmt.Errorf("search %q is not sourcetype=\"...\" (eventType=\"...\" OR ...)", search)
	}
	et := eventtypeMatcher{sourcetype: m[1]}
	if m[2] == "" {
		return et, nil
	}
	for _, term := range strings.Split(m[2], " OR ") {
		tm := eventtypeTerm.FindStringSubmatch(term)
		if tm == nil {
			return eventtypeMatcher{}, fmt.Errorf("term %q in %q is not eventType=\"...\"", term, search)
		}
		et.types = append(et.types, tm[1])
	}
	return et, nil
}

func (m eventtypeMatcher) matches(sourcetype, eventType string) bool {
	return m.sourcetype == sourcetype && (len(m.types) == 0 || slices.Contains(m.types, eventType))
}

// wantTags is the CIM mapping of every event type of both vocabularies
// (described, then public name where they differ). A type the simulator
// starts emitting fails the test until it is mapped here and in the app.
var wantTags = map[string][]string{
	"UserLoggedIn":           {"authentication"},
	"UserLoggedOut":          {"authentication"},
	"MemberInvited":          {"account", "change"},
	"UserInvited":            {"account", "change"},
	"MemberDeactivated":      {"account", "change"},
	"UserDeactivated":        {"account", "change"},
	"UserReactivated":        {"account", "change"},
	"UserPasswordChanged":    {"account", "change"},
	"RoleChanged":            {"account", "change"},
	"UserAccountTypeUpdated": {"account", "change"},
	"AccessRightsChanged":    {"audit", "change"},
	"PermissionsChanged":     {"audit", "change"},
	"GroupCreated":           {"audit", "change"},
	"GroupModified":          {"audit", "change"},
	"APIKeyCreated":          {"audit", "change"},
	"APIKeyRevoked":          {"audit", "change"},
	"SupportSessionStarted":  {"audit", "change"},
	"ApplicationCreated":     {"audit", "change"},
	"ApplicationDeleted":     {"audit", "change"},
	"BlockCreated":           {"audit", "change"},
	"BlockModified":          {"audit", "change"},
	"BlockDeleted":           {"audit", "change"},
	"DataModified":           {"audit", "change"},
	"ImportExecuted":         {"audit", "change"},
	"ExportExecuted":         {"audit", "change"},
	"ApplicationAccessed":    {"access", "data"},
}

// appEventtypes returns the app's event types with their parsed searches and
// their tags (sorted).
func appEventtypes(tb testing.TB) (map[string]eventtypeMatcher, map[string][]string) {
	tb.Helper()
	types := mustConf(tb, "default/eventtypes.conf")
	tagsConf := mustConf(tb, "default/tags.conf")
	matchers := map[string]eventtypeMatcher{}
	tags := map[string][]string{}
	for _, s := range types.stanzas {
		m, err := parseEventtype(s.get("search"))
		if err != nil {
			tb.Fatalf("eventtypes.conf [%s]: %v", s.name, err)
		}
		matchers[s.name] = m
		ts := tagsConf.stanza("eventtype=" + s.name)
		if ts == nil {
			tb.Errorf("tags.conf has no [eventtype=%s]", s.name)
			continue
		}
		for _, k := range ts.keys {
			if ts.get(k) != "enabled" {
				tb.Errorf("tags.conf [eventtype=%s] %s = %q, want enabled", s.name, k, ts.get(k))
			}
			tags[s.name] = append(tags[s.name], k)
		}
		slices.Sort(tags[s.name])
	}
	for _, s := range tagsConf.stanzas {
		if _, ok := matchers[strings.TrimPrefix(s.name, "eventtype=")]; !ok {
			tb.Errorf("tags.conf [%s] names no event type of eventtypes.conf", s.name)
		}
	}
	return matchers, tags
}

// matching returns the event types whose search matches the event.
func matching(matchers map[string]eventtypeMatcher, sourcetype, eventType string) []string {
	var names []string
	for _, name := range slices.Sorted(maps.Keys(matchers)) {
		if matchers[name].matches(sourcetype, eventType) {
			names = append(names, name)
		}
	}
	return names
}

// TestEveryEventTypeInOneEventtype checks every event type the simulator
// emits, in both vocabularies, against the app's event types: exactly one
// matches, and its tags are the CIM ones.
func TestEveryEventTypeInOneEventtype(t *testing.T) {
	matchers, tags := appEventtypes(t)
	seen := map[string]bool{}
	for _, shape := range []string{pigmentsim.ShapeDescribed, pigmentsim.ShapePublic} {
		for typ := range simEventTypes(t, shape) {
			seen[typ] = true
			want, ok := wantTags[typ]
			if !ok {
				t.Errorf("the simulator emits %s (%s), which wantTags does not map", typ, shape)
				continue
			}
			got := matching(matchers, "pigment:audit", typ)
			if len(got) != 1 {
				t.Errorf("%s (%s) matches event types %q, want exactly one", typ, shape, got)
				continue
			}
			if !slices.Equal(tags[got[0]], want) {
				t.Errorf("%s is in %s tagged %q, want %q", typ, got[0], tags[got[0]], want)
			}
		}
	}
	for typ := range wantTags {
		if !seen[typ] {
			t.Errorf("wantTags maps %s, which the simulator never emitted in %d events per vocabulary", typ, simEventCount)
		}
	}
	alerts := matching(matchers, "pigment:alert", "")
	if len(alerts) != 1 || !slices.Equal(tags[alerts[0]], []string{"alert"}) {
		t.Errorf("pigment:alert matches %q, want one event type tagged alert", alerts)
	}
	if got := matching(matchers, "pigment:audit", "SomethingNew"); len(got) != 0 {
		t.Errorf("an unknown event type matches %q, want none", got)
	}
}

func TestParseEventtypeRefuses(t *testing.T) {
	for _, search := range []string{
		`sourcetype=pigment:audit`,
		`sourcetype="pigment:audit" eventType="UserLoggedIn"`,
		`sourcetype="pigment:audit" (eventType="A" AND eventType="B")`,
		`sourcetype="pigment:audit" (eventType="A" OR action="failure")`,
		`index=main sourcetype="pigment:audit"`,
	} {
		if _, err := parseEventtype(search); err == nil {
			t.Errorf("parseEventtype(%s) accepted it, want an error", search)
		}
	}
}
