package kibana

// The KQL filters the panels share. Event types are the same in both of
// Pigment's vocabularies where both are listed.
const (
	qEvents       = `event.kind : "event"`
	qAlerts       = `event.kind : "alert"`
	qLogins       = `event.action : "UserLoggedIn"`
	qFailedLogins = `event.action : "UserLoggedIn" and event.outcome : "failure"`
	qChanges      = `event.action : ("BlockCreated" or "BlockModified" or "BlockDeleted" or "ApplicationCreated" or "ApplicationDeleted")`
	qActive       = `event.action : "UserLoggedIn" and not event.outcome : "failure"`
	qDataOps      = `event.action : ("ImportExecuted" or "ExportExecuted") and (event.outcome : ("success" or "failure") or pigment.event.metadata.status : * or pigment.event.payload.status : *)`
	qDataOpErrors = `event.action : ("ImportExecuted" or "ExportExecuted") and (event.outcome : "failure" or pigment.event.metadata.status : "Failed" or pigment.event.payload.status : "Failed")`
	// qKPIDaily are the inventory's daily records of the Metadata KPIs in
	// the last 2 days: none means the inventory does not run (or its
	// alerts do not reach Elasticsearch).
	qKPIDaily     = `rule.name : "kpi-daily" and pigment.alert.kpi : ("avg_dimensions_per_metric" or "large_applications" or "naming_violations") and @timestamp >= "now-2d"`
	qKPIAlerts    = `event.kind : "alert" and rule.name : ("kpi-target" or "daily-changes" or "security-events" or "naming-violation" or "complex-metric" or "large-application" or "inventory-drift")`
	qRoleChanges  = `event.action : ("RoleChanged" or "UserAccountTypeUpdated")`
	qAPIKeys      = `event.action : ("APIKeyCreated" or "APIKeyRevoked")`
	qDeactivation = `event.action : ("MemberDeactivated" or "UserDeactivated" or "UserReactivated")`
	qAfterDeact   = `event.kind : "alert" and rule.name : "deactivated-activity"`
)

// runtimeFields are read from the original event and alert (see
// runtimeField).
var runtimeFields = []runtimeField{
	{"pigment_application_name", "pigment.application.name", "", ""},
	{"pigment_alert_severity", "pigment.alert.severity", "", ""},
	{"pigment_alert_title", "pigment.alert.title", "", ""},
	{"pigment_alert_evidence", "pigment.alert.evidence", "", ""},
	// The KPI fields of internal/kpi's alerts (README, "Alerts").
	{"pigment_kpi", "pigment.alert.kpi", "", ""},
	{"pigment_kpi_value", "pigment.alert.value", "double", ""},
	{"pigment_kpi_target", "pigment.alert.target", "double", ""},
	{"pigment_kpi_status", "pigment.alert.status", "", ""},
	{"pigment_kpi_past_target", "pigment.alert.status", "long", "breached"},
}

// panel places a visualisation (or saved search) on a 48-column grid.
type panel struct {
	obj        object
	x, y, w, h int
}

// dashboard is one dashboard and the objects its panels show.
type dashboard struct {
	id, title, description string
	panels                 []panel
	// links are URL drilldowns on a value click, by panel object id: a URL
	// template ({{event.value}} is the value clicked). Kibana offers them
	// with a Gold licence or above; below, a click filters as usual.
	links map[string]string
}

// discoverEvent is a URL drilldown opening Discover on the event whose id
// was clicked, over the last 180 days (Pigment's retention).
const discoverEvent = "{{kibanaUrl}}/app/discover#/?_g=(time:(from:now-180d,to:now))" +
	"&_a=(index:'" + DataViewID + "',query:(language:kuery,query:'event.id : \"{{event.value}}\"'))"

// drilldown is the panel enhancement of a URL drilldown to url.
func drilldown(panelIndex, url string) map[string]any {
	return map[string]any{"dynamicActions": map[string]any{"events": []any{map[string]any{
		"eventId": panelIndex + "-drilldown", "triggers": []string{"VALUE_CLICK_TRIGGER"},
		"action": map[string]any{"factoryId": "URL_DRILLDOWN", "name": "Open the event in Discover",
			"config": map[string]any{"url": map[string]any{"template": url}, "openInNewTab": true, "encodeUrl": true}},
	}}}}
}

