package splunkapp

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// TestIndexedFieldsDeclared checks that fields.conf declares every field
// forward sends in HEC's "fields" as INDEXED: values such as
// change_type=AAA or action=created are not in the raw event, and Splunk
// finds field=value on an indexed field only when fields.conf says so.
func TestIndexedFieldsDeclared(t *testing.T) {
	c := mustConf(t, "default/fields.conf")
	for _, f := range transform.HECFields() {
		s := c.stanza(f)
		if s == nil || s.get("INDEXED") != "true" {
			t.Errorf("fields.conf: [%s] INDEXED = true is missing", f)
		}
	}
	if n, want := len(c.stanzas), len(transform.HECFields()); n != want {
		t.Errorf("fields.conf has %d stanzas, want one per indexed field (%d)", n, want)
	}
}
