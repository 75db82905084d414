package pgdsn

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const pw = "p4ss w0rd"

// TestRedact writes one database in every form DATABASE_URL accepts: the
// password is gone, the rest stays readable.
func TestRedact(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://u:p4ss%20w0rd@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=disable"},
		{"postgresql://u@h/db?password=p4ss+w0rd&sslmode=disable", "postgresql://u@h/db?password=xxxxx&sslmode=disable"},
		{"postgres://u@h/db?sslpassword=p4ss", "postgres://u@h/db?sslpassword=xxxxx"},
		{"postgres://u@h/db?sslmode=disable", "postgres://u@h/db?sslmode=disable"},
		{"host=h user=u password='p4ss w0rd' dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{"host=h user=u password = 'p4ss w0rd' dbname=db", "host=h user=u password=xxxxx dbname=db"},
		{`host=h password=p4ss\ w0rd`, "host=h password=xxxxx"},
		{`password='it\'s' host=h`, "password=xxxxx host=h"},
		{"host=h password='unterminated", "(unreadable database connection string)"},
		{"postgres://u:p@h:notaport/db", "(unreadable database URL)"},
	}
	for _, tt := range tests {
		if got := Redact(tt.dsn); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestScrubPgxErrors opens pools the way the programs do, on DSNs pgx
// refuses or cannot connect with: no error message holds the password or a
// word of it, and errors.Is still sees through.
func TestScrubPgxErrors(t *testing.T) {
	dsns := []string{
		"postgres://u:p4ss%20w0rd@127.0.0.1:1/db?sslmode=disable",
		"postgres://u@127.0.0.1:1/db?sslmode=disable&password=p4ss%20w0rd",
		"postgres://u@127.0.0.1:1/db?sslmode=bogus&password=p4ss%20w0rd",
		"host=127.0.0.1 port=1 user=u password='p4ss w0rd' sslmode=disable",
		"host=127.0.0.1 port=1 user=u password = 'p4ss w0rd' sslmode=bogus",
		`host=127.0.0.1 port=1 user=u password=p4ss\ w0rd sslmode=bogus`,
		"host=127.0.0.1 port=notaport password = 'p4ss w0rd'",
	}
	for _, dsn := range dsns {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		var err error
		pool, err := pgxpool.New(ctx, dsn)
		if err == nil {
			err = pool.Ping(ctx)
			pool.Close()
		}
		cancel()
		if err == nil {
			t.Errorf("pgxpool on %q: no error, want one", dsn)
			continue
		}
		got := Scrub(err, dsn)
		for _, s := range []string{"p4ss", "w0rd"} {
			if strings.Contains(got.Error(), s) {
				t.Errorf("Scrub(%q) = %q, holds %q", dsn, got, s)
			}
		}
		if !errors.Is(got, err) {
			t.Errorf("Scrub(%q) hides the original error from errors.Is", dsn)
		}
	}
	if Scrub(nil, dsns[0]) != nil {
		t.Error("Scrub(nil) != nil")
	}
}

// TestWriter scrubs log lines, JSON-escaped forms included.
func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	w := Writer(&buf, `host=h password='a"b\\c d'`)
	if _, err := w.Write([]byte(`{"msg":"x","dsn":"host=h password='a\"b\\c d'"}` + "\n")); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); strings.Contains(got, `a\"b`) || strings.Contains(got, `a"b`) {
		t.Errorf("Writer output %q holds the password", got)
	}
}

// TestWriterRedactsThePasswordNotItsWords: a password whose words are
// common in our logs hides as a whole, in every form it is written, and the
// same words elsewhere in a line stay readable. Each word used to be
// replaced everywhere: the topic pigment.audit.events came out as
// pigment.xxxxx.xxxxx.
func TestWriterRedactsThePasswordNotItsWords(t *testing.T) {
	dsns := []string{
		"postgres://u:audit%20events@h/db",
		"postgres://u@h/db?password=audit+events",
		"host=h user=u password='audit events'",
		`host=h user=u password=audit\ events`,
	}
	lines := []struct{ in, want string }{
		{`{"topic":"pigment.audit.events","level":"info"}`, `{"topic":"pigment.audit.events","level":"info"}`},
		{`{"pw":"audit events","topic":"pigment.audit.events"}`, `{"pw":"xxxxx","topic":"pigment.audit.events"}`},
		{`{"url":"postgres://u:audit%20events@h/db"}`, `{"url":"postgres://u:xxxxx@h/db"}`},
		{`{"q":"?password=audit+events&sslmode=disable"}`, `{"q":"?password=xxxxx&sslmode=disable"}`},
		{`{"kv":"host=h password='audit events' dbname=db"}`, `{"kv":"host=h password=xxxxx dbname=db"}`},
		{`{"kv":"host=h password=audit\\ events dbname=db"}`, `{"kv":"host=h password=xxxxx dbname=db"}`},
	}
	for _, dsn := range dsns {
		for _, l := range lines {
			var buf bytes.Buffer
			if _, err := Writer(&buf, dsn).Write([]byte(l.in)); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != l.want {
				t.Errorf("Writer(%q) wrote %s as %s, want %s", dsn, l.in, got, l.want)
			}
		}
	}
}

// TestDSNShapedTextIsRedacted: a connection string other than DATABASE_URL
// (a library quoting its own, a second database) loses its password too,
// wherever it appears in an error or a log line.
func TestDSNShapedTextIsRedacted(t *testing.T) {
	tests := []struct{ in, want string }{
		{`dial postgres://bob:s3cr3t@db:5432/x failed`, `dial postgres://bob:xxxxx@db:5432/x failed`},
		{`open postgresql://h/x?sslmode=disable&password=s3cr3t&user=bob`, `open postgresql://h/x?sslmode=disable&password=xxxxx&user=bob`},
		{`cannot parse host=h password='s3 cr3t' user=bob`, `cannot parse host=h password=xxxxx user=bob`},
		{`cannot parse host=h PassWord = s3cr3t user=bob`, `cannot parse host=h PassWord=xxxxx user=bob`},
		{`cannot parse host=h sslpassword=s3\ cr3t user=bob`, `cannot parse host=h sslpassword=xxxxx user=bob`},
		{`cannot parse host=h password='it\'s' user=bob`, `cannot parse host=h password=xxxxx user=bob`},
		{`no password here: pigment.audit.events`, `no password here: pigment.audit.events`},
	}
	const dsn = "postgres://u:other@h/db"
	for _, tt := range tests {
		if got := Scrub(errors.New(tt.in), dsn).Error(); got != tt.want {
			t.Errorf("Scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
		var buf bytes.Buffer
		line, _ := json.Marshal(map[string]string{"error": tt.in})
		want, _ := json.Marshal(map[string]string{"error": tt.want})
		if _, err := Writer(&buf, dsn).Write(line); err != nil {
			t.Fatal(err)
		}
		if got := buf.String(); got != string(want) {
			t.Errorf("Writer wrote %s as %s, want %s", line, got, want)
		}
	}
}
