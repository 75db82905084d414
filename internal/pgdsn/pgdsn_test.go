package pgdsn

import (
	"bytes"
	"context"
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
