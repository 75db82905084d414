package transform

import (
	"cmp"
	"strconv"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// SyslogOptions set the RFC 5424 header of syslog and CEF lines.
type SyslogOptions struct {
	Hostname string // HOSTNAME; "-" (NILVALUE) when empty
	AppName  string // APP-NAME; default "pigment"
	// Facility is the syslog facility, 1-23; the zero value, and any value
	// out of range, mean DefaultFacility (13, log audit). Facility 0 (kernel)
	// cannot be chosen.
	Facility int
}

// Defaults and identifiers of syslog lines.
const (
	DefaultFacility = 13        // log audit
	DefaultAppName  = "pigment" // APP-NAME
	// SDID is the SD-ID of the structured data element. 32473 is the
	// Private Enterprise Number reserved for documentation (RFC 5612);
	// replace it if Pigment registers one.
	SDID = "pigment@32473"
)

// AppendSyslog appends ev as one RFC 5424 message, without framing (the
// sink adds octet counting on TCP/TLS) and without a trailing newline:
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID [pigment@32473 eventId="..." ...] MSG
//
// PRI is Facility*8 + SyslogSeverity(ev). TIMESTAMP is the event time
// (else the ingestion time, else "-") in UTC with milliseconds, or
// microseconds when finer. HOSTNAME (255), APP-NAME (48) and MSGID (32, the
// event type; alerts: the rule) are cut to their RFC 5424 lengths in
// characters, each non-printable or non-ASCII character replaced by '_'.
// PROCID is "-". The structured data element carries, when not empty:
// eventId, eventType, kind ("alert"), severity (alerts), actor (ID),
// actorEmail, actorName, application (ID), applicationName, srcIP (only a
// valid IP address), country and outcome; values escape '"', '\' and ']' with a backslash,
// control characters become spaces and invalid UTF-8 becomes U+FFFD. MSG
// is the original event JSON, UTF-8 without a BOM, on one line, with raw
// control characters in its strings escaped (see appendRaw).
func AppendSyslog(dst []byte, ev *event.Event, o SyslogOptions) []byte {
	dst = appendSyslogHeader(dst, ev, o, SyslogSeverity(ev))
	dst = append(dst, ' ', '[')
	dst = append(dst, SDID...)
	dst = appendParam(dst, ` eventId="`, ev.ID)
	dst = appendParam(dst, ` eventType="`, ev.Type)
	if ev.Kind == event.KindAlert {
		dst = appendParam(dst, ` kind="`, "alert")
		dst = appendParam(dst, ` severity="`, ev.Severity)
	}
	dst = appendParam(dst, ` actor="`, ev.ActorID)
	dst = appendParam(dst, ` actorEmail="`, ev.ActorEmail)
	dst = appendParam(dst, ` actorName="`, ev.ActorName)
	dst = appendParam(dst, ` application="`, ev.AppID)
	dst = appendParam(dst, ` applicationName="`, ev.AppName)
	if _, ok := validIP(ev.SourceIP); ok {
		// An address ParseAddr accepts has nothing to escape: hex digits,
		// colons and dots (no zone).
		dst = append(dst, ` srcIP="`...)
		dst = append(dst, ev.SourceIP...)
		dst = append(dst, '"')
	}
	dst = appendParam(dst, ` country="`, ev.Country)
	dst = appendParam(dst, ` outcome="`, ev.Outcome)
	dst = append(dst, ']', ' ')
	return appendRaw(dst, ev.Raw)
}

// appendSyslogHeader appends the RFC 5424 HEADER (up to MSGID, without the
// space before STRUCTURED-DATA); severity is SyslogSeverity(ev).
func appendSyslogHeader(dst []byte, ev *event.Event, o SyslogOptions, severity int) []byte {
	facility := o.Facility
	if facility <= 0 || facility > 23 {
		facility = DefaultFacility
	}
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(facility*8+severity), 10)
	dst = append(dst, '>', '1', ' ')
	if t := eventTime(ev); t.IsZero() {
		dst = append(dst, '-')
	} else {
		dst = appendTime(dst, t)
	}
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, o.Hostname, 255)
	dst = append(dst, ' ')
	dst = appendHeaderField(dst, cmp.Or(o.AppName, DefaultAppName), 48)
	dst = append(dst, ' ', '-', ' ')
	return appendHeaderField(dst, ev.Type, 32)
}

// appendHeaderField appends s as a header field of at most max characters
// of printable US-ASCII (33-126), others replaced by '_', or "-" when empty.
// A field already short and printable (the usual case) is copied whole.
func appendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
	}
	if len(s) <= max && jsonenc.PlainRun(s, 0, ' ', ' ', ' ') == len(s) {
		return append(dst, s...)
	}
	n := 0
	for _, r := range s {
		if n == max {
			break
		}
		if r < 33 || r > 126 {
			r = '_'
		}
		dst = append(dst, byte(r))
		n++
	}
	return dst
}

// appendParam appends prefix (` name="`, one constant) and value escaped
// as an RFC 5424 PARAM-VALUE, closed, when value is not empty.
func appendParam(dst []byte, prefix, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, prefix...)
	dst = appendBackslashed(dst, value, '"', '\\', ']', false)
	return append(dst, '"')
}
