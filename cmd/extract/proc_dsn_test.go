package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// dsnPassword has a space, so the keyword/value form must quote it.
const dsnPassword = "S3cr3tPw 9q"

// dsnForms writes the same database (dbURL, a postgres:// URL without a
// password) in every form DATABASE_URL accepts, each carrying dsnPassword.
func dsnForms(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	withUser := *u
	withUser.User = url.UserPassword(u.User.Username(), dsnPassword)
	withQuery := *u
	q := u.Query()
	q.Set("password", dsnPassword)
	withQuery.RawQuery = q.Encode()
	kv := "host=" + u.Hostname() + " port=" + u.Port() + " user=" + u.User.Username() + " dbname=" + db + " sslmode=disable"
	return map[string]string{
		"url user:pass@":              withUser.String(),
		"url ?password=":              withQuery.String(),
		"keyword password='…'":        kv + " password='" + dsnPassword + "'",
		"keyword password = '…'":      "password = '" + dsnPassword + "' " + kv,
		"keyword password=\\ escaped": kv + " password=" + strings.ReplaceAll(dsnPassword, " ", `\ `),
	}
}

// leaks reports whether out holds the password or a word of it.
func leaks(out string) bool {
	for _, s := range append(strings.Fields(dsnPassword), dsnPassword, url.QueryEscape(dsnPassword)) {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

// TestMigrateNeverLogsThePassword runs `extract migrate` at info level with
// DATABASE_URL in each form: it succeeds (the local Postgres trusts), logs
// the database it migrated, and the password appears nowhere.
func TestMigrateNeverLogsThePassword(t *testing.T) {
	t.Parallel()
	for name, dsn := range dsnForms(t, testkit.MustPostgres(t)) {
		t.Run(name, func(t *testing.T) {
			code, stdout, stderr := testkit.Run(t, extractBin, map[string]string{"DATABASE_URL": dsn, "LOG_LEVEL": "debug"}, "migrate")
			if code != 0 {
				t.Fatalf("extract migrate exited %d; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "migrations applied") {
				t.Errorf("extract migrate logged no success line:\n%s", stderr)
			}
			if leaks(stdout + stderr) {
				t.Errorf("the database password appears in the output of a successful migrate:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
			}
		})
	}
}

// TestDatabaseErrorsNeverShowThePassword runs `extract migrate` and
// `extract once` where the database cannot be used (nothing listening, a
// database that does not exist, a setting pgx refuses, so that its parse
// error quotes the string) with DATABASE_URL in each form: each fails, and
// the password appears nowhere.
func TestDatabaseErrorsNeverShowThePassword(t *testing.T) {
	t.Parallel()
	base := testkit.MustPostgres(t)
	u, _ := url.Parse(base)
	unreachable := *u
	unreachable.Host = "127.0.0.1:1"
	missing := *u
	missing.Path = "/" + strings.ReplaceAll(testkit.Name("nodb"), "-", "_")
	targets := map[string]string{"unreachable": unreachable.String(), "missing database": missing.String(), "bad sslmode": base}
	for cname, target := range targets {
		for fname, dsn := range dsnForms(t, target) {
			if cname == "bad sslmode" { // pgx quotes the whole string in its parse error
				dsn = strings.Replace(dsn, "sslmode=disable", "sslmode=bogus", 1)
			}
			for _, cmd := range []string{"migrate", "once"} {
				t.Run(cname+"/"+fname+"/"+cmd, func(t *testing.T) {
					env := map[string]string{"DATABASE_URL": dsn, "LOG_LEVEL": "debug",
						"PIGMENT_AUDIT_API_KEY": "k", "KAFKA_BROKERS": "127.0.0.1:1"}
					code, stdout, stderr := testkit.Run(t, extractBin, env, cmd)
					if code == 0 {
						t.Errorf("extract %s exited 0, want a failure; stderr:\n%s", cmd, stderr)
					}
					if leaks(stdout + stderr) {
						t.Errorf("the database password appears in the output:\nstdout:\n%s\nstderr:\n%s", stdout, stderr)
					}
				})
			}
		}
	}
}
