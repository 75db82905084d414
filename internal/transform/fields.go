package transform

import (
	"slices"
	"strings"
)

// hecFields are the indexed fields AppendHEC may set (see AppendHEC and
// appendCIM), in the order it writes them.
var hecFields = [...]string{
	"vendor_product", "app", "eventType", "actor", "application",
	"user", "src", "dest", "action", "status", "change_type", "object_category", "object", "src_user",
}

// ecsFields are the fields AppendECS may set, as dotted paths to their
// values (arrays count as one value), in the order it writes them.
var ecsFields = [...]string{
	"@timestamp", "ecs.version",
	"event.kind", "event.id", "event.action", "event.category", "event.type", "event.outcome",
	"event.created", "event.ingested", "event.provider", "event.module", "event.dataset", "event.severity",
	"user.id", "user.email", "user.name",
	"user.target.id", "user.target.email", "user.target.name", "user.target.roles",
	"source.ip", "source.geo.country_iso_code", "related.user", "related.ip",
	"rule.name", "threat.framework", "threat.technique.id", "message",
	"pigment.application.id", "pigment.application.name", "pigment.event", "pigment.alert",
}

// HECFields returns the names of the indexed fields AppendHEC may set in a
// HEC event's "fields" (Splunk CIM fields among them). Splunk also extracts
// the original event's own JSON fields at search time (eventId,
// actor.email, metadata.outcome, ...): testdata/fields/hec.txt lists those
// the golden and simulator events carry.
func HECFields() []string { return slices.Clone(hecFields[:]) }

// ECSFields returns the fields AppendECS may set, as dotted paths (arrays
// count as one field). pigment.event and pigment.alert are the original
// record, mapped as one flattened field: testdata/fields/ecs.txt lists the
// keys under them that the golden and simulator events carry.
func ECSFields() []string { return slices.Clone(ecsFields[:]) }

// EventClass is how the formats categorise one event type (see classRows).
type EventClass struct {
	Type string // the event type, in either vocabulary

	// CIMModel is the Splunk CIM data model the type feeds:
	// "Authentication", "Change" or "" (neither).
	CIMModel string
	// ChangeType, ObjectCategory and Action are the CIM fields of a Change
	// (Action is created, deleted or modified; a login's action is its
	// outcome, so Action is "" for Authentication).
	ChangeType, ObjectCategory, Action string

	ECSCategory, ECSType []string // event.category and event.type
}

// EventClasses returns the categorisation of every event type the formats
// know, in both vocabularies, sorted by type. Other types get no CIM model
// and an ECS categorisation guessed from their names.
func EventClasses() []EventClass {
	out := make([]EventClass, 0, len(classes))
	for typ, c := range classes {
		out = append(out, EventClass{
			Type: typ, CIMModel: [...]string{cimNone: "", cimAuthentication: "Authentication", cimChange: "Change"}[c.model],
			ChangeType: c.changeType, ObjectCategory: c.objectCategory, Action: c.action,
			ECSCategory: jsonWords(c.ecs.category), ECSType: jsonWords(c.ecs.typ),
		})
	}
	slices.SortFunc(out, func(a, b EventClass) int { return strings.Compare(a.Type, b.Type) })
	return out
}

// jsonWords reads back a JSON array rendered by jsonArray.
func jsonWords(arr string) []string {
	return strings.Split(strings.Trim(arr, `[]"`), `","`)
}
