// A copy of the formats as of commit b1e3385, every function renamed
// old*: the reference that the differential tests and the old-vs-new
// benchmarks compare the current formats with. Generated; do not edit.
package transform

import (
	"cmp"
	"github.com/pigment-siem/pipeline/internal/event"
	"net/netip"
	"slices"
	"strconv"
)

func oldAppendHEC(dst []byte, ev *event.Event, o HECOptions) []byte {
	dst = append(dst, '{')
	if t := oldEventTime(ev); !t.IsZero() {
		dst = append(dst, `"time":`...)
		dst = oldAppendEpoch(dst, t)
		dst = append(dst, ',')
	}
	dst = append(dst, `"source":`...)
	dst = oldAppendString(dst, cmp.Or(o.Source, DefaultHECSource))
	dst = append(dst, `,"sourcetype":`...)
	if ev.Kind == event.KindAlert {
		dst = oldAppendString(dst, cmp.Or(o.AlertSourcetype, DefaultHECAlertSourcetype))
	} else {
		dst = oldAppendString(dst, cmp.Or(o.Sourcetype, DefaultHECSourcetype))
	}
	dst = oldAppendMember(dst, "host", o.Host)
	dst = oldAppendMember(dst, "index", o.Index)
	dst = append(dst, `,"event":`...)
	dst = oldAppendRaw(dst, ev.Raw)
	dst = append(dst, `,"fields":{"vendor_product":"`+CIMVendorProduct+`","app":"`+CIMApp+`"`...)
	dst = oldAppendMember(dst, "eventType", ev.Type)
	dst = oldAppendMember(dst, "actor", oldActorLabel(ev))
	dst = oldAppendMember(dst, "application", cmp.Or(ev.AppName, ev.AppID))
	dst = oldAppendCIM(dst, ev, oldClassOf(ev))
	return append(dst, '}', '}')
}

func oldAppendECS(dst []byte, ev *event.Event) []byte {
	alert := ev.Kind == event.KindAlert
	c := oldClassOf(ev)
	cls := oldEcsClassOf(ev, c)
	dst = append(dst, '{')
	if t := oldEventTime(ev); !t.IsZero() {
		dst = append(dst, `"@timestamp":"`...)
		dst = oldAppendTime(dst, t)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"ecs":{"version":"`+ECSVersion+`"},"event":{"kind":`...)
	if alert {
		dst = append(dst, `"alert"`...)
	} else {
		dst = append(dst, `"event"`...)
	}
	dst = oldAppendMember(dst, "id", ev.ID)
	dst = oldAppendMember(dst, "action", ev.Type)
	if cls.category != "" {
		dst = append(dst, `,"category":`...)
		dst = append(dst, cls.category...)
	}
	dst = append(dst, `,"type":`...)
	dst = append(dst, cls.typ...)
	if !alert {
		dst = append(dst, `,"outcome":"`...)
		// Fixed in both: the outcome was copied unescaped (a quote in
		// an Event built by hand added members).
		dst = oldAppendText(dst, cmp.Or(ev.Outcome, "unknown"))
		dst = append(dst, '"')
	}
	// Fixed in both: the year range was checked in the time's own zone,
	// not in the UTC the formats write (see inYears).
	if !ev.Ingested.IsZero() && ev.Ingested.UTC().Year() >= 0 && ev.Ingested.UTC().Year() <= 9999 {
		dst = append(dst, `,"created":"`...)
		dst = oldAppendTime(dst, ev.Ingested)
		dst = append(dst, `","ingested":"`...)
		dst = oldAppendTime(dst, ev.Ingested)
		dst = append(dst, '"')
	}
	if alert {
		dst = append(dst, `,"provider":"pigment","module":"pigment","dataset":"pigment.alert","severity":`...)
		dst = strconv.AppendInt(dst, int64(oldCefSeverity(oldSyslogSeverity(ev))), 10)
	} else {
		dst = append(dst, `,"provider":"pigment","module":"pigment","dataset":"pigment.audit"`...)
	}
	dst = append(dst, '}')
	dst = oldAppendECSEntities(dst, ev, c != nil && c.object == objMember)
	if alert {
		dst = append(dst, `,"rule":{"name":`...)
		dst = oldAppendString(dst, ev.Type)
		dst = append(dst, '}')
		if ev.Mitre != "" {
			dst = append(dst, `,"threat":{"framework":"MITRE ATT&CK","technique":{"id":[`...)
			dst = oldAppendString(dst, ev.Mitre)
			dst = append(dst, `]}}`...)
		}
	}
	dst = append(dst, `,"message":"`...)
	dst = oldAppendSummary(dst, ev, oldAppendText)
	dst = append(dst, `","pigment":{`...)
	if ev.AppID != "" || ev.AppName != "" {
		dst = append(dst, `"application":{`...)
		mark := len(dst)
		dst = oldAppendMember(dst, "id", ev.AppID)
		dst = oldAppendMember(dst, "name", ev.AppName)
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, `},`...)
	}
	if alert {
		dst = append(dst, `"alert":`...)
	} else {
		dst = append(dst, `"event":`...)
	}
	dst = oldAppendRaw(dst, ev.Raw)
	return append(dst, '}', '}')
}

