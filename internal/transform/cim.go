package transform

import (
	"cmp"

	"github.com/pigment-siem/pipeline/internal/event"
)

// The CIM fields every HEC event carries.
const (
	CIMVendorProduct = "Pigment" // vendor_product
	CIMApp           = "pigment" // app
)

// appendCIM appends, as JSON members each with its leading comma, the
// Splunk CIM fields of ev that depend on it (c is its row of classRows,
// nil for alerts and unknown types); empty ones are left out:
//
//	user             the actor (email, else ID); for member events the
//	                 member changed (email, else ID), absent if unnamed
//	src              the source IP address, when valid
//	dest             the application (name, else ID)
//	action           logins: the outcome (success, failure; absent when
//	                 unknown); changes: created, deleted, modified (read: an export)
//	status           changes: failure when the event says so, else success
//	                 (an audit log records changes that were made; CIM has
//	                 no "unknown" status)
//	change_type, object_category  changes: from classRows
//	object           changes: the member, application or block changed
//	src_user         changes: the actor (email, else ID)
//
// An unknown type gets only user, src and dest: its action and object
// cannot be known, and are not guessed.
func appendCIM(dst []byte, ev *event.Event, c *class) []byte {
	actor := cmp.Or(ev.ActorEmail, ev.ActorID)
	user := actor
	if c != nil && c.object == objMember {
		user = cmp.Or(ev.TargetEmail, ev.TargetID)
	}
	dst = appendMember(dst, `,"user":"`, user)
	if ip, ok := validIP(ev.SourceIP); ok {
		dst = append(dst, `,"src":"`...)
		dst = appendIP(dst, ip, ev.SourceIP)
		dst = append(dst, '"')
	}
	dst = appendMember(dst, `,"dest":"`, cmp.Or(ev.AppName, ev.AppID))
	switch {
	case c == nil:
	case c.model == cimAuthentication:
		dst = appendMember(dst, `,"action":"`, ev.Outcome)
	case c.model == cimChange:
		dst = appendMember(dst, `,"action":"`, c.action)
		if ev.Outcome == "failure" {
			dst = append(dst, `,"status":"failure"`...)
		} else {
			dst = append(dst, `,"status":"success"`...)
		}
		dst = appendMember(dst, `,"change_type":"`, c.changeType)
		dst = appendMember(dst, `,"object_category":"`, c.objectCategory)
		dst = appendMember(dst, `,"object":"`, objectName(ev, c.object))
		dst = appendMember(dst, `,"src_user":"`, actor)
	}
	return dst
}

// objectName is the name of what ev changes, as obj says where to read it.
func objectName(ev *event.Event, obj objectOf) string {
	switch obj {
	case objMember:
		return cmp.Or(ev.TargetEmail, ev.TargetID)
	case objApp:
		return cmp.Or(ev.AppName, ev.AppID)
	case objBlock:
		return cmp.Or(ev.BlockName, ev.BlockID)
	}
	return ""
}
