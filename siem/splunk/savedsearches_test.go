package splunkapp

import (
	"regexp"
	"strings"
	"testing"
)

// comparedNumber finds a threshold written into a search instead of a
// macro: an order comparison with a number other than zero (x > 0 guards a
// division; flag=1 is no threshold).
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

var comparedNumber = regexp.MustCompile(`[<>]=?\s*(?:[1-9]|0\.[0-9])`)

// TestSavedSearches checks the threshold alerts: shipped disabled, scheduled,
// and comparing only with threshold macros, every one of which is used.
func TestSavedSearches(t *testing.T) {
	macros := appMacros(t)
	used := map[string]bool{}
	saved := mustConf(t, "default/savedsearches.conf")
	if len(saved.stanzas) != 3 {
		t.Errorf("savedsearches.conf has %d searches, want the 3 threshold alerts", len(saved.stanzas))
	}
	for _, s := range saved.stanzas {
		for key, want := range map[string]string{"disabled": "1", "enableSched": "1", "counttype": "number of events", "relation": "greater than", "quantity": "0"} {
			if got := s.get(key); got != want {
				t.Errorf("[%s] %s = %q, want %q", s.name, key, got, want)
			}
		}
		for _, key := range []string{"cron_schedule", "dispatch.earliest_time", "dispatch.latest_time", "description"} {
			if s.get(key) == "" {
				t.Errorf("[%s] has no %s", s.name, key)
			}
		}
		q, err := expandMacros(s.get("search"), macros)
		if err != nil {
			t.Errorf("[%s]: %v", s.name, err)
			continue
		}
		if m := comparedNumber.FindString(quoted.ReplaceAllString(withoutThresholds(s.get("search"), macros, used), `""`)); m != "" {
			t.Errorf("[%s] compares with a number (%q): make the threshold a macro", s.name, m)
		}
		if !strings.Contains(q, `sourcetype="pigment:audit"`) {
			t.Errorf("[%s] does not search the pigment:audit events", s.name)
		}
	}
	for name := range macros {
		if strings.HasSuffix(name, "_threshold") && !used[name] {
			t.Errorf("threshold macro %s is used by no saved search", name)
		}
	}
}

// withoutThresholds expands q's macros, except the ones whose definition is
// a bare number (thresholds and targets), which it records as used and
// replaces by a name, so only numbers written into a search remain.
func withoutThresholds(q string, macros map[string]string, used map[string]bool) string {
	number := regexp.MustCompile(`^[0-9.]+$`)
	for range 10 {
		q = macroRef.ReplaceAllStringFunc(q, func(m string) string {
			name := m[1 : len(m)-1]
			if number.MatchString(macros[name]) {
				used[name] = true
				return name
			}
			return macros[name]
		})
	}
	return q
}

// TestAppConf checks the app's identity against the package layout.
func TestAppConf(t *testing.T) {
	app := mustConf(t, "default/app.conf")
	for _, c := range []struct{ stanza, key, want string }{
		{"package", "id", appDir},
		{"install", "state", "enabled"},
		{"ui", "is_visible", "true"},
	} {
		if got := app.stanza(c.stanza).get(c.key); got != c.want {
			t.Errorf("app.conf [%s] %s = %q, want %q", c.stanza, c.key, got, c.want)
		}
	}
	if v := app.stanza("launcher").get("version"); !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(v) {
		t.Errorf("app.conf [launcher] version = %q, want major.minor.patch", v)
	}
	meta := mustConf(t, "metadata/default.meta")
	for _, kind := range []string{"eventtypes", "tags", "props", "macros"} {
		if got := meta.stanza(kind).get("export"); got != "system" {
			t.Errorf("default.meta [%s] export = %q, want system (CIM data models read them from other apps)", kind, got)
		}
	}
}
