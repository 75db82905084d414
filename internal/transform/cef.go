package transform

import (
	"cmp"
	"strconv"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// CEF header constants.
const (
	CEFVendor  = "Pigment"
	CEFProduct = "Pigment Audit"
	CEFVersion = "1.0"
)

// AppendCEF appends ev as an ArcSight Common Event Format record inside an
// RFC 5424 envelope (the header of AppendSyslog, no structured data):
//
//	<PRI>1 TIMESTAMP HOSTNAME APP-NAME - MSGID - CEF:0|Pigment|Pigment Audit|1.0|<type>|<name>|<severity>|<extension>
//
// Signature ID is the event type (alerts: the rule); Name is the type split
// into words ("User Logged In"; alerts: their title, else the rule);
// severity is 0-10 (see cefSeverity). Header fields escape '\' and '|' with
// a backslash, control characters become spaces. The extension holds, when
// not empty:
//
//	rt          event time (else ingestion time), ms since the Unix epoch
//	cat         ECS category (see ecsCategory)
//	act         event type (alerts: rule)
//	outcome     success or failure
//	suid, suser actor ID; actor email, else name
//	src         source IPv4 address; an IPv6 one goes to c6a2 ("Source IPv6 Address")
//	cs1Label=application cs1, cs2Label=applicationId cs2   application name, ID
//	cs3Label=mitreTechnique cs3  alerts: MITRE technique
//	externalId  eventId (alerts: id)
//	msg         a one-line summary (see appendSummary)
//
// Extension values escape '\' and '=' with a backslash, CR and LF as \r
// and \n; other control characters become spaces and invalid UTF-8
// becomes U+FFFD.
func AppendCEF(dst []byte, ev *event.Event, o SyslogOptions) []byte {
	c := classOf(ev)
	severity := syslogSeverity(ev, c)
	dst = appendSyslogHeader(dst, ev, o, severity)
	dst = append(dst, " - CEF:0|"+CEFVendor+"|"+CEFProduct+"|"+CEFVersion+"|"...)
	dst = appendCEFHeader(dst, cmp.Or(ev.Type, "unknown"))
	dst = append(dst, '|')
	switch {
	case ev.Kind == event.KindAlert && ev.Title != "":
		dst = appendCEFHeader(dst, ev.Title)
	case ev.Type == "":
		dst = append(dst, "Unknown event"...)
	default:
		dst = appendWords(dst, ev.Type)
	}
	dst = append(dst, '|')
	dst = strconv.AppendInt(dst, int64(cefSeverity(severity)), 10)
	dst = append(dst, '|')

	mark := len(dst)
	if t := eventTime(ev); !t.IsZero() {
		dst = append(dst, " rt="...)
		dst = appendInt(dst, t.UnixMilli())
	}
	dst = appendExt(dst, ` cat=`, ecsClassOf(ev, c).name)
	dst = appendExt(dst, ` act=`, ev.Type)
	dst = appendExt(dst, ` outcome=`, ev.Outcome)
	dst = appendExt(dst, ` suid=`, ev.ActorID)
	dst = appendExt(dst, ` suser=`, cmp.Or(ev.ActorEmail, ev.ActorName))
	if ip, ok := validIP(ev.SourceIP); ok && ip.Is4() {
		dst = append(dst, " src="...)
		dst = appendIP(dst, ip, ev.SourceIP)
	} else if ok {
		dst = append(dst, " c6a2="...)
		dst = appendIP(dst, ip, ev.SourceIP)
		dst = append(dst, " c6a2Label=Source IPv6 Address"...)
	}
	dst = appendExt(dst, ` cs1Label=application cs1=`, ev.AppName)
	dst = appendExt(dst, ` cs2Label=applicationId cs2=`, ev.AppID)
	dst = appendExt(dst, ` cs3Label=mitreTechnique cs3=`, ev.Mitre)
	dst = appendExt(dst, ` externalId=`, ev.ID)
	dst = append(dst, " msg="...)
	dst = appendSummary(dst, ev, appendCEFValue)
	return append(dst[:mark], dst[mark+1:]...) // drop the first extension's space
}

// appendExt appends prefix (` key=`, one constant) and value escaped as a
// CEF extension value, when value is not empty.
func appendExt(dst []byte, prefix, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, prefix...)
	return appendCEFValue(dst, value)
}

// appendCEFValue appends s escaped as a CEF extension value.
func appendCEFValue(dst []byte, s string) []byte {
	return appendBackslashed(dst, s, '\\', '=', '=', true)
}

// appendCEFHeader appends s escaped as a CEF header field.
func appendCEFHeader(dst []byte, s string) []byte {
	return appendBackslashed(dst, s, '\\', '|', '|', false)
}

// appendWords appends a CamelCase type as words ("APIKeyCreated" -> "API
// Key Created"), escaped as a CEF header field. A type with nothing to
// escape (all of them, in practice) is checked once and its words copied.
func appendWords(dst []byte, s string) []byte {
	plain := jsonenc.PlainRun(s, 0, '\\', '|', '|') == len(s)
	start := 0
	for i := 1; i < len(s); i++ {
		prev, c := s[i-1], s[i]
		if !isUpper(c) {
			continue
		}
		if isLower(prev) || isDigit(prev) || isUpper(prev) && i+1 < len(s) && isLower(s[i+1]) {
			dst = appendWord(dst, s[start:i], plain)
			dst = append(dst, ' ')
			start = i
		}
	}
	return appendWord(dst, s[start:], plain)
}

// appendWord appends w as it is when plain, else escaped as a CEF header
// field.
func appendWord(dst []byte, w string, plain bool) []byte {
	if plain {
		return append(dst, w...)
	}
	return appendCEFHeader(dst, w)
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
