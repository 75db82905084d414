package transform

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/event"
)

// checkArchive checks an archive row: its table tag, one value per column
// of its table and nothing after them, every text value valid UTF-8
// without NUL, the ID as the first column and the exact bytes of the
// record in the last.
func checkArchive(t *testing.T, name string, ev *event.Event) {
	t.Helper()
	row := AppendArchive(nil, ev)
	tag, cols := ArchiveEventRow, ArchiveEventColumns
	if ev.Kind == event.KindAlert {
		tag, cols = ArchiveAlertRow, ArchiveAlertColumns
	}
	if len(row) < 3 || row[0] != tag {
		t.Errorf("AppendArchive(%s) = %.300q: want tag %q", name, row, tag)
		return
	}
	fields, err := archiveFields(row[1:])
	if err != nil || len(fields) != len(cols) {
		t.Errorf("AppendArchive(%s) has %d columns (%v), want %d: %.300q", name, len(fields), err, len(cols), row)
		return
	}
	for i, f := range fields {
		if archiveColumnType(cols[i]) == "text" && f != nil && (bytes.IndexByte(f, 0) >= 0 || !utf8.Valid(f)) {
			t.Errorf("AppendArchive(%s) %s = %.300q: want valid UTF-8 without NUL", name, cols[i], f)
		}
	}
	// The ID as it is when text holds it, else \x and its bytes in hex
	// (one key per ID: see ArchiveKey).
	want := ev.ID
	if strings.IndexByte(want, 0) >= 0 || !utf8.ValidString(want) || strings.HasPrefix(want, `\x`) {
		want = `\x` + hex.EncodeToString([]byte(ev.ID))
	}
	if got := string(fields[0]); got != want {
		t.Errorf("AppendArchive(%s) id = %q, want %q", name, got, want)
	}
	if ev.Kind == event.KindEvent {
		m, ok := ArchiveRowMonth(row[1:])
		ing := archiveValues(row)[3]
		if want := ing != `\N`; ok != want || ok && fmt.Sprintf("%04d-%02d", m/12, m%12+1) != ing[:7] {
			t.Errorf("ArchiveRowMonth(%s) = %d, %v; want the month of %s", name, m, ok, ing)
		}
	}
	if raw := fields[len(fields)-1]; !bytes.Equal(raw, ev.Raw) {
		t.Errorf("AppendArchive(%s) raw = %.100q, want the record's bytes %.100q", name, raw, ev.Raw)
	}
}

// archiveFields splits a binary COPY tuple (an archive row without its
// tag) into its fields, nil for NULL.
func archiveFields(row []byte) ([][]byte, error) {
	if len(row) < 2 {
		return nil, fmt.Errorf("no field count")
	}
	n := int(binary.BigEndian.Uint16(row))
	row = row[2:]
	var fields [][]byte
	for range n {
		if len(row) < 4 {
			return fields, fmt.Errorf("field %d: no length", len(fields))
		}
		l := int32(binary.BigEndian.Uint32(row))
		row = row[4:]
		switch {
		case l < 0:
			fields = append(fields, nil)
		case int(l) > len(row):
			return fields, fmt.Errorf("field %d: %d bytes, %d left", len(fields), l, len(row))
		default:
			fields = append(fields, row[:l:l])
			row = row[l:]
		}
	}
	if len(row) != 0 {
		return fields, fmt.Errorf("%d bytes after the fields", len(row))
	}
	return fields, nil
}

// archiveColumnType is the Postgres type of an archive column.
func archiveColumnType(col string) string {
	switch col {
	case "event_time", "ingestion_time", "window_start", "window_end":
		return "timestamptz"
	case "kafka_partition", "kafka_offset", "event_count":
		return "integer"
	case "evidence":
		return "text[]"
	case "raw":
		return "bytea"
	}
	return "text"
}

