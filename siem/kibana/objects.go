package kibana

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The migration versions of the objects, as Kibana 8.x exports them. An
// import into a later 8.x migrates them forward; an older Kibana refuses
// them (8.9 is the oldest that reads every one).
const (
	coreMigration      = "8.8.0"
	dataViewMigration  = "8.0.0"
	lensMigration      = "8.9.0"
	searchMigration    = "8.0.0"
	dashboardMigration = "8.9.0"
	// layerID is the one layer of every visualisation here.
	layerID = "layer1"
)

// object is one saved object as the export API writes it.
type object struct {
	Type                 string         `json:"type"`
	ID                   string         `json:"id"`
	Attributes           map[string]any `json:"attributes"`
	References           []reference    `json:"references"`
	CoreMigrationVersion string         `json:"coreMigrationVersion"`
	TypeMigrationVersion string         `json:"typeMigrationVersion"`
	Managed              bool           `json:"managed"`
}

// reference names another saved object.
type reference struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Name string `json:"name"`
}

// jsonString renders v as the JSON string Kibana keeps in attributes such
// as panelsJSON and searchSourceJSON.
func jsonString(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("kibana: %v", err)) // only maps and slices built here
	}
	return string(b)
}

// render writes objects as ndjson, one per line. encoding/json sorts map
// keys, so the bytes depend only on the description.
func render(objs []object) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, o := range objs {
		if err := enc.Encode(o); err != nil {
			panic(fmt.Sprintf("kibana: %s %s: %v", o.Type, o.ID, err))
		}
	}
	return buf.Bytes()
}

// runtimeField is a data view runtime field read from the original event
// kept under the flattened pigment field (whose keys Lens cannot
// aggregate on: field capabilities list only the flattened root).
type runtimeField struct {
	name, path string
	// typ is keyword (every value as text, the default), double (the
	// numbers at path), or long with equals set: 1 when the value at path
	// is equals, else 0 (a status Lens can colour).
	typ, equals string
}

// kind is the runtime field's type in the data view.
func (r runtimeField) kind() string {
	if r.typ == "" {
		return "keyword"
	}
	return r.typ
}

// painless emits every value at path ("pigment.application.name") of the
// document's _source, as its kind: keywords, numbers, or 1/0 flags.
func (r runtimeField) painless() string {
	emit := "if (v instanceof List) { for (def x : v) { if (x != null) { emit(x.toString()); } } } " +
		"else if (v != null) { emit(v.toString()); }"
	switch r.kind() {
	case "double":
		emit = "if (v instanceof Number) { emit(((Number) v).doubleValue()); }"
	case "long":
		emit = "if (v != null) { emit('" + r.equals + "'.equals(v.toString()) ? 1L : 0L); }"
	}
	return "def v = params._source; for (String k : '" + r.path + "'.splitOnToken('.')) " +
		"{ if (!(v instanceof Map)) { return; } v = v.get(k); } " + emit
}

// dataView is the index-pattern object every visualisation references.
func dataView(fields []runtimeField) object {
	rt := map[string]any{}
	for _, f := range fields {
		rt[f.name] = map[string]any{"type": f.kind(), "script": map[string]any{"source": f.painless()}}
	}
	return object{
		Type: "index-pattern", ID: DataViewID,
		Attributes: map[string]any{
			"title": DataViewPattern, "name": "Pigment audit events and alerts",
			"timeFieldName": "@timestamp", "allowNoIndex": true,
			"runtimeFieldMap": jsonString(rt), "fieldFormatMap": "{}", "fieldAttrs": "{}", "fields": "[]",
			"sourceFilters": "[]", "typeMeta": "{}",
		},
		References:           []reference{},
		CoreMigrationVersion: coreMigration, TypeMigrationVersion: dataViewMigration,
	}
}

// kql is a query in the Kibana query language.
func kql(q string) map[string]any { return map[string]any{"query": q, "language": "kuery"} }

// column is one Lens column: its id and its definition.
type column struct {
	id  string
	def map[string]any
}

