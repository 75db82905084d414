package transform

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pigment-siem/pipeline/internal/event"
)

// checkArchive checks an archive row: its table tag, one line of valid
// UTF-8 without NUL, the number of columns of its table, the ID as the
// first column and the exact bytes of the record in the last.
func checkArchive(t *testing.T, name string, ev *event.Event) {
	t.Helper()
	row := AppendArchive(nil, ev)
	tag, cols := ArchiveEventRow, ArchiveEventColumns
	if ev.Kind == event.KindAlert {
		tag, cols = ArchiveAlertRow, ArchiveAlertColumns
	}
	if len(row) < 2 || row[0] != tag || row[len(row)-1] != '\n' {
		t.Errorf("AppendArchive(%s) = %.300q: want tag %q and a final newline", name, row, tag)
		return
	}
	line := row[1 : len(row)-1]
	if bytes.ContainsAny(line, "\n\r\x00") || !utf8.Valid(line) {
		t.Errorf("AppendArchive(%s) = %.300q: want one line of valid UTF-8 without NUL", name, row)
	}
	fields := bytes.Split(line, []byte("\t"))
	if len(fields) != len(cols) {
		t.Errorf("AppendArchive(%s) has %d columns, want %d: %.300q", name, len(fields), len(cols), row)
		return
	}
	// Map turns each invalid byte into U+FFFD, as the format does; NUL too.
	want := strings.Map(func(r rune) rune {
		if r == 0 {
			return utf8.RuneError
		}
		return r
	}, ev.ID)
	if got := unescapeCopy(string(fields[0])); got != want {
		t.Errorf("AppendArchive(%s) id = %q, want %q", name, got, want)
	}
	if ev.Kind == event.KindEvent {
		m, ok := ArchiveRowMonth(row[1:])
		ing := string(fields[3])
		if want := ing != `\N`; ok != want || ok && fmt.Sprintf("%04d-%02d", m/12, m%12+1) != ing[:7] {
			t.Errorf("ArchiveRowMonth(%s) = %d, %v; want the month of %s", name, m, ok, ing)
		}
	}
	if raw, err := unescapeBytea(fields[len(fields)-1]); err != nil || !bytes.Equal(raw, ev.Raw) {
		t.Errorf("AppendArchive(%s) raw = %.100q (%v), want the record's bytes %.100q", name, raw, err, ev.Raw)
	}
}

// unescapeBytea reads a COPY text value of a bytea in escape format, as
// Postgres does: \\\\ is a backslash, \\ooo a byte in octal.
func unescapeBytea(v []byte) ([]byte, error) {
	var out []byte
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' {
			out = append(out, v[i])
			continue
		}
		switch {
		case i+3 < len(v) && string(v[i:i+4]) == `\\\\`:
			out = append(out, '\\')
			i += 3
		case i+4 < len(v) && v[i+1] == '\\':
			n, err := strconv.ParseUint(string(v[i+2:i+5]), 8, 8)
			if err != nil {
				return out, err
			}
			out = append(out, byte(n))
			i += 4
		default:
			return out, fmt.Errorf("bad escape at %d", i)
		}
	}
	return out, nil
}

// unescapeCopy reads a COPY text value.
func unescapeCopy(s string) string {
	if s == `\N` {
		return ""
	}
	return strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r").Replace(s)
}

func TestArchiveValues(t *testing.T) {
	ev, err := event.Parse([]byte(`{"eventId":"e\u0000\\1","eventType":"RoleChanged","eventTimestamp":"2026-11-20T10:00:00.123456789Z",`+
		`"ingestionTimestamp":"2026-11-20T12:00:00.000000001+02:00","actor":{"memberId":"m1"},`+
		`"metadata":{"oldRole":"Viewer","roleAfter":"Builder\tX\n"},"payload":{"previousLicenseType":"Explorer","newLicenseType":"Editor"}}`), event.KindEvent)
	if err != nil {
		t.Fatal(err)
	}
	ev.Topic, ev.Partition, ev.Offset = "pigment.audit.events", 2, 41
	got := strings.Split(strings.TrimSuffix(string(AppendArchive(nil, &ev)[1:]), "\n"), "\t")
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
		{"event_id", "e\uFFFD\\\\1"},
		{"event_time", "2026-11-20T10:00:00.123456789Z"},
		{"ingestion_time", "2026-11-20T10:00:00.000000001Z"},
		{"ingestion_timestamp", "2026-11-20T10:00:00.000000001Z"},
		{"previous_role", "Viewer"},
		{"new_role", `Builder\tX\n`},
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

func TestArchiveAlert(t *testing.T) {
	ev, err := event.Parse([]byte(`{"id":"a1","rule":"r","severity":"high","count":25,"window":{"start":"2026-11-20T10:00:00Z","end":"2026-11-20T11:00:00Z"},`+
		`"lastEventTime":"2026-11-20T10:04:00Z","evidence":["e1","q\"\\,{}",7,"t\tz"]}`), event.KindAlert)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(string(AppendArchive(nil, &ev)[1:]), "\t")
	want := []string{"a1", "r", "high", `\N`, `\N`, `\N`, `\N`, `\N`, "2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z",
		"2026-11-20T10:04:00Z", "25", `{"e1","q\\"\\\\,{}","t\tz"}`, `\N`, `\N`, `\N`, `\N`}
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
	got := strings.Split(string(AppendArchive(nil, &ev)[1:]), "\t")
	if got[3] != "2019-01-02T03:04:05Z" {
		t.Errorf("AppendArchive ingestion_time = %q, want the event time", got[3])
	}
}

func BenchmarkArchive(b *testing.B) {
	raw := benchEvent(b)
	var buf []byte
	for b.Loop() {
		ev, err := event.Parse(raw, event.KindEvent)
		if err != nil {
			b.Fatal(err)
		}
		buf = AppendArchive(buf[:0], &ev)
	}
}

func TestArchiveRowMonth(t *testing.T) {
	for _, c := range []struct {
		ingested string
		want     int
		ok       bool
	}{
		{"2026-11-30T23:59:59.999Z", 2026*12 + 10, true},
		{"2100-01-01T00:00:00Z", 2100 * 12, true},
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