func oldAppendECSEntities(dst []byte, ev *event.Event, memberEvent bool) []byte {
	member := memberEvent && (ev.TargetID != "" || ev.TargetEmail != "" || ev.TargetName != "")
	if ev.ActorID != "" || ev.ActorEmail != "" || ev.ActorName != "" || member {
		dst = append(dst, `,"user":{`...)
		mark := len(dst)
		dst = oldAppendMember(dst, "id", ev.ActorID)
		dst = oldAppendMember(dst, "email", ev.ActorEmail)
		dst = oldAppendMember(dst, "name", ev.ActorName)
		if member {
			dst = oldAppendECSTarget(dst, ev)
		}
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, '}')
	}
	ip, ipOK := oldValidIP(ev.SourceIP)
	cc := len(ev.Country) == 2 && oldIsLetter(ev.Country[0]) && oldIsLetter(ev.Country[1])
	if ipOK || cc {
		dst = append(dst, `,"source":{`...)
		if ipOK {
			dst = append(dst, `"ip":"`...)
			dst = ip.AppendTo(dst)
			dst = append(dst, '"')
			if cc {
				dst = append(dst, ',')
			}
		}
		if cc {
			dst = append(dst, `"geo":{"country_iso_code":"`...)
			dst = append(dst, oldUpper(ev.Country[0]), oldUpper(ev.Country[1]), '"', '}')
		}
		dst = append(dst, '}')
	}
	users := [...]string{ev.ActorID, ev.ActorEmail, "", ""}
	if member {
		users[2], users[3] = ev.TargetID, ev.TargetEmail
	}
	if users == [4]string{} && !ipOK {
		return dst
	}
	dst = append(dst, `,"related":{`...)
	if users != [4]string{} {
		dst = append(dst, `"user":[`...)
		mark := len(dst)
		for i, u := range users {
			if u != "" && !slices.Contains(users[:i], u) {
				dst = append(dst, ',')
				dst = oldAppendString(dst, u)
			}
		}
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, ']')
		if ipOK {
			dst = append(dst, ',')
		}
	}
	if ipOK {
		dst = append(dst, `"ip":["`...)
		dst = ip.AppendTo(dst)
		dst = append(dst, `"]`...)
	}
	return append(dst, '}')
}

func oldAppendECSTarget(dst []byte, ev *event.Event) []byte {
	dst = append(dst, `,"target":{`...)
	mark := len(dst)
	dst = oldAppendMember(dst, "id", ev.TargetID)
	dst = oldAppendMember(dst, "email", ev.TargetEmail)
	dst = oldAppendMember(dst, "name", ev.TargetName)
	if role := cmp.Or(ev.NewAccountType, ev.NewRole); role != "" {
		dst = append(dst, `,"roles":[`...)
		dst = oldAppendString(dst, role)
		dst = append(dst, ']')
	}
	dst = append(dst[:mark], dst[mark+1:]...)
	return append(dst, '}')
}

func oldValidIP(s string) (netip.Addr, bool) {
	if s == "" {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(s)
	return ip, err == nil && ip.Zone() == ""
}

func oldIsLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func oldUpper(c byte) byte { return c &^ 0x20 }

func oldAppendCIM(dst []byte, ev *event.Event, c *class) []byte {
	actor := cmp.Or(ev.ActorEmail, ev.ActorID)
	user := actor
	if c != nil && c.object == objMember {
		user = cmp.Or(ev.TargetEmail, ev.TargetID)
	}
	dst = oldAppendMember(dst, "user", user)
	if ip, ok := oldValidIP(ev.SourceIP); ok {
		dst = append(dst, `,"src":"`...)
		dst = ip.AppendTo(dst)
		dst = append(dst, '"')
	}
	dst = oldAppendMember(dst, "dest", cmp.Or(ev.AppName, ev.AppID))
	switch {
	case c == nil:
	case c.model == cimAuthentication:
		dst = oldAppendMember(dst, "action", ev.Outcome)
	case c.model == cimChange:
		dst = oldAppendMember(dst, "action", c.action)
		if ev.Outcome == "failure" {
			dst = append(dst, `,"status":"failure"`...)
		} else {
			dst = append(dst, `,"status":"success"`...)
		}
		dst = oldAppendMember(dst, "change_type", c.changeType)
		dst = oldAppendMember(dst, "object_category", c.objectCategory)
		dst = oldAppendMember(dst, "object", oldObjectName(ev, c.object))
		dst = oldAppendMember(dst, "src_user", actor)
	}
	return dst
}

func oldObjectName(ev *event.Event, obj objectOf) string {
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
