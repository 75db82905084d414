package transform

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/event"
)

// The archive (forward SINK=postgres) takes each record as one tuple of
// Postgres's binary COPY format, tagged with the table it belongs to: the
// first byte is ArchiveEventRow or ArchiveAlertRow, then the field count
// (int16) and each field as its length (int32, -1 for NULL) and its value
// in the type's binary form. The columns, in order, are ArchiveEventColumns
// and ArchiveAlertColumns: the sink's COPY names them and adds the format's
// header and trailer (ArchiveCopyHeader, ArchiveCopyTrailer).
//
// Binary rather than text: Postgres spent a fifth of its time parsing the
// text rows (timestamps, escaped bytea), and forward a fifth of its own
// escaping them; binary values are copied as they are.
const (
	ArchiveEventRow byte = 'e'
	ArchiveAlertRow byte = 'a'
)

// ArchiveCopyHeader starts and ArchiveCopyTrailer ends a binary COPY
// stream of archive rows (without their tags).
var (
	ArchiveCopyHeader  = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	ArchiveCopyTrailer = []byte{0xff, 0xff}
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

// archiveKeyPrefix starts an ID that ArchiveKey wrote in hex.
const archiveKeyPrefix = `\x`

// ArchiveKey is an eventId (or alert id) as the archive's key column holds
// it: as it is, unless Postgres text cannot hold it (U+0000, invalid
// UTF-8) or it starts with \x; then \x and the hex of its bytes. Text
// would turn U+0000 and invalid bytes into U+FFFD, so "id\x00", "id\xff"
// and "id\uFFFD" would be one key and two of the three events silently
// not archived; the key must be one-to-one, as eventIds are.
func ArchiveKey(id string) string {
	if strings.IndexByte(id, 0) < 0 && utf8.ValidString(id) && !strings.HasPrefix(id, archiveKeyPrefix) {
		return id
	}
	return archiveKeyPrefix + hex.EncodeToString([]byte(id))
}

// archiveIngestionField is the index of ingestion_time in an event row.
const archiveIngestionField = 3

// AppendArchive appends ev as one archive row (see ArchiveEventRow).
//
// Text columns are NULL when empty. Postgres text cannot hold U+0000 or
// invalid UTF-8: there they become U+FFFD, while raw keeps the record's
// exact bytes (bytea), so nothing is lost. The timestamptz columns hold
// microseconds, rounded half to even as Postgres rounds a time it reads
// as text; event_timestamp and ingestion_timestamp keep the nanoseconds as
// RFC 3339 text in UTC. ingestion_time, the partition key, is
// ingestionTimestamp, else eventTimestamp (set Ingested beforehand for
// records with neither); a time outside years 1-9999 counts as absent.
func AppendArchive(dst []byte, ev *event.Event) []byte {
	if ev.Kind == event.KindAlert {
		return appendArchiveAlert(dst, ev)
	}
	at := archiveTime(ev.Time)
	ingested := archiveTime(ev.Ingested)
	if ingested.IsZero() {
		ingested = at
	}
	dst = append(dst, ArchiveEventRow)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(ArchiveEventColumns)))
	dst = appendCopyText(dst, ArchiveKey(ev.ID))
	dst = appendCopyText(dst, ev.Type)
	dst = appendCopyTime(dst, at)
	dst = appendCopyTime(dst, ingested)
	dst = appendCopyNano(dst, at)
	dst = appendCopyNano(dst, ingested)
	for _, v := range [...]string{ev.ActorID, ev.ActorEmail, ev.ActorName, ev.TargetID, ev.TargetEmail, ev.TargetName,
		ev.AppID, ev.AppName, ev.Outcome, ev.SourceIP, ev.Country,
		ev.PrevAccountType, ev.NewAccountType, ev.PrevRole, ev.NewRole, ev.PrevLicense, ev.NewLicense, ev.Topic} {
		dst = appendCopyText(dst, v)
	}
	return appendArchiveTail(dst, ev)
}

func appendArchiveAlert(dst []byte, ev *event.Event) []byte {
	dst = append(dst, ArchiveAlertRow)
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(ArchiveAlertColumns)))
	for _, v := range [...]string{ArchiveKey(ev.ID), ev.Type, ev.Severity, ev.Title, ev.ActorID, ev.ActorEmail, ev.AppID, ev.AppName} {
		dst = appendCopyText(dst, v)
	}
	dst = appendCopyTime(dst, archiveTime(ev.WindowStart))
	dst = appendCopyTime(dst, archiveTime(ev.WindowEnd))
	dst = appendCopyTime(dst, archiveTime(ev.Time))
	if ev.Count != 0 {
		dst = appendCopyInt64(dst, ev.Count)
	} else {
		dst = appendCopyNull(dst)
	}
	dst = appendCopyEvidence(dst, ev.Evidence)
	dst = appendCopyText(dst, ev.Mitre)
	dst = appendCopyText(dst, ev.Topic)
	return appendArchiveTail(dst, ev)
}

