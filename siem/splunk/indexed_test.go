package splunkapp

import (
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// indexedSourcetypes are the sourcetypes whose HEC events carry the
// indexed fields (events and alerts both get them).
var indexedSourcetypes = []string{transform.DefaultHECSourcetype, transform.DefaultHECAlertSourcetype}

// TestIndexedFieldsDeclared checks that fields.conf declares every field
// forward sends in HEC's "fields" as INDEXED, for each sourcetype that
// carries them: values such as change_type=AAA or action=created are not
// in the raw event, and Splunk finds field=value on an indexed field only
// when fields.conf says so.
func TestIndexedFieldsDeclared(t *testing.T) {
	c := mustConf(t, "default/fields.conf")
	for _, st := range indexedSourcetypes {
		for _, f := range transform.HECFields() {
			name := "sourcetype::" + st + "::" + f
			s := c.stanza(name)
			if s == nil || s.get("INDEXED") != "true" {
				t.Errorf("fields.conf: [%s] INDEXED = true is missing", name)
			}
		}
	}
	if n, want := len(c.stanzas), len(indexedSourcetypes)*len(transform.HECFields()); n != want {
		t.Errorf("fields.conf has %d stanzas, want one per indexed field and sourcetype (%d)", n, want)
	}
}

// TestIndexedFieldsScoped checks that every fields.conf stanza is scoped to
// the app's sourcetypes. fields.conf applies by field name: an unscoped
// [user] INDEXED = true makes Splunk look user=bob up as the indexed term
// user::bob in every sourcetype, so the search-time user (src, dest,
// action, status, app, object, ...) of every other add-on is no longer
// found (fields.conf.spec: "Do not create indexed fields with names that
// collide with names of fields that are extracted at search time").
func TestIndexedFieldsScoped(t *testing.T) {
	c := mustConf(t, "default/fields.conf")
	for _, s := range c.stanzas {
		scoped := false
		for _, st := range indexedSourcetypes {
			scoped = scoped || strings.HasPrefix(s.name, "sourcetype::"+st+"::")
		}
		if !scoped {
			t.Errorf("fields.conf [%s] is not scoped to a Pigment sourcetype ([sourcetype::%s::%s])", s.name, indexedSourcetypes[0], s.name)
		}
	}
}
