package transform

import (
	"cmp"

	"github.com/pigment-siem/pipeline/internal/jsonenc"

	"github.com/pigment-siem/pipeline/internal/event"
)

// HECOptions are the Splunk metadata of HEC events. Empty fields take the
// defaults below; Host and Index are omitted when empty (Splunk then uses
// the token's defaults).
type HECOptions struct {
	Host            string
	Source          string // default "pigment:audit"
	Sourcetype      string // events; default "pigment:audit"
	AlertSourcetype string // alerts; default "pigment:alert"
	Index           string // SPLUNK_INDEX
}

// Defaults of HECOptions.
const (
	DefaultHECSource          = "pigment:audit"
	DefaultHECSourcetype      = "pigment:audit"
	DefaultHECAlertSourcetype = "pigment:alert"
)

// AppendHEC appends ev as one Splunk HTTP Event Collector event
// (/services/collector/event), without a trailing newline: HEC accepts
// events concatenated in one request body.
//
//	{"time":1718000000.123,"host":"...","source":"pigment:audit",
//	 "sourcetype":"pigment:audit","index":"...","event":<ev.Raw>,
//	 "fields":{"vendor_product":"Pigment","app":"pigment","eventType":"...",...}}
//
// time is epoch seconds with milliseconds from the event time (falling back
// to the ingestion time; omitted when both are zero, and Splunk then uses
// the time of receipt). event is the original JSON byte for byte (put on one
// line if it spanned several, raw control characters in its strings
// escaped: see appendRaw). fields are indexed fields, empty ones omitted:
// eventType, actor (email, else name, else ID) and application (name, else
// ID), and the Splunk CIM fields of appendCIM, so that the Authentication
// and Change data models need no search-time extraction and event stays
// the original.
func AppendHEC(dst []byte, ev *event.Event, o HECOptions) []byte {
	dst = append(dst, '{')
	if t := eventTime(ev); !t.IsZero() {
		dst = append(dst, `"time":`...)
		dst = appendEpoch(dst, t)
		dst = append(dst, ',')
	}
	dst = appendOption(dst, `"source":"`, o.Source, DefaultHECSource)
	if ev.Kind == event.KindAlert {
		dst = appendOption(dst, `,"sourcetype":"`, o.AlertSourcetype, DefaultHECAlertSourcetype)
	} else {
		dst = appendOption(dst, `,"sourcetype":"`, o.Sourcetype, DefaultHECSourcetype)
	}
	dst = appendMember(dst, `,"host":"`, o.Host)
	dst = appendMember(dst, `,"index":"`, o.Index)
	dst = append(dst, `,"event":`...)
	dst = appendRaw(dst, ev.Raw)
	dst = append(dst, `,"fields":{"vendor_product":"`+CIMVendorProduct+`","app":"`+CIMApp+`"`...)
	dst = appendMember(dst, `,"eventType":"`, ev.Type)
	dst = appendMember(dst, `,"actor":"`, actorLabel(ev))
	dst = appendMember(dst, `,"application":"`, cmp.Or(ev.AppName, ev.AppID))
	dst = appendCIM(dst, ev, classOf(ev))
	return append(dst, '}', '}')
}

// appendOption appends prefix (`"key":"`) and the option v escaped, or its
// default def (plain text, which needs no escaping), closed.
func appendOption(dst []byte, prefix, v, def string) []byte {
	dst = append(dst, prefix...)
	if v == "" {
		dst = append(dst, def...)
	} else {
		dst = jsonenc.AppendText(dst, v)
	}
	return append(dst, '"')
}