func dateHistogram(id, interval string) column {
	return column{id, map[string]any{
		"label": "@timestamp", "dataType": "date", "operationType": "date_histogram",
		"sourceField": "@timestamp", "isBucketed": true, "scale": "interval",
		"params": map[string]any{"interval": interval, "includeEmptyRows": true, "dropPartials": false},
	}}
}

// terms is the top size values of field, ordered by the column orderBy.
func terms(id, label, field string, size int, orderBy string) column {
	return column{id, map[string]any{
		"label": label, "customLabel": true, "dataType": "string", "operationType": "terms",
		"sourceField": field, "isBucketed": true, "scale": "ordinal",
		"params": map[string]any{
			"size": size, "orderBy": map[string]any{"type": "column", "columnId": orderBy},
			"orderDirection": "desc", "otherBucket": false, "missingBucket": false,
		},
	}}
}

// count counts documents, those matching filter when it is not empty.
func count(id, label, filter string) column {
	c := column{id, map[string]any{
		"label": label, "customLabel": true, "dataType": "number", "operationType": "count",
		"sourceField": "___records___", "isBucketed": false, "scale": "ratio",
		"params": map[string]any{"emptyAsNull": true},
	}}
	if filter != "" {
		c.def["filter"] = kql(filter)
	}
	return c
}

// uniqueCount counts distinct values of field, in the documents matching
// filter when it is not empty.
func uniqueCount(id, label, field, filter string) column {
	c := column{id, map[string]any{
		"label": label, "customLabel": true, "dataType": "number", "operationType": "unique_count",
		"sourceField": field, "isBucketed": false, "scale": "ratio",
		"params": map[string]any{"emptyAsNull": true},
	}}
	if filter != "" {
		c.def["filter"] = kql(filter)
	}
	return c
}

// lastValue is the value of field in the newest document (by @timestamp)
// of each bucket; dataType is number or string. No "field: *" filter (the
// one Lens's editor adds): a newest document without the field (a KPI not
// available) shows empty rather than an older value.
func lastValue(id, label, field, dataType string) column {
	scale := "ratio"
	if dataType != "number" {
		scale = "ordinal"
	}
	return column{id, map[string]any{
		"label": label, "customLabel": true, "dataType": dataType, "operationType": "last_value",
		"sourceField": field, "isBucketed": false, "scale": scale,
		"params": map[string]any{"sortField": "@timestamp", "showArrayValues": false},
	}}
}

// ratio is the Lens formula count(kql=num) / count(kql=den), or with
// shifts the mean of the den counts shifted by each ("1w", "2w": the
// weeks before), with the hidden columns Lens keeps for a formula: the
// counts and the math over them.
func ratio(id, label, num, den string, shifts ...string) []column {
	part := "Part of " + label
	n := count(id+"X0", part, num)
	cols := []column{n}
	var dens []string // the denominator's formula terms
	var sum any       // the tinymath AST of their sum
	if len(shifts) == 0 {
		shifts = []string{""}
	}
	for i, shift := range shifts {
		d := count(id+"X"+itoa(i+1), part, den)
		term := "count(kql='" + den + "')"
		if shift != "" {
			d.def["timeShift"] = shift
			term = "count(kql='" + den + "', shift='" + shift + "')"
		}
		cols, dens = append(cols, d), append(dens, term)
		if sum == nil {
			sum = d.id
		} else {
			sum = map[string]any{"type": "function", "name": "add", "args": []any{sum, d.id}}
		}
	}
	formula := "count(kql='" + num + "') / " + dens[0]
	if len(dens) > 1 {
		sum = map[string]any{"type": "function", "name": "divide", "args": []any{sum, len(dens)}}
		formula = "count(kql='" + num + "') / ((" + strings.Join(dens, " + ") + ") / " + itoa(len(dens)) + ")"
	}
	refs := make([]string, len(cols))
	for i, c := range cols {
		refs[i] = c.id
	}
	m := id + "X" + itoa(len(cols))
	math := column{m, map[string]any{
		"label": part, "customLabel": true, "dataType": "number", "operationType": "math",
		"isBucketed": false, "scale": "ratio", "references": refs,
		"params": map[string]any{"tinymathAst": map[string]any{
			"type": "function", "name": "divide", "args": []any{n.id, sum},
			"location": map[string]any{"min": 0, "max": len(formula)}, "text": formula,
		}},
	}}
	f := column{id, map[string]any{
		"label": label, "customLabel": true, "dataType": "number", "operationType": "formula",
		"isBucketed": false, "scale": "ratio", "references": []string{m},
		"params": map[string]any{"formula": formula, "isFormulaBroken": false,
			"format": map[string]any{"id": "percent", "params": map[string]any{"decimals": 1}}},
	}}
	return append(cols, math, f)
}

