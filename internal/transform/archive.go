package transform

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/event"
)

// The archive (forward SINK=postgres) takes each record as one row of
// Postgres COPY text format, tagged with the table it belongs to: the
// first byte is ArchiveEventRow or ArchiveAlertRow, then the columns
// separated by tabs, ending with a newline. The columns, in order, are
// ArchiveEventColumns and ArchiveAlertColumns: the sink's COPY names them.
const (
	ArchiveEventRow byte = 'e'
	ArchiveAlertRow byte = 'a'
)

// ArchiveEventColumns are the columns of an event row, in order.
var ArchiveEventColumns = []string{
	"event_id", "event_type", "event_time", "ingestion_time", "event_timestamp", "ingestion_timestamp",
	"actor_id", "actor_email", "actor_name", "target_id", "target_email", "target_name",
	"application_id", "application_name", "outcome", "source_ip", "country",
	"previous_account_type", "new_account_type", "previous_role", "new_role",
	"previous_license_type", "new_license_type",
	"kafka_topic", "kafka_partition", "kafka_offset", "raw",
}

// ArchiveAlertColumns are the columns of an alert row, in order.
var ArchiveAlertColumns = []string{
	"alert_id", "rule", "severity", "title", "actor_id", "actor_email",
	"application_id", "application_name", "window_start", "window_end", "event_time",
	"event_count", "evidence", "mitre", "kafka_topic", "kafka_partition", "kafka_offset", "raw",
}

// AppendArchive appends ev as one archive row (see ArchiveEventRow).
//
// Text columns are escaped for COPY (backslash, tab, newline, carriage
// return) and written as NULL (\N) when empty. Postgres text cannot hold
// U+0000 or invalid UTF-8: there they become U+FFFD, while raw keeps the
// record's exact bytes (bytea), so nothing is lost. Times are UTC with full
// precision: the timestamptz columns keep microseconds (Postgres rounds),
// event_timestamp and ingestion_timestamp the nanoseconds as RFC 3339
// text. ingestion_time, the partition key, is ingestionTimestamp, else
// eventTimestamp (set Ingested beforehand for records with neither); a
// time outside years 1-9999 counts as absent.
func AppendArchive(dst []byte, ev *event.Event) []byte {
	if ev.Kind == event.KindAlert {
		return appendArchiveAlert(dst, ev)
	}
	ingested := archiveTime(ev.Ingested)
	if ingested.IsZero() {
		ingested = archiveTime(ev.Time)
	}
	dst = append(dst, ArchiveEventRow)
	dst = appendCopyText(dst, ev.ID)
	dst = appendCopyText(append(dst, '\t'), ev.Type)
	dst = appendCopyTime(append(dst, '\t'), archiveTime(ev.Time))
	dst = appendCopyTime(append(dst, '\t'), ingested)
	dst = appendCopyNano(append(dst, '\t'), archiveTime(ev.Time))
	dst = appendCopyNano(append(dst, '\t'), ingested)
	for _, v := range [...]string{ev.ActorID, ev.ActorEmail, ev.ActorName, ev.TargetID, ev.TargetEmail, ev.TargetName,
		ev.AppID, ev.AppName, ev.Outcome, ev.SourceIP, ev.Country,
		ev.PrevAccountType, ev.NewAccountType, ev.PrevRole, ev.NewRole, ev.PrevLicense, ev.NewLicense, ev.Topic} {
		dst = appendCopyText(append(dst, '\t'), v)
	}
	return appendArchiveTail(dst, ev)
}

func appendArchiveAlert(dst []byte, ev *event.Event) []byte {
	dst = append(dst, ArchiveAlertRow)
	dst = appendCopyText(dst, ev.ID)
	for _, v := range [...]string{ev.Type, ev.Severity, ev.Title, ev.ActorID, ev.ActorEmail, ev.AppID, ev.AppName} {
		dst = appendCopyText(append(dst, '\t'), v)
	}
	dst = appendCopyTime(append(dst, '\t'), archiveTime(ev.WindowStart))
	dst = appendCopyTime(append(dst, '\t'), archiveTime(ev.WindowEnd))
	dst = appendCopyTime(append(dst, '\t'), archiveTime(ev.Time))
	dst = append(dst, '\t')
	if ev.Count != 0 {
		dst = strconv.AppendInt(dst, ev.Count, 10)
	} else {
		dst = append(dst, `\N`...)
	}
	dst = appendCopyEvidence(append(dst, '\t'), ev.Evidence)
	dst = appendCopyText(append(dst, '\t'), ev.Mitre)
	dst = appendCopyText(append(dst, '\t'), ev.Topic)
	return appendArchiveTail(dst, ev)
}

