package transform

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// ECSVersion is the Elastic Common Schema version of AppendECS documents.
const ECSVersion = "8.17.0"

// AppendECS appends ev as one Elastic Common Schema document (no bulk
// action line, no newline):
//
//	@timestamp        event time (else ingestion time; omitted when both are
//	                  zero, and a data stream then rejects the document: set
//	                  ev.Ingested to the record time for such records)
//	ecs.version       ECSVersion
//	event.kind        "event", or "alert" for alerts
//	event.id/action   eventId / eventType (alerts: id / rule)
//	event.category/type  see ecsCategory
//	event.outcome     success, failure or unknown (omitted for alerts)
//	event.created     ingestionTimestamp (when Pigment's audit pipeline saw it)
//	event.ingested    ingestionTimestamp too, the time it reached Pigment's
//	                  audit store; an ingest pipeline may overwrite it
//	event.provider    "pigment"; event.module "pigment"
//	event.dataset     "pigment.audit", "pigment.alert" for alerts
//	event.severity    alerts: 0-10 as CEF (critical 10, high 8, medium 6, low 3)
//	user.id/email/name  the actor
//	user.target.id/email/name/roles  member events (see classRows): the
//	                  member changed; roles: the new account type or role
//	related.user      actor and target IDs and emails, each once
//	source.ip, related.ip   only when a valid IP address
//	source.geo.country_iso_code  only when a 2-letter code (upper-cased)
//	rule.name, threat.technique.id   alerts: rule, mitre
//	message           a one-line summary (see appendSummary)
//	pigment.application.id/name
//	pigment.event     the original event JSON (alerts: pigment.alert), as
//	                  HEC's event (see appendRaw)
//
// The index template should map pigment.event and pigment.alert as
// "flattened" (or disable them): payloads vary by event type and would
// otherwise cause mapping conflicts.
func AppendECS(dst []byte, ev *event.Event) []byte {
	alert := ev.Kind == event.KindAlert
	c := classOf(ev)
	cls := ecsClassOf(ev, c)
	dst = append(dst, '{')
	if t := eventTime(ev); !t.IsZero() {
		dst = append(dst, `"@timestamp":"`...)
		dst = appendTime(dst, t)
		dst = append(dst, `",`...)
	}
	dst = append(dst, `"ecs":{"version":"`+ECSVersion+`"},"event":{"kind":`...)
	if alert {
		dst = append(dst, `"alert"`...)
	} else {
		dst = append(dst, `"event"`...)
	}
	dst = appendMember(dst, `,"id":"`, ev.ID)
	dst = appendMember(dst, `,"action":"`, ev.Type)
	if cls.category != "" {
		dst = append(dst, `,"category":`...)
		dst = append(dst, cls.category...)
	}
	dst = append(dst, `,"type":`...)
	dst = append(dst, cls.typ...)
	if !alert {
		dst = appendMember(dst, `,"outcome":"`, cmp.Or(ev.Outcome, "unknown"))
	}
	if inYears(ev.Ingested) {
		dst = append(dst, `,"created":"`...)
		mark := len(dst)
		dst = appendTime(dst, ev.Ingested)
		ts := dst[mark:] // written once, copied (still valid if the append below grows dst)
		dst = append(dst, `","ingested":"`...)
		dst = append(dst, ts...)
		dst = append(dst, '"')
	}
	if alert {
		dst = append(dst, `,"provider":"pigment","module":"pigment","dataset":"pigment.alert","severity":`...)
		dst = strconv.AppendInt(dst, int64(cefSeverity(SyslogSeverity(ev))), 10)
	} else {
		dst = append(dst, `,"provider":"pigment","module":"pigment","dataset":"pigment.audit"`...)
	}
	dst = append(dst, '}')
	dst = appendECSEntities(dst, ev, c != nil && c.object == objMember)
	if alert {
		dst = append(dst, `,"rule":{"name":`...)
		dst = jsonenc.AppendString(dst, ev.Type)
		dst = append(dst, '}')
		if ev.Mitre != "" {
			dst = append(dst, `,"threat":{"framework":"MITRE ATT&CK","technique":{"id":[`...)
			dst = jsonenc.AppendString(dst, ev.Mitre)
			dst = append(dst, `]}}`...)
		}
	}
	dst = append(dst, `,"message":"`...)
	dst = appendSummary(dst, ev, jsonenc.AppendText)
	dst = append(dst, `","pigment":{`...)
	if ev.AppID != "" || ev.AppName != "" {
		dst = append(dst, `"application":{`...)
		mark := len(dst)
		dst = appendMember(dst, `,"id":"`, ev.AppID)
		dst = appendMember(dst, `,"name":"`, ev.AppName)
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, `},`...)
	}
	if alert {
		dst = append(dst, `"alert":`...)
	} else {
		dst = append(dst, `"event":`...)
	}
	dst = appendRaw(dst, ev.Raw)
	return append(dst, '}', '}')
}

// appendECSEntities appends user (the actor, and for member events the
// member changed under user.target), source and related.
func appendECSEntities(dst []byte, ev *event.Event, memberEvent bool) []byte {
	member := memberEvent && (ev.TargetID != "" || ev.TargetEmail != "" || ev.TargetName != "")
	if ev.ActorID != "" || ev.ActorEmail != "" || ev.ActorName != "" || member {
		dst = append(dst, `,"user":{`...)
		mark := len(dst)
		dst = appendMember(dst, `,"id":"`, ev.ActorID)
		dst = appendMember(dst, `,"email":"`, ev.ActorEmail)
		dst = appendMember(dst, `,"name":"`, ev.ActorName)
		if member {
			dst = appendECSTarget(dst, ev)
		}
		dst = append(dst[:mark], dst[mark+1:]...)
		dst = append(dst, '}')
	}
	ip, ipOK := validIP(ev.SourceIP)
	cc := len(ev.Country) == 2 && isLetter(ev.Country[0]) && isLetter(ev.Country[1])
	if ipOK || cc {
		dst = append(dst, `,"source":{`...)
		if ipOK {
			dst = append(dst, `"ip":"`...)
			dst = appendIP(dst, ip, ev.SourceIP)
			dst = append(dst, '"')
			if cc {
				dst = append(dst, ',')
			}
		}
		if cc {
			dst = append(dst, `"geo":{"country_iso_code":"`...)
			dst = append(dst, upper(ev.Country[0]), upper(ev.Country[1]), '"', '}')
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
				dst = jsonenc.AppendString(dst, u)
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
		dst = appendIP(dst, ip, ev.SourceIP)
		dst = append(dst, `"]`...)
	}
	return append(dst, '}')
}

// appendECSTarget appends the member a member event changes, as the member
// ,"target":{...} of user: id, email, name, and roles, the new account
// type (else the new role) as a one-element array.
func appendECSTarget(dst []byte, ev *event.Event) []byte {
	dst = append(dst, `,"target":{`...)
	mark := len(dst)
	dst = appendMember(dst, `,"id":"`, ev.TargetID)
	dst = appendMember(dst, `,"email":"`, ev.TargetEmail)
	dst = appendMember(dst, `,"name":"`, ev.TargetName)
	if role := cmp.Or(ev.NewAccountType, ev.NewRole); role != "" {
		dst = append(dst, `,"roles":[`...)
		dst = jsonenc.AppendString(dst, role)
		dst = append(dst, ']')
	}
	dst = append(dst[:mark], dst[mark+1:]...)
	return append(dst, '}')
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func upper(c byte) byte { return c &^ 0x20 }
