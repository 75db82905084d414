// A copy of the formats as of commit b1e3385, every function renamed
// old*: the reference that the differential tests and the old-vs-new
// benchmarks compare the current formats with. Generated; do not edit.
package transform

import (
	"cmp"
	"github.com/pigment-siem/pipeline/internal/event"
	"strconv"
	"unicode/utf8"
)

func oldAppendSyslog(dst []byte, ev *event.Event, o SyslogOptions) []byte {
	dst = oldAppendSyslogHeader(dst, ev, o)
	dst = append(dst, ' ', '[')
	dst = append(dst, SDID...)
	dst = oldAppendParam(dst, "eventId", ev.ID)
	dst = oldAppendParam(dst, "eventType", ev.Type)
	if ev.Kind == event.KindAlert {
		dst = oldAppendParam(dst, "kind", "alert")
		dst = oldAppendParam(dst, "severity", ev.Severity)
	}
	dst = oldAppendParam(dst, "actor", ev.ActorID)
	dst = oldAppendParam(dst, "actorEmail", ev.ActorEmail)
	dst = oldAppendParam(dst, "actorName", ev.ActorName)
	dst = oldAppendParam(dst, "application", ev.AppID)
	dst = oldAppendParam(dst, "applicationName", ev.AppName)
	if _, ok := oldValidIP(ev.SourceIP); ok {
		dst = oldAppendParam(dst, "srcIP", ev.SourceIP)
	}
	dst = oldAppendParam(dst, "country", ev.Country)
	dst = oldAppendParam(dst, "outcome", ev.Outcome)
	dst = append(dst, ']', ' ')
	return oldAppendRaw(dst, ev.Raw)
}

func oldAppendSyslogHeader(dst []byte, ev *event.Event, o SyslogOptions) []byte {
	facility := o.Facility
	if facility <= 0 || facility > 23 {
		facility = DefaultFacility
	}
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(facility*8+oldSyslogSeverity(ev)), 10)
	dst = append(dst, '>', '1', ' ')
	if t := oldEventTime(ev); t.IsZero() {
		dst = append(dst, '-')
	} else {
		dst = oldAppendTime(dst, t)
	}
	dst = append(dst, ' ')
	dst = oldAppendHeaderField(dst, o.Hostname, 255)
	dst = append(dst, ' ')
	dst = oldAppendHeaderField(dst, cmp.Or(o.AppName, DefaultAppName), 48)
	dst = append(dst, ' ', '-', ' ')
	return oldAppendHeaderField(dst, ev.Type, 32)
}

func oldAppendHeaderField(dst []byte, s string, max int) []byte {
	if s == "" {
		return append(dst, '-')
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

func oldAppendParam(dst []byte, name, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, '=', '"')
	dst = oldAppendBackslashed(dst, value, '"', '\\', ']', false)
	return append(dst, '"')
}

func oldAppendCEF(dst []byte, ev *event.Event, o SyslogOptions) []byte {
	dst = oldAppendSyslogHeader(dst, ev, o)
	dst = append(dst, " - CEF:0|"+CEFVendor+"|"+CEFProduct+"|"+CEFVersion+"|"...)
	dst = oldAppendCEFHeader(dst, cmp.Or(ev.Type, "unknown"))
	dst = append(dst, '|')
	switch {
	case ev.Kind == event.KindAlert && ev.Title != "":
		dst = oldAppendCEFHeader(dst, ev.Title)
	case ev.Type == "":
		dst = append(dst, "Unknown event"...)
	default:
		dst = oldAppendWords(dst, ev.Type)
	}
	dst = append(dst, '|')
	dst = strconv.AppendInt(dst, int64(oldCefSeverity(oldSyslogSeverity(ev))), 10)
	dst = append(dst, '|')

	mark := len(dst)
	if t := oldEventTime(ev); !t.IsZero() {
		dst = append(dst, " rt="...)
		dst = strconv.AppendInt(dst, t.UnixMilli(), 10)
	}
	dst = oldAppendExt(dst, "cat", oldEcsCategory(ev).name)
	dst = oldAppendExt(dst, "act", ev.Type)
	dst = oldAppendExt(dst, "outcome", ev.Outcome)
	dst = oldAppendExt(dst, "suid", ev.ActorID)
	dst = oldAppendExt(dst, "suser", cmp.Or(ev.ActorEmail, ev.ActorName))
	if ip, ok := oldValidIP(ev.SourceIP); ok && ip.Is4() {
		dst = append(dst, " src="...)
		dst = ip.AppendTo(dst)
	} else if ok {
		dst = append(dst, " c6a2="...)
		dst = ip.AppendTo(dst)
		dst = append(dst, " c6a2Label=Source IPv6 Address"...)
	}
	if ev.AppName != "" {
		dst = append(dst, " cs1Label=application"...)
		dst = oldAppendExt(dst, "cs1", ev.AppName)
	}
	if ev.AppID != "" {
		dst = append(dst, " cs2Label=applicationId"...)
		dst = oldAppendExt(dst, "cs2", ev.AppID)
	}
	if ev.Mitre != "" {
		dst = append(dst, " cs3Label=mitreTechnique"...)
		dst = oldAppendExt(dst, "cs3", ev.Mitre)
	}
	dst = oldAppendExt(dst, "externalId", ev.ID)
	dst = append(dst, " msg="...)
	dst = oldAppendSummary(dst, ev, oldAppendCEFValue)
	return append(dst[:mark], dst[mark+1:]...)
}

func oldAppendExt(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, ' ')
	dst = append(dst, key...)
	dst = append(dst, '=')
	return oldAppendCEFValue(dst, value)
}

func oldAppendCEFValue(dst []byte, s string) []byte {
	return oldAppendBackslashed(dst, s, '\\', '=', '=', true)
}

func oldAppendCEFHeader(dst []byte, s string) []byte {
	return oldAppendBackslashed(dst, s, '\\', '|', '|', false)
}

func oldAppendWords(dst []byte, s string) []byte {
	start := 0
	for i := 1; i < len(s); i++ {
		prev, c := s[i-1], s[i]
		if !oldIsUpper(c) {
			continue
		}
		if oldIsLower(prev) || oldIsDigit(prev) || oldIsUpper(prev) && i+1 < len(s) && oldIsLower(s[i+1]) {
			dst = oldAppendCEFHeader(dst, s[start:i])
			dst = append(dst, ' ')
			start = i
		}
	}
	return oldAppendCEFHeader(dst, s[start:])
}

func oldIsUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func oldIsLower(c byte) bool { return c >= 'a' && c <= 'z' }

func oldIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func oldAppendBackslashed(dst []byte, s string, a, b, c byte, newlines bool) []byte {
	for i := 0; i < len(s); {
		j := oldPlainRun(s, i, a, b, c)
		dst = append(dst, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		switch ch := s[i]; {
		case ch == a || ch == b || ch == c:
			dst = append(dst, '\\', ch)
		case newlines && ch == '\n':
			dst = append(dst, '\\', 'n')
		case newlines && ch == '\r':
			dst = append(dst, '\\', 'r')
		case ch < 0x20 || ch == 0x7f:
			dst = append(dst, ' ')
		default:

			r, size := utf8.DecodeRuneInString(s[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
			continue
		}
		i++
	}
	return dst
}