// appendArchiveTail appends partition, offset and raw, and ends the row.
func appendArchiveTail(dst []byte, ev *event.Event) []byte {
	dst = append(dst, '\t')
	if ev.Topic != "" {
		dst = strconv.AppendInt(dst, int64(ev.Partition), 10)
		dst = append(dst, '\t')
		dst = strconv.AppendInt(dst, ev.Offset, 10)
	} else {
		dst = append(dst, `\N`+"\t"+`\N`...)
	}
	dst = appendCopyBytea(append(dst, '\t'), ev.Raw)
	return append(dst, '\n')
}

// appendCopyBytea appends b as a bytea value in escape format, which for
// JSON is about its own size (hex doubles it, and Postgres took half as
// long again to read the hex of the archive's rows): valid UTF-8 as it is, a
// backslash as \\, control characters, DEL and invalid bytes as \ooo
// (octal); each backslash doubled again for COPY.
func appendCopyBytea(dst, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '\\':
			dst = append(dst, `\\\\`...)
			i++
		case c >= 0x20 && c < 0x7f:
			dst = append(dst, c)
			i++
		case c >= utf8.RuneSelf:
			if r, n := utf8.DecodeRune(b[i:]); r != utf8.RuneError || n > 1 {
				dst = append(dst, b[i:i+n]...)
				i += n
				continue
			}
			fallthrough
		default:
			dst = append(dst, '\\', '\\', '0'+c>>6, '0'+c>>3&7, '0'+c&7)
			i++
		}
	}
	return dst
}

// ArchiveRowMonth returns the month of an event row's ingestion_time (its
// partition), as year*12 + month - 1, reading the row without its tag;
// ok is false when the row has none.
func ArchiveRowMonth(row []byte) (month int, ok bool) {
	col := 0
	for i := 0; i < len(row); i++ {
		if row[i] != '\t' {
			continue
		}
		if col++; col == 3 {
			v := row[i+1:]
			if len(v) < 7 || v[4] != '-' {
				return 0, false
			}
			y, err1 := strconv.Atoi(string(v[:4]))
			m, err2 := strconv.Atoi(string(v[5:7]))
			if err1 != nil || err2 != nil || m < 1 || m > 12 {
				return 0, false
			}
			return y*12 + m - 1, true
		}
	}
	return 0, false
}

// archiveTime is t in UTC, or zero outside years 1-9999.
func archiveTime(t time.Time) time.Time {
	if t.IsZero() || t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}
	}
	return t.UTC()
}

// appendCopyTime appends t (from archiveTime) for a timestamptz column,
// or \N when zero.
func appendCopyTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, `\N`...)
	}
	return appendCopyNano(dst, t)
}

// appendCopyNano appends t as RFC 3339 in UTC with every fractional digit
// it has, or \N when zero.
func appendCopyNano(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return append(dst, `\N`...)
	}
	return t.AppendFormat(dst, time.RFC3339Nano)
}

// appendCopyText appends s as a COPY text value, \N when empty.
func appendCopyText(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, `\N`...)
	}
	return appendCopyEscaped(dst, s, false)
}

// appendCopyEscaped appends s escaped for COPY text format, U+0000 and
// invalid UTF-8 replaced by U+FFFD; inArray also escapes '"' and '\' for
// a quoted array element (before COPY's own escaping).
func appendCopyEscaped(dst []byte, s string, inArray bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = utf8.AppendRune(dst, utf8.RuneError)
			} else {
				dst = append(dst, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch c {
		case 0:
			dst = utf8.AppendRune(dst, utf8.RuneError)
		case '\\':
			if inArray {
				dst = append(dst, `\\\\`...) // the array's \\, each doubled for COPY
			} else {
				dst = append(dst, `\\`...)
			}
		case '"':
			if inArray {
				dst = append(dst, `\\"`...)
			} else {
				dst = append(dst, '"')
			}
		case '\t':
			dst = append(dst, `\t`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\r':
			dst = append(dst, `\r`...)
		default:
			dst = append(dst, c)
		}
		i++
	}
	return dst
}

// appendCopyEvidence appends an alert's evidence (a JSON array) as a
// text[] value: its strings in order, other elements left out; \N when
// there is no array.
func appendCopyEvidence(dst []byte, raw []byte) []byte {
	if len(raw) == 0 {
		return append(dst, `\N`...)
	}
	dst = append(dst, '{')
	first := true
	for v := range event.Strings(raw) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = append(dst, '"')
		dst = appendCopyEscaped(dst, v, true)
		dst = append(dst, '"')
	}
	return append(dst, '}')
}
