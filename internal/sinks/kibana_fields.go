package sinks

import (
	"encoding/json"
	"fmt"
	"sort"
)

// TemplateFields returns the fields the index template maps: its leaf
// fields, and apart the fields mapped as flattened, under which any key
// is searchable (pigment.event.metadata.outcome). Content that queries the
// data streams (the Kibana saved objects, the exported detection rules) is
// checked against it.
func TemplateFields() (leaves, flattened []string, err error) {
	var tpl struct {
		Template struct {
			Mappings struct {
				Properties map[string]any `json:"properties"`
			} `json:"mappings"`
		} `json:"template"`
	}
	if err := json.Unmarshal([]byte(indexTemplate), &tpl); err != nil {
		return nil, nil, fmt.Errorf("parse the index template: %w", err)
	}
	var walk func(prefix string, props map[string]any)
	walk = func(prefix string, props map[string]any) {
		for name, v := range props {
			m, _ := v.(map[string]any)
			if sub, ok := m["properties"].(map[string]any); ok {
				walk(prefix+name+".", sub)
				continue
			}
			leaves = append(leaves, prefix+name)
			if m["type"] == "flattened" {
				flattened = append(flattened, prefix+name)
			}
		}
	}
	walk("", tpl.Template.Mappings.Properties)
	sort.Strings(leaves)
	sort.Strings(flattened)
	return leaves, flattened, nil
}
