package pigmentsim

import (
	"time"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// renderer turns compact events into JSON in one of the two shapes. It is
// immutable and safe for concurrent use.
type renderer struct {
	w      *workspace
	seed   int64
	public bool
	qWS    []byte // quoted workspace ID
}

// appendPage appends a whole events page. next is the next cursor; empty
// renders null (last page).
func (rd *renderer) appendPage(b []byte, evs []ev, inj []injected, next string) []byte {
	b = append(b, `{"events":[`...)
	for i, e := range evs {
		if i > 0 {
			b = append(b, ',')
		}
		b = rd.appendEvent(b, e, inj)
	}
	if rd.public {
		b = append(b, `],"nextEventsCursor":`...)
	} else {
		b = append(b, `],"pagination":{"nextCursor":`...)
	}
	if next == "" {
		b = append(b, "null"...)
	} else {
		b = jsonenc.AppendString(b, next)
	}
	if !rd.public {
		b = append(b, '}')
	}
	return append(b, '}')
}

// appendEvent appends one event object. inj must hold the injected events the
// store knew when e was read.
func (rd *renderer) appendEvent(b []byte, e ev, inj []injected) []byte {
	if e.injected() {
		return rd.appendInjected(b, &inj[e.seq&^injectedFlag])
	}
	d := rd.w.drawEvent(rd.seed, e.seq, e.ingest-int64(e.lagMs)*int64(time.Millisecond))
	k := &kinds[d.kind]
	m := &rd.w.members[d.actor]
	app := &rd.w.apps[d.app]
	hi, lo := genID(rd.seed, e.seq)
	b = append(b, `{"eventId":"`...)
	b = appendUUID(b, hi, lo)
	b = append(b, `","eventType":"`...)
	if rd.public {
		b = append(b, k.public...)
	} else {
		b = append(b, k.described...)
	}
	b = append(b, `","eventTimestamp":`...)
	b = appendTime(b, e.ingest-int64(e.lagMs)*1e6)
	b = append(b, `,"ingestionTimestamp":`...)
	b = appendTime(b, e.ingest)
	if rd.public {
		// Pigment's public data model: the member one level down.
		b = appendKV(b, `,"actor":{"user":{"id":`, m.qID)
		b = appendKV(b, `,"email":`, m.qEmail)
		b = appendKV(b, `,"name":`, m.qName)
		b = appendKV(b, `},"type":"User"},"context":{"workspaceId":`, rd.qWS)
		if k.appScoped {
			b = appendKV(b, `,"applicationId":`, app.qID)
			b = appendKV(b, `,"applicationName":`, app.qName)
		}
		b = append(b, `,"ipAddress":`...)
		b = d.appendIP(b, m)
		b = append(b, `},"payload":`...)
	} else {
		b = appendKV(b, `,"actor":{"memberId":`, m.qID)
		b = appendKV(b, `,"email":`, m.qEmail)
		b = appendKV(b, `,"name":`, m.qName)
		if k.appScoped {
			b = appendKV(b, `},"target":{"applicationId":`, app.qID)
			b = appendKV(b, `,"applicationName":`, app.qName)
			b = append(b, `},"metadata":`...)
		} else {
			b = append(b, `},"target":{"applicationId":null,"applicationName":null},"metadata":`...)
		}
	}
	b = rd.w.appendBody(b, &d, rd.public)
	return append(b, '}')
}

// appendInjected renders an injected event with the same envelope as
// generated ones, or the one it names (Injected.Shape).
func (rd *renderer) appendInjected(b []byte, in *injected) []byte {
	b = append(b, `{"eventId":`...)
	b = jsonenc.AppendString(b, in.ID)
	b = append(b, `,"eventType":`...)
	b = jsonenc.AppendString(b, in.Type)
	b = append(b, `,"eventTimestamp":`...)
	b = appendTime(b, in.EventTime.UnixNano())
	b = append(b, `,"ingestionTimestamp":`...)
	b = appendTime(b, in.IngestionTime.UnixNano())
	var m *member
	if i, ok := rd.w.byMember[in.ActorID]; ok {
		m = &rd.w.members[i]
	}
	var app *application
	if i, ok := rd.w.byApp[in.ApplicationID]; ok {
		app = &rd.w.apps[i]
	}
	public := rd.public
	switch in.Shape {
	case ShapePublic:
		public = true
	case ShapeDescribed:
		public = false
	}
	if public {
		b = append(b, `,"actor":{"user":{"id":`...)
		b = jsonenc.AppendString(b, in.ActorID)
		b = appendMemberFields(b, m, `,"email":`, `,"name":`)
		b = appendKV(b, `},"type":"User"},"context":{"workspaceId":`, rd.qWS)
		if in.ApplicationID != "" {
			b = append(b, `,"applicationId":`...)
			b = jsonenc.AppendString(b, in.ApplicationID)
			b = append(b, `,"applicationName":`...)
			b = appendAppName(b, app)
		}
		b = append(b, `},"payload":`...)
	} else {
		b = append(b, `,"actor":{"memberId":`...)
		b = jsonenc.AppendString(b, in.ActorID)
		b = appendMemberFields(b, m, `,"email":`, `,"name":`)
		b = append(b, `},"target":{"applicationId":`...)
		if in.ApplicationID == "" {
			b = append(b, "null"...)
		} else {
			b = jsonenc.AppendString(b, in.ApplicationID)
		}
		b = append(b, `,"applicationName":`...)
		b = appendAppName(b, app)
		b = append(b, `},"metadata":`...)
	}
	b = append(b, in.payload...)
	return append(b, '}')
}

// appendMemberFields appends two member fields in the order given by the
// keys (name then email, or email then name); unknown members render null.
func appendMemberFields(b []byte, m *member, k1, k2 string) []byte {
	for _, k := range []string{k1, k2} {
		b = append(b, k...)
		switch {
		case m == nil:
			b = append(b, "null"...)
		case k == `,"name":`:
			b = append(b, m.qName...)
		default:
			b = append(b, m.qEmail...)
		}
	}
	return b
}

func appendAppName(b []byte, app *application) []byte {
	if app == nil {
		return append(b, "null"...)
	}
	return append(b, app.qName...)
}