func (d dashboard) object() object {
	panels, refs := []any{}, []reference{}
	for i, p := range d.panels {
		idx := d.id + "-" + itoa(i+1)
		enhancements := map[string]any{}
		if url := d.links[p.obj.ID]; url != "" {
			enhancements = drilldown(idx, url)
		}
		panels = append(panels, map[string]any{
			"version": "8.9.0", "type": p.obj.Type, "panelIndex": idx, "panelRefName": "panel_" + idx,
			"gridData":         map[string]any{"x": p.x, "y": p.y, "w": p.w, "h": p.h, "i": idx},
			"embeddableConfig": map[string]any{"enhancements": enhancements},
		})
		refs = append(refs, reference{Type: p.obj.Type, ID: p.obj.ID, Name: idx + ":panel_" + idx})
	}
	return object{
		Type: "dashboard", ID: d.id,
		Attributes: map[string]any{
			"title": d.title, "description": d.description, "version": 1,
			"panelsJSON":  jsonString(panels),
			"optionsJSON": jsonString(map[string]any{"useMargins": true, "syncColors": false, "syncCursor": true, "syncTooltips": false, "hidePanelTitles": false}),
			"timeRestore": true, "timeFrom": "now-7d", "timeTo": "now",
			"refreshInterval": map[string]any{"pause": true, "value": 60000},
			"kibanaSavedObjectMeta": map[string]any{
				"searchSourceJSON": jsonString(map[string]any{"query": kql(""), "filter": []any{}}),
			},
		},
		References:           refs,
		CoreMigrationVersion: coreMigration, TypeMigrationVersion: dashboardMigration,
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// savedSearch is a Discover search on the data view, shown as a table.
func savedSearch(id, title, query string, columns []string) object {
	return object{
		Type: "search", ID: id,
		Attributes: map[string]any{
			"title": title, "description": "", "columns": columns,
			"sort": []any{[]string{"@timestamp", "desc"}}, "hideChart": false,
			"kibanaSavedObjectMeta": map[string]any{"searchSourceJSON": jsonString(map[string]any{
				"query": kql(query), "filter": []any{},
				"indexRefName": "kibanaSavedObjectMeta.searchSourceJSON.index",
			})},
		},
		References: []reference{{Type: "index-pattern", ID: DataViewID,
			Name: "kibanaSavedObjectMeta.searchSourceJSON.index"}},
		CoreMigrationVersion: coreMigration, TypeMigrationVersion: searchMigration,
	}
}

// overTime is a stacked bar chart of count per interval, split by field.
func overTime(id, title, query, interval, field string, size int) object {
	return lens{id: id, title: title, visType: "lnsXY", query: query,
		columns: []column{dateHistogram("x", interval), terms("split", field, field, size, "y"), count("y", "Count", "")},
		vis:     xy("bar_stacked", "x", "y", "split")}.object()
}

// top is a table of the most frequent values of fields, with their count.
func top(id, title, query string, size int, fields ...string) object {
	cols, ids := []column{}, []string{}
	for i, f := range fields {
		c := terms("t"+itoa(i+1), f, f, size, "n")
		cols, ids = append(cols, c), append(ids, c.id)
	}
	cols = append(cols, count("n", "Count", ""))
	return lens{id: id, title: title, visType: "lnsDatatable", query: query, columns: cols,
		vis: table(append(ids, "n")...)}.object()
}

// share is a donut of count by the values of field.
func share(id, title, query, field string, size int) object {
	return lens{id: id, title: title, visType: "lnsPie", query: query,
		columns: []column{terms("g", field, field, size, "n"), count("n", "Count", "")},
		vis:     pie("g", "n")}.object()
}

// dashboards are the four dashboards, in import order after the data view.
func dashboards() []dashboard {
	return []dashboard{overview(), access(), reliability(), alerts()}
}

func overview() dashboard {
	return dashboard{id: "pigment-siem-overview", title: "Pigment: Overview",
		description: "Pigment audit events: volume over time, by type, the most active members and applications.",
		panels: []panel{
			{overTime("pigment-siem-events-over-time", "Events over time by category", qEvents, "auto", "event.category", 10), 0, 0, 48, 12},
			{share("pigment-siem-events-by-type", "Events by type", qEvents, "event.action", 25), 0, 12, 16, 15},
			{top("pigment-siem-top-members", "Top members", qEvents, 15, "user.email"), 16, 12, 16, 15},
			{top("pigment-siem-top-applications", "Top applications", qEvents, 15, "pigment_application_name"), 32, 12, 16, 15},
			{overTime("pigment-siem-outcomes-over-time", "Outcomes over time", qEvents, "auto", "event.outcome", 3), 0, 27, 48, 10},
		}}
}

func access() dashboard {
	return dashboard{id: "pigment-siem-access", title: "Pigment: Access and privileges",
		description: "Logins and failed logins, account-type and role changes, API keys, deactivations and activity after deactivation (the deactivated-activity alerts of detect).",
		panels: []panel{
			{overTime("pigment-siem-logins-by-hour", "Logins by hour and outcome", qLogins, "1h", "event.outcome", 3), 0, 0, 32, 12},
			{top("pigment-siem-failed-logins", "Failed logins by member and country", qFailedLogins, 20, "user.email", "source.geo.country_iso_code"), 32, 0, 16, 12},
			{top("pigment-siem-role-changes", "Account-type and role changes", qRoleChanges, 50, "user.email", "user.target.email", "user.target.roles"), 0, 12, 24, 14},
			{overTime("pigment-siem-api-keys", "API keys created and revoked", qAPIKeys, "1d", "event.action", 2), 24, 12, 24, 14},
			{top("pigment-siem-deactivations", "Deactivations and reactivations", qDeactivation, 50, "event.action", "user.target.email", "user.email"), 0, 26, 24, 14},
			{top("pigment-siem-after-deactivation", "Activity after deactivation", qAfterDeact, 50, "user.email", "user.id"), 24, 26, 24, 14},
		}}
}

func reliability() dashboard {
	return dashboard{id: "pigment-siem-reliability", title: "Pigment: Reliability KPIs",
		description: "The reliability KPIs (README, KPIs), each beside its target and red past it, over the dashboard's time range (7 days by default): " +
			"failed logins (< 5% of attempts), API error rate (failed imports and exports, < 1%), block and application changes against the mean of the four weeks before (< 120%), active members (watch the trend). " +
			"The Metadata KPIs (dimensions per metric, large applications, naming violations) are the latest the inventory sent (its kpi-daily records, one per KPI and ended UTC day) in the last 2 days, red past their target; " +
			"an empty table means no record arrived in those 2 days: the KPIs need the inventory. Its breaches and findings are listed below.",
		panels: []panel{
			{kpi("pigment-siem-kpi-failed-logins", "Failed logins, share of attempts (target < 5%)",
				ratio("m", "Failed logins", qFailedLogins, qLogins), 0.05), 0, 0, 12, 8},
			{kpi("pigment-siem-kpi-api-errors", "API error rate: failed imports and exports (target < 1%)",
				ratio("m", "API error rate", qDataOpErrors, qDataOps), 0.01), 12, 0, 12, 8},
			{kpi("pigment-siem-kpi-change-volume", "Changes against the mean of the 4 weeks before (target < 120%)",
				ratio("m", "Change volume", qChanges, qChanges, "1w", "2w", "3w", "4w"), 1.2), 24, 0, 12, 8},
			{kpi("pigment-siem-kpi-active-members", "Active members (watch the trend)",
				[]column{uniqueCount("m", "Active members", "user.id", qActive)}, 0), 36, 0, 12, 8},
			{inventoryKPIs(), 0, 8, 48, 9},
			{lens{id: "pigment-siem-kpi-daily-active", title: "Daily active members", visType: "lnsXY", query: qActive,
				columns: []column{dateHistogram("x", "1d"), uniqueCount("y", "Active members", "user.id", "")},
				vis:     xy("line", "x", "y", "")}.object(), 0, 17, 24, 12},
			{lens{id: "pigment-siem-kpi-weekly-changes", title: "Weekly block and application changes", visType: "lnsXY", query: qChanges,
				columns: []column{dateHistogram("x", "1w"), count("y", "Changes", "")},
				vis:     xy("bar_stacked", "x", "y", "")}.object(), 24, 17, 24, 12},
			{lens{id: "pigment-siem-kpi-failed-share", title: "Failed logins per day, share of attempts (target < 5%)", visType: "lnsXY", query: qLogins,
				columns: append([]column{dateHistogram("x", "1d")}, ratio("y", "Failed logins", qFailedLogins, qLogins)...),
				vis:     xy("line", "x", "y", "")}.object(), 0, 29, 24, 12},
			{top("pigment-siem-kpi-alerts", "KPI alerts and inventory findings", qKPIAlerts, 50, "rule.name", "pigment_alert_title"), 24, 29, 24, 12},
		}}
}

// inventoryKPIs is the table of the Metadata KPIs: for each, the value,
// target and status of its newest kpi-daily record, the Past target
// column red when breached (1).
func inventoryKPIs() object {
	cols := []column{terms("k", "KPI", "pigment_kpi", 10, "v"),
		lastValue("v", "Value", "pigment_kpi_value", "number"),
		lastValue("t", "Target", "pigment_kpi_target", "number"),
		lastValue("s", "Status", "pigment_kpi_status", "string"),
		lastValue("p", "Past target", "pigment_kpi_past_target", "number")}
	vis := table("k", "v", "t", "s", "p")
	past := vis["columns"].([]any)[4].(map[string]any)
	past["colorMode"], past["palette"] = "cell", targetPalette(0.5)
	return lens{id: "pigment-siem-kpi-inventory", title: "Metadata KPIs from the inventory, latest of the last 2 days (empty: needs inventory)",
		visType: "lnsDatatable", query: qKPIDaily, columns: cols, vis: vis}.object()
}

// kpi is a metric visualisation of one KPI, green up to target and red
// past it (no colour without a target).
func kpi(id, title string, cols []column, target float64) object {
	return lens{id: id, title: title, visType: "lnsMetric", columns: cols, vis: metric(cols[len(cols)-1].id, target)}.object()
}

func alerts() dashboard {
	return dashboard{id: "pigment-siem-alerts", title: "Pigment: Alerts",
		description: "Alerts of pigment-siem detect by rule, severity and member; the tables list each alert with its evidence event IDs, each opening the event in Discover (a URL drilldown: Gold licence or above; else search event.id).",
		links:       map[string]string{"pigment-siem-alert-evidence": discoverEvent},
		panels: []panel{
			{share("pigment-siem-alerts-by-severity", "Alerts by severity", qAlerts, "pigment_alert_severity", 4), 32, 0, 16, 12},
			{top("pigment-siem-alerts-by-member", "Alerts by member and rule", qAlerts, 25, "user.email", "rule.name"), 0, 12, 24, 14},
			{overTime("pigment-siem-alerts-by-rule", "Alerts over time by rule", qAlerts, "auto", "rule.name", 15), 0, 0, 32, 12},
			{top("pigment-siem-alerts-by-technique", "Alerts by MITRE technique", qAlerts, 15, "threat.technique.id"), 24, 12, 24, 14},
			{top("pigment-siem-alert-evidence", "Evidence event IDs (click one to open the event)", qAlerts, 100, "pigment_alert_evidence"), 0, 26, 16, 16},
			{savedSearch("pigment-siem-alert-list", "Pigment alerts with evidence", qAlerts,
				[]string{"rule.name", "pigment_alert_severity", "user.email", "pigment_alert_title", "pigment_alert_evidence"}), 16, 26, 32, 16},
		}}
}

// objects returns every saved object, each after those it references.
func objects() []object {
	objs := []object{dataView(runtimeFields)}
	for _, d := range dashboards() {
		for _, p := range d.panels {
			objs = append(objs, p.obj)
		}
		objs = append(objs, d.object())
	}
	return objs
}

// Render returns the ndjson the description produces (pigment.ndjson is
// its committed copy).
func Render() []byte { return render(objects()) }