// archiveValues decodes an archive row into its values, as strings: \N
// for NULL, a timestamptz as RFC 3339 in UTC, an integer in decimal, a
// text[] as {"a","b"} (Go's quoting), text and bytea as they are. It
// panics on a row that does not decode.
func archiveValues(row []byte) []string {
	cols := ArchiveEventColumns
	if row[0] == ArchiveAlertRow {
		cols = ArchiveAlertColumns
	}
	fields, err := archiveFields(row[1:])
	if err != nil || len(fields) != len(cols) {
		panic(fmt.Sprintf("row %.300q: %d fields, %v", row, len(fields), err))
	}
	vals := make([]string, len(fields))
	for i, f := range fields {
		vals[i] = archiveValue(archiveColumnType(cols[i]), f)
	}
	return vals
}

func archiveValue(typ string, f []byte) string {
	if f == nil {
		return `\N`
	}
	switch typ {
	case "timestamptz":
		us := int64(binary.BigEndian.Uint64(f))
		return time.UnixMicro(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() + us).UTC().Format(time.RFC3339Nano)
	case "integer":
		if len(f) == 4 {
			return strconv.Itoa(int(int32(binary.BigEndian.Uint32(f))))
		}
		return strconv.FormatInt(int64(binary.BigEndian.Uint64(f)), 10)
	case "text[]":
		// dimensions, has-nulls, element type (text), then the one
		// dimension's size and lower bound, then the elements.
		if binary.BigEndian.Uint32(f[8:]) != 25 {
			panic(fmt.Sprintf("array of type %d, want text (25)", binary.BigEndian.Uint32(f[8:])))
		}
		if binary.BigEndian.Uint32(f) == 0 {
			return "{}"
		}
		n := int(binary.BigEndian.Uint32(f[12:]))
		f = f[20:]
		elems := make([]string, n)
		for i := range elems {
			l := binary.BigEndian.Uint32(f)
			elems[i] = strconv.Quote(string(f[4 : 4+l]))
			f = f[4+l:]
		}
		return "{" + strings.Join(elems, ",") + "}"
	}
	return string(f)
}

// appendArchiveText renders an archive row as one line for the golden
// files, as the archive's COPY text rows were: the tag, then the values of
// archiveValues separated by tabs, backslashes, tabs, newlines and
// carriage returns escaped, raw as a bytea in escape format (control
// characters, DEL and invalid bytes as \\ooo, backslashes doubled).
func appendArchiveText(dst []byte, ev *event.Event) []byte {
	row := AppendArchive(nil, ev)
	vals := archiveValues(row)
	dst = append(dst, row[0])
	copyText := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, '\t')
		}
		if v == `\N` {
			dst = append(dst, v...)
			continue
		}
		if i < len(vals)-1 {
			dst = append(dst, copyText.Replace(v)...)
			continue
		}
		for j := 0; j < len(v); {
			r, n := utf8.DecodeRuneInString(v[j:])
			switch {
			case r == '\\':
				dst = append(dst, `\\\\`...)
			case r < 0x20 || r == 0x7f || r == utf8.RuneError && n == 1:
				dst = fmt.Appendf(dst, `\\%03o`, v[j])
			default:
				dst = append(dst, v[j:j+n]...)
			}
			j += n
		}
	}
	return append(dst, '\n')
}

func TestArchiveValues(t *testing.T) {
	ev, err := event.Parse([]byte(`{"eventId":"e\u0000\\1","eventType":"RoleChanged","eventTimestamp":"2026-11-20T10:00:00.123456789Z",`+
		`"ingestionTimestamp":"2026-11-20T12:00:00.000000001+02:00","actor":{"memberId":"m1"},`+
		`"metadata":{"oldRole":"Viewer","roleAfter":"Builder\tX\n"},"payload":{"previousLicenseType":"Explorer","newLicenseType":"Editor"}}`), event.KindEvent)
	if err != nil {
		t.Fatal(err)
	}
	ev.Topic, ev.Partition, ev.Offset = "pigment.audit.events", 2, 41
	got := archiveValues(AppendArchive(nil, &ev))
	col := func(name string) string {
		for i, c := range ArchiveEventColumns {
			if c == name {
				return got[i]
			}
		}
		t.Fatalf("no column %s", name)
		return ""
	}
	for _, c := range []struct{ name, want string }{
		{"event_id", `\x65005c31`},                    // U+0000: the bytes in hex (ArchiveKey), not U+FFFD
		{"event_time", "2026-11-20T10:00:00.123457Z"}, // microseconds, as Postgres keeps them
		{"event_timestamp", "2026-11-20T10:00:00.123456789Z"},
		{"ingestion_time", "2026-11-20T10:00:00Z"},
		{"ingestion_timestamp", "2026-11-20T10:00:00.000000001Z"},
		{"previous_role", "Viewer"},
		{"new_role", "Builder\tX\n"},
		{"previous_license_type", "Explorer"},
		{"new_license_type", "Editor"},
		{"previous_account_type", `\N`},
		{"kafka_topic", "pigment.audit.events"},
		{"kafka_partition", "2"},
		{"kafka_offset", "41"},
		{"outcome", `\N`},
	} {
		if g := col(c.name); g != c.want {
			t.Errorf("AppendArchive %s = %q, want %q", c.name, g, c.want)
		}
	}
}

