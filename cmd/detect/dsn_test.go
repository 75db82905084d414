package main

import (
	"strings"
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestDatabaseErrorsNeverShowThePassword runs `detect run` where its
// database cannot be used, with DATABASE_URL in each form that carries a
// password: it exits 1 and the password appears nowhere in its output.
func TestDatabaseErrorsNeverShowThePassword(t *testing.T) {
	t.Parallel()
	const pw = "Det3ctPw 7z"
	_, brokers := testkit.MustKafka(t)
	dsns := map[string]string{
		"url user:pass@ unreachable":   "postgres://postgres:Det3ctPw%207z@127.0.0.1:1/db?sslmode=disable",
		"url ?password= unreachable":   "postgres://postgres@127.0.0.1:1/db?sslmode=disable&password=Det3ctPw+7z",
		"keyword unreachable":          "host=127.0.0.1 port=1 user=postgres dbname=db sslmode=disable password='" + pw + "'",
		"keyword spaced, bad sslmode":  "host=127.0.0.1 user=postgres password = '" + pw + "' dbname=db sslmode=bogus",
		"keyword escaped, bad sslmode": `host=127.0.0.1 user=postgres dbname=db sslmode=bogus password=Det3ctPw\ 7z`,
		"url ?password=, bad sslmode":  "postgres://postgres@127.0.0.1:5432/db?sslmode=bogus&password=Det3ctPw+7z",
		"keyword, database not there":  "host=127.0.0.1 port=5432 user=postgres sslmode=disable dbname=" + strings.ReplaceAll(testkit.Name("nodb"), "-", "_") + " password='" + pw + "'",
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			p := testkit.Start(t, detectBin, map[string]string{"DATABASE_URL": dsn, "KAFKA_BROKERS": brokers,
				"METRICS_ADDR": "127.0.0.1:0", "LOG_LEVEL": "debug"}, "run")
			if code := p.Wait(30 * time.Second); code != 1 {
				t.Errorf("detect run exited %d, want 1", code)
			}
			out := p.Stdout() + p.Stderr()
			for _, s := range []string{"Det3ctPw", "7z"} {
				if strings.Contains(out, s) {
					t.Errorf("the database password (%q) appears in the output:\n%s", s, out)
				}
			}
		})
	}
}