// appendArchiveTail appends partition, offset and raw.
func appendArchiveTail(dst []byte, ev *event.Event) []byte {
	if ev.Topic != "" {
		dst = binary.BigEndian.AppendUint32(dst, 4)
		dst = binary.BigEndian.AppendUint32(dst, uint32(int32(ev.Partition)))
		dst = appendCopyInt64(dst, ev.Offset)
	} else {
		dst = appendCopyNull(appendCopyNull(dst))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(ev.Raw)))
	return append(dst, ev.Raw...)
}

// ArchiveRowMonth returns the month of an event row's ingestion_time (its
// partition), as year*12 + month - 1, reading the row without its tag;
// ok is false when the row has none.
func ArchiveRowMonth(row []byte) (month int, ok bool) {
	if len(row) < 2 || int(binary.BigEndian.Uint16(row)) <= archiveIngestionField {
		return 0, false
	}
	row = row[2:]
	for f := 0; ; f++ {
		if len(row) < 4 {
			return 0, false
		}
		n := int32(binary.BigEndian.Uint32(row))
		row = row[4:]
		if f == archiveIngestionField {
			if n != 8 || len(row) < 8 {
				return 0, false
			}
			t := time.UnixMicro(pgEpoch.UnixMicro() + int64(binary.BigEndian.Uint64(row))).UTC()
			return t.Year()*12 + int(t.Month()) - 1, true
		}
		if n < 0 {
			continue
		}
		if int(n) > len(row) {
			return 0, false
		}
		row = row[n:]
	}
}

// pgEpoch is where Postgres counts timestamps from.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// archiveTime is t in UTC, or zero outside years 1-9999 in UTC (not t's
// own zone: the columns and partitions count UTC years), judged also
// after rounding to the microsecond as the timestamptz columns hold it
// (the last half microsecond of 9999 is 10000 there).
func archiveTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	if t = t.UTC(); t.Year() < 1 || t.Round(time.Microsecond).Year() > 9999 {
		return time.Time{}
	}
	return t
}

func appendCopyNull(dst []byte) []byte { return append(dst, 0xff, 0xff, 0xff, 0xff) }

func appendCopyInt64(dst []byte, v int64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, 8)
	return binary.BigEndian.AppendUint64(dst, uint64(v))
}

// appendCopyTime appends t (from archiveTime) as a timestamptz:
// microseconds since 2000-01-01 UTC, rounded half to even; NULL when zero.
func appendCopyTime(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return appendCopyNull(dst)
	}
	ns := t.Nanosecond()
	us := (t.Unix()-pgEpoch.Unix())*1e6 + int64(ns/1000)
	if rem := ns % 1000; rem > 500 || rem == 500 && us&1 == 1 {
		us++
	}
	return appendCopyInt64(dst, us)
}

// appendCopyNano appends t as RFC 3339 text in UTC with every fractional
// digit it has, or NULL when zero.
func appendCopyNano(dst []byte, t time.Time) []byte {
	if t.IsZero() {
		return appendCopyNull(dst)
	}
	at := len(dst)
	dst = t.AppendFormat(append(dst, 0, 0, 0, 0), time.RFC3339Nano)
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

// appendCopyText appends s as a text value, NULL when empty.
func appendCopyText(dst []byte, s string) []byte {
	if s == "" {
		return appendCopyNull(dst)
	}
	at := len(dst)
	dst = appendPgText(append(dst, 0, 0, 0, 0), s)
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}

// appendPgText appends s as Postgres text holds it: U+0000 and invalid
// UTF-8 as U+FFFD, the rest as it is.
func appendPgText(dst []byte, s string) []byte {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 {
			r = utf8.RuneError
		}
		if r == utf8.RuneError {
			dst = utf8.AppendRune(dst, r)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return dst
}

// textOID is the type of the evidence array's elements, which a binary
// array names.
const textOID = 25

// appendCopyEvidence appends an alert's evidence (a JSON array) as a
// text[] value: its strings in order, other elements left out; NULL when
// there is no array.
func appendCopyEvidence(dst []byte, raw []byte) []byte {
	if len(raw) == 0 {
		return appendCopyNull(dst)
	}
	at := len(dst)
	// length, dimensions, has-nulls, element type, then the one dimension's
	// size and lower bound, patched once the elements are counted.
	dst = append(dst, make([]byte, 4*6)...)
	binary.BigEndian.PutUint32(dst[at+12:], textOID)
	n := 0
	for v := range event.Strings(raw) {
		e := len(dst)
		dst = append(append(dst, 0, 0, 0, 0), ArchiveKey(v)...) // event IDs, as event_id holds them
		binary.BigEndian.PutUint32(dst[e:], uint32(len(dst)-e-4))
		n++
	}
	if n == 0 {
		dst = dst[:at+16] // no dimensions: an empty array
	} else {
		binary.BigEndian.PutUint32(dst[at+4:], 1)
		binary.BigEndian.PutUint32(dst[at+16:], uint32(n))
		binary.BigEndian.PutUint32(dst[at+20:], 1)
	}
	binary.BigEndian.PutUint32(dst[at:], uint32(len(dst)-at-4))
	return dst
}
