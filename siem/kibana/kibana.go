// Package kibana holds the Kibana saved objects shipped with pigment-siem: a
// data view on the Pigment data streams and four dashboards (Overview;
// Access and privileges; Reliability KPIs; Alerts) made of Lens
// visualisations and one saved search.
//
// The objects are described in Go (dashboards.go) and rendered into
// pigment.ndjson, in the format Kibana 8.x exports, so the file a team
// imports by hand and the one `forward setup` imports are the same bytes.
// `go generate ./siem/kibana` (go test -update) rewrites the file; the
// test fails when the file and the description disagree. Every id is
// fixed, so importing again with overwrite replaces the objects instead of
// adding copies.
package kibana

//go:generate go test -run TestNDJSONInSync -update .

import (
	_ "embed"
	"slices"
)

// FileName is the name the ndjson is imported under (Kibana's import API
// wants a file name ending .ndjson).
const FileName = "pigment.ndjson"

//go:embed pigment.ndjson
var savedObjects []byte

// SavedObjects returns the ndjson of every saved object, one per line,
// objects before the ones that reference them.
func SavedObjects() []byte { return slices.Clone(savedObjects) }

// DataViewID is the id of the data view every visualisation uses.
const DataViewID = "pigment-siem-audit"

// DataViewPattern is the data view's index pattern: the data streams the
// index template of forward setup covers (events and alerts).
const DataViewPattern = "logs-pigment.audit-*,logs-pigment.alert-*"