// lens is one Lens visualisation saved object on the data view.
type lens struct {
	id, title, description string
	visType                string // lnsXY, lnsPie, lnsDatatable, lnsMetric
	query                  string // KQL applied to the whole visualisation
	columns                []column
	vis                    map[string]any
}

func (l lens) object() object {
	cols, order := map[string]any{}, []string{}
	for _, c := range l.columns {
		cols[c.id] = c.def
		order = append(order, c.id)
	}
	return object{
		Type: "lens", ID: l.id,
		Attributes: map[string]any{
			"title": l.title, "description": l.description, "visualizationType": l.visType,
			"state": map[string]any{
				"visualization": l.vis,
				"query":         kql(l.query),
				"filters":       []any{},
				"datasourceStates": map[string]any{"formBased": map[string]any{"layers": map[string]any{
					layerID: map[string]any{"columns": cols, "columnOrder": order, "incompleteColumns": map[string]any{}},
				}}},
				"internalReferences": []any{},
				"adHocDataViews":     map[string]any{},
			},
		},
		References: []reference{{Type: "index-pattern", ID: DataViewID,
			Name: "indexpattern-datasource-layer-" + layerID}},
		CoreMigrationVersion: coreMigration, TypeMigrationVersion: lensMigration,
	}
}

// xy is an XY chart: x the bucket column, y the metric, split (optional)
// the breakdown; series is bar_stacked, line, bar_horizontal, ….
func xy(series, x, y, split string) map[string]any {
	layer := map[string]any{"layerId": layerID, "layerType": "data", "seriesType": series,
		"xAccessor": x, "accessors": []string{y}}
	if split != "" {
		layer["splitAccessor"] = split
	}
	return map[string]any{
		"legend": map[string]any{"isVisible": true, "position": "right"}, "valueLabels": "hide",
		"preferredSeriesType": series, "fittingFunction": "None", "layers": []any{layer},
	}
}

func pie(group, metric string) map[string]any {
	return map[string]any{"shape": "donut", "layers": []any{map[string]any{
		"layerId": layerID, "layerType": "data", "primaryGroups": []string{group}, "metrics": []string{metric},
		"numberDisplay": "percent", "categoryDisplay": "default", "legendDisplay": "default", "nestedLegend": false,
	}}}
}

func table(cols ...string) map[string]any {
	cs := []any{}
	for _, c := range cols {
		cs = append(cs, map[string]any{"columnId": c})
	}
	return map[string]any{"layerId": layerID, "layerType": "data", "columns": cs}
}

// metric shows one value; with a target, green up to it and red past it.
func metric(accessor string, target float64) map[string]any {
	m := map[string]any{"layerId": layerID, "layerType": "data", "metricAccessor": accessor}
	if target == 0 {
		return m
	}
	m["palette"] = targetPalette(target)
	return m
}

// targetPalette colours a number green up to target and red past it.
func targetPalette(target float64) map[string]any {
	const ok, bad = "#209280", "#cc5642"
	return map[string]any{"type": "palette", "name": "custom", "params": map[string]any{
		"name": "custom", "rangeType": "number", "rangeMin": nil, "rangeMax": nil, "progression": "fixed",
		"continuity": "all", "steps": 2, "reverse": false,
		"stops":      []any{map[string]any{"color": ok, "stop": target}, map[string]any{"color": bad, "stop": target * 1000}},
		"colorStops": []any{map[string]any{"color": ok, "stop": nil}, map[string]any{"color": bad, "stop": target}},
	}}
}