// TestArchiveKey: one key per eventId, the usual ones as they are.
func TestArchiveKey(t *testing.T) {
	seen := map[string]string{}
	for _, id := range []string{"0d2b9e32-66ba-54f4-9eee-782c6431c031", "id", "id\x00", "id\xff", "id\uFFFD", `\x6964`, `\x`, `\`, ""} {
		k := ArchiveKey(id)
		if other, ok := seen[k]; ok {
			t.Errorf("ArchiveKey(%q) = ArchiveKey(%q) = %q", id, other, k)
		}
		seen[k] = id
		if !utf8.ValidString(k) || strings.IndexByte(k, 0) >= 0 {
			t.Errorf("ArchiveKey(%q) = %q: not Postgres text", id, k)
		}
	}
	if k := ArchiveKey("0d2b9e32-66ba-54f4-9eee-782c6431c031"); k != "0d2b9e32-66ba-54f4-9eee-782c6431c031" {
		t.Errorf("ArchiveKey of a UUID = %q, want it as it is", k)
	}
}

func TestArchiveAlert(t *testing.T) {
	ev, err := event.Parse([]byte(`{"id":"a1","rule":"r","severity":"high","count":25,"window":{"start":"2026-11-20T10:00:00Z","end":"2026-11-20T11:00:00Z"},`+
		`"lastEventTime":"2026-11-20T10:04:00Z","evidence":["e1","q\"\\,{}",7,"t\tz"]}`), event.KindAlert)
	if err != nil {
		t.Fatal(err)
	}
	got := archiveValues(AppendArchive(nil, &ev))
	want := []string{"a1", "r", "high", `\N`, `\N`, `\N`, `\N`, `\N`, "2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z",
		"2026-11-20T10:04:00Z", "25", `{"e1","q\"\\,{}","t\tz"}`, `\N`, `\N`, `\N`, `\N`}
	for i, w := range want {
		if got[i] != w {
			t.Errorf("AppendArchive(alert) %s = %q, want %q", ArchiveAlertColumns[i], got[i], w)
		}
	}
}

// TestArchiveTimes: a time outside years 1-9999 is absent, and the
// partition key falls back to the event time.
func TestArchiveTimes(t *testing.T) {
	ev := event.Event{ID: "e", Time: time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC), Ingested: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}
	got := archiveValues(AppendArchive(nil, &ev))
	if got[3] != "2019-01-02T03:04:05Z" {
		t.Errorf("AppendArchive ingestion_time = %q, want the event time", got[3])
	}
}

// TestArchiveMicroseconds: a timestamptz keeps microseconds, rounded half
// to even, as Postgres rounds the nanoseconds of a time it reads as text.
func TestArchiveMicroseconds(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
	}{
		{"2026-11-20T10:00:00.0000004Z", "2026-11-20T10:00:00Z"},
		{"2026-11-20T10:00:00.0000005Z", "2026-11-20T10:00:00Z"},
		{"2026-11-20T10:00:00.0000015Z", "2026-11-20T10:00:00.000002Z"},
		{"2026-11-20T10:00:00.0000025Z", "2026-11-20T10:00:00.000002Z"},
		{"2026-11-20T10:00:00.000002501Z", "2026-11-20T10:00:00.000003Z"},
		{"2026-11-20T10:00:00.9999996Z", "2026-11-20T10:00:01Z"},
		{"1999-12-31T23:59:59.9999995Z", "2000-01-01T00:00:00Z"},
		{"1970-01-01T00:00:00.0000015Z", "1970-01-01T00:00:00.000002Z"},
	} {
		at, err := time.Parse(time.RFC3339Nano, c.in)
		if err != nil {
			t.Fatal(err)
		}
		ev := event.Event{ID: "e", Time: at}
		if got := archiveValues(AppendArchive(nil, &ev))[2]; got != c.want {
			t.Errorf("AppendArchive event_time of %s = %s, want %s", c.in, got, c.want)
		}
	}
}

func BenchmarkArchive(b *testing.B) { benchFormat(b, AppendArchive) }

func TestArchiveRowMonth(t *testing.T) {
	for _, c := range []struct {
		ingested string
		want     int
		ok       bool
	}{
		{"2026-11-30T23:59:59.999Z", 2026*12 + 10, true},
		{"2100-01-01T00:00:00Z", 2100 * 12, true},
		{"1999-12-31T23:59:59.5Z", 1999*12 + 11, true}, // before Postgres's epoch
		{"0001-01-02T00:00:00Z", 12, true},
		{"", 0, false},
	} {
		ev := event.Event{ID: "e", Raw: []byte("{}")}
		if c.ingested != "" {
			ev.Ingested, _ = time.Parse(time.RFC3339Nano, c.ingested)
		}
		m, ok := ArchiveRowMonth(AppendArchive(nil, &ev)[1:])
		if m != c.want || ok != c.ok {
			t.Errorf("ArchiveRowMonth(%s) = %d, %v; want %d, %v", c.ingested, m, ok, c.want, c.ok)
		}
	}
}

// TestArchiveTimeRoundsPastYear9999: a time that rounds to the microsecond
// past year 9999 is outside years 1-9999 too, as Postgres would hold it:
// its month would be a partition named with a five-digit year, which the
// sink cannot read back.
func TestArchiveTimeRoundsPastYear9999(t *testing.T) {
	ev := event.Event{ID: "e", Time: time.Date(2019, 1, 2, 3, 4, 5, 0, time.UTC),
		Ingested: time.Date(9999, 12, 31, 23, 59, 59, 999999500, time.UTC), Raw: []byte("{}")}
	row := AppendArchive(nil, &ev)
	if m, ok := ArchiveRowMonth(row[1:]); !ok || m != 2019*12 {
		t.Errorf("ArchiveRowMonth = %d, %v; want January 2019 (the event time's)", m, ok)
	}
}

// TestArchiveTimeYearsInUTC: the years 1-9999 that archiveTime keeps are
// UTC years, as the timestamptz columns and the partitions count them, not
// those of t's own zone.
func TestArchiveTimeYearsInUTC(t *testing.T) {
	east, west := time.FixedZone("E", 14*3600), time.FixedZone("W", -12*3600)
	tests := []struct {
		in   time.Time
		keep bool
	}{
		{time.Date(1, 1, 1, 0, 30, 0, 0, east), false},      // 0000-12-31T10:30Z
		{time.Date(9999, 12, 31, 23, 0, 0, 0, west), false}, // 10000-01-01T11:00Z
		{time.Date(1, 1, 1, 0, 30, 0, 0, west), true},       // 0001-01-01T12:30Z
		{time.Date(9999, 12, 31, 23, 0, 0, 0, east), true},  // 9999-12-31T09:00Z
		{time.Date(9999, 12, 31, 23, 59, 59, 999999499, time.UTC), true},
		{time.Date(9999, 12, 31, 23, 59, 59, 999999500, time.UTC), false},
	}
	for _, tt := range tests {
		if got := !archiveTime(tt.in).IsZero(); got != tt.keep {
			t.Errorf("archiveTime(%v) kept = %v, want %v", tt.in, got, tt.keep)
		}
	}
}
