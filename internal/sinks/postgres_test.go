package sinks_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/event"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

func TestPostgresArchivesOnce(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{})
	ctx := context.Background()
	described := `{"eventId":"e-d","eventType":"UserAccountTypeUpdated","eventTimestamp":"2026-11-20T10:00:00.123456789Z","ingestionTimestamp":"2026-11-20T10:00:02.5Z",` +
		`"actor":{"memberId":"m-1","email":"alice@acme.io","name":"Alice"},"target":{"applicationId":"app-1","applicationName":"Budget"},` +
		`"metadata":{"ipAddress":"192.0.2.1","country":"FR","previousAccountType":"Builder","newAccountType":"Workspace Admin","userId":"m-2","userEmail":"bob@acme.io"}}`
	public := "{\"eventId\":\"e-p\",\"eventType\":\"RoleChanged\",\"eventTimestamp\":\"2026-10-31T23:59:59Z\",\"ingestionTimestamp\":\"2026-11-01T00:00:00Z\"," +
		"\"actor\":{\"user\":{\"id\":\"u-9\",\"email\":\"zoe@acme.io\",\"name\":\"Zo\u00eb\x00\\u0000\xff\\\\\"}},\"context\":{\"applicationId\":\"app-2\"},\"payload\":{\"oldRole\":\"Viewer\",\"newRole\":\"Builder\"}}"
	alert := `{"id":"alert-1","rule":"privilege-escalation","severity":"high","actor":"m-1","application":"app-1","window":{"start":"2026-11-20T10:00:00Z","end":"2026-11-20T11:00:00Z"},"count":2,"evidence":["e-d","e-p"]}`
	recs := [][]byte{
		archiveRow(t, described, event.KindEvent, "pigment.audit.events", 10),
		archiveRow(t, public, event.KindEvent, "pigment.audit.events", 11),
		archiveRow(t, alert, event.KindAlert, "pigment.audit.alerts", 3),
	}
	for round := range 2 { // the second round is a re-delivery
		rs, err := p.Send(ctx, recs, make([]string, len(recs)))
		if err != nil || outcomes(rs) != "DDD" {
			t.Fatalf("round %d: Send = %s, %v; want DDD", round, outcomes(rs), err)
		}
	}
	// A replay: the same events read again at other offsets (a re-extraction).
	replay := [][]byte{archiveRow(t, described, event.KindEvent, "pigment.audit.events", 500)}
	if rs, err := p.Send(ctx, replay, []string{""}); err != nil || outcomes(rs) != "D" {
		t.Fatalf("replay: Send = %s, %v", outcomes(rs), err)
	}
	wantArchived(t, u, 2)
	if n := queryInt(t, u, "SELECT count(*) FROM archive_alerts"); n != 1 {
		t.Errorf("archive_alerts has %d rows, want 1", n)
	}
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var got []string
	var raw []byte
	var evTime time.Time
	err = c.QueryRow(ctx, `SELECT event_time, array[event_timestamp, actor_id, actor_email, actor_name, target_id, target_email, application_id, application_name,
		source_ip, country, previous_account_type, new_account_type, kafka_offset::text], raw FROM archive_events WHERE event_id = 'e-d'`).Scan(&evTime, &got, &raw)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-11-20T10:00:00.123456789Z", "m-1", "alice@acme.io", "Alice", "m-2", "bob@acme.io", "app-1", "Budget", "192.0.2.1", "FR", "Builder", "Workspace Admin", "10"}
	if strings.Join(got, "|") != strings.Join(want, "|") || string(raw) != described {
		t.Errorf("row e-d = %q, %s; want %q and the exact bytes", got, raw, want)
	}
	if !evTime.Equal(time.Date(2026, 11, 20, 10, 0, 0, 123457000, time.UTC)) {
		t.Errorf("event_time = %v, want microseconds rounded", evTime)
	}
	var name, newRole string
	if err := c.QueryRow(ctx, `SELECT actor_name, new_role, raw FROM archive_events WHERE event_id = 'e-p'`).Scan(&name, &newRole, &raw); err != nil {
		t.Fatal(err)
	}
	if name != "Zoë\uFFFD\uFFFD\uFFFD\\" || newRole != "Builder" || string(raw) != public {
		t.Errorf("row e-p actor_name %q, new_role %q, raw %q; want NUL as U+FFFD and the exact bytes", name, newRole, raw)
	}
	var evidence []string
	var count int
	if err := c.QueryRow(ctx, `SELECT evidence, event_count FROM archive_alerts WHERE alert_id = 'alert-1'`).Scan(&evidence, &count); err != nil {
		t.Fatal(err)
	}
	if strings.Join(evidence, ",") != "e-d,e-p" || count != 2 {
		t.Errorf("alert evidence %q count %d, want [e-d e-p] 2", evidence, count)
	}
}

// TestPostgresPartitions: Maintain creates the current month and those
// ahead; a batch holding a month without a partition (2019, 2100) creates
// it; retention drops whole partitions past it.
func TestPostgresPartitions(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{PartitionsAhead: 2, Retention: 365 * 24 * time.Hour})
	ctx := context.Background()
	now := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	if _, err := p.Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	parts := func() string {
		c, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		var names []string
		if err := c.QueryRow(ctx, `SELECT coalesce(array_agg(c.relname::text ORDER BY c.relname), '{}') FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
			WHERE i.inhparent = 'archive_events'::regclass`).Scan(&names); err != nil {
			t.Fatal(err)
		}
		return strings.Join(names, " ")
	}
	if got, want := parts(), "archive_events_y2026m11 archive_events_y2026m12 archive_events_y2027m01"; got != want {
		t.Errorf("partitions after Maintain = %s, want %s", got, want)
	}
	recs := [][]byte{
		archiveRow(t, eventJSON("old", "2019-03-04T05:06:07Z"), event.KindEvent, "t", 1),
		archiveRow(t, eventJSON("now", "2026-11-14T00:00:00Z"), event.KindEvent, "t", 2),
		archiveRow(t, eventJSON("future", "2100-01-01T00:00:00Z"), event.KindEvent, "t", 3),
		archiveRow(t, eventJSON("edge", "2025-10-31T23:59:59.999999Z"), event.KindEvent, "t", 4),
	}
	if rs, err := p.Send(ctx, recs, make([]string, len(recs))); err != nil || outcomes(rs) != "DDDD" {
		t.Fatalf("Send = %s, %v; want DDDD", outcomes(rs), err)
	}
	if got, want := parts(), "archive_events_y2019m03 archive_events_y2025m10 archive_events_y2026m11 archive_events_y2026m12 archive_events_y2027m01 archive_events_y2100m01"; got != want {
		t.Errorf("partitions after Send = %s, want %s", got, want)
	}
	dropped, err := p.Maintain(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(dropped, " "); got != "archive_events_y2019m03 archive_events_y2025m10" {
		t.Errorf("Maintain dropped %s, want 2019-03 and 2025-10 (ended more than 365 days before)", got)
	}
	if n := queryInt(t, u, "SELECT count(*) FROM archive_events"); n != 2 {
		t.Errorf("archive_events has %d rows after retention, want 2", n)
	}
	// The dropped month comes back on demand for a late event.
	late := [][]byte{archiveRow(t, eventJSON("late", "2019-03-05T00:00:00Z"), event.KindEvent, "t", 5)}
	if rs, err := p.Send(ctx, late, []string{""}); err != nil || outcomes(rs) != "D" {
		t.Fatalf("Send(late) = %s, %v; want D", outcomes(rs), err)
	}
}

// TestPostgresRejectsBadRow: a row Postgres refuses for its content (an
// event type too large for its index) is found and rejected alone.
func TestPostgresRejectsBadRow(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{})
	huge := make([]byte, 8000)
	_, _ = rand.Read(huge)
	var recs [][]byte
	for i := range 9 {
		raw := eventJSON(fmt.Sprintf("e-%d", i), "2026-11-14T00:00:00Z")
		if i == 6 {
			raw = strings.Replace(raw, "UserLoggedIn", hex.EncodeToString(huge), 1)
		}
		recs = append(recs, archiveRow(t, raw, event.KindEvent, "t", int64(i)))
	}
	rs, err := p.Send(context.Background(), recs, make([]string, len(recs)))
	if err != nil || outcomes(rs) != "DDDDDDXDD" {
		t.Fatalf("Send = %s, %v; want DDDDDDXDD", outcomes(rs), err)
	}
	if !strings.Contains(rs[6].Reason, "index row") {
		t.Errorf("reason = %q, want Postgres's", rs[6].Reason)
	}
	wantArchived(t, u, 8)
}

// TestPostgresMisconfigured: a role without INSERT, a wrong database and a
// missing table stop delivery (an error, no Result), never reject.
func TestPostgresMisconfigured(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u, role, asRole := mustRoleArchive(t, "ro", "SELECT", time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC))
	wrongDB := func(u string) string {
		x, _ := url.Parse(u)
		x.Path = "/no_such_database_" + role
		return x.String()
	}
	noTable := testkit.MustPostgres(t) // no migrations
	recs := [][]byte{archiveRow(t, eventJSON("e-1", "2026-11-14T00:00:00Z"), event.KindEvent, "t", 1)}
	for _, c := range []struct{ name, url string }{
		{"no INSERT privilege", asRole},
		{"wrong database", wrongDB(u)},
		{"no table", noTable},
	} {
		p := mustArchive(t, c.url, sinks.PostgresConfig{})
		rs, err := p.Send(ctx, recs, []string{""})
		if !errors.Is(err, sinks.ErrMisconfigured) {
			t.Errorf("%s: Send = %s, %v; want ErrMisconfigured", c.name, outcomes(rs), err)
		}
	}
}

// TestPostgresRetry: an unreachable database is Retry, not an error.
func TestPostgresRetry(t *testing.T) {
	t.Parallel()
	p := mustArchive(t, "postgres://postgres@"+closedAddr(t)+"/x?sslmode=disable&connect_timeout=2", sinks.PostgresConfig{})
	recs := [][]byte{archiveRow(t, eventJSON("e-1", "2026-11-14T00:00:00Z"), event.KindEvent, "t", 1)}
	rs, err := p.Send(context.Background(), recs, []string{""})
	if err != nil || outcomes(rs) != "R" {
		t.Errorf("Send = %s, %v; want R", outcomes(rs), err)
	}
}

func TestCountDeadLetters(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{})
	day := time.Date(2026, 11, 20, 23, 30, 0, 0, time.UTC)
	letters := []sinks.DeadLetter{
		{Topic: "dlq", Partition: 0, Offset: 1, Time: day, Stage: "extract", Reason: "element 3 of the events array (page offset 5120) cannot be read: x"},
		{Topic: "dlq", Partition: 1, Offset: 1, Time: day, Stage: "extract", Reason: "element 17 of the events array (page offset 9) cannot be read: y"},
		{Topic: "dlq", Partition: 0, Offset: 2, Time: day.Add(time.Hour), Stage: "forward:postgres", Reason: "archive refused the row: \x00bad", EventID: "e\x00"},
	}
	for range 2 { // a re-delivery counts nothing more
		if err := p.CountDeadLetters(context.Background(), letters); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		day, stage, class string
		want              int
	}{
		{"2026-11-20", "extract", "element N of the events array (page offset N) cannot be read", 2},
		{"2026-11-21", "forward:postgres", "archive refused the row", 1},
	} {
		if n := queryInt(t, u, "SELECT coalesce(sum(count), 0)::int FROM archive_dead_letters_daily WHERE day = $1 AND stage = $2 AND reason_class = $3",
			c.day, c.stage, c.class); n != c.want {
			t.Errorf("dead letters of %s %s %q = %d, want %d", c.day, c.stage, c.class, n, c.want)
		}
	}
}

// TestPostgresPartlyArchivedBatch: a batch re-delivered after a crash holds
// rows already archived and rows that are not; every one ends up archived
// once.
func TestPostgresPartlyArchivedBatch(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	p := mustArchive(t, u, sinks.PostgresConfig{})
	var recs [][]byte
	for i := range 400 {
		recs = append(recs, archiveRow(t, eventJSON(fmt.Sprintf("e-%03d", i), "2026-11-14T00:00:00Z"), event.KindEvent, "t", int64(i)))
	}
	ctx := context.Background()
	if rs, err := p.Send(ctx, recs[200:300], make([]string, 100)); err != nil || strings.Count(outcomes(rs), "D") != 100 {
		t.Fatalf("Send = %s, %v", outcomes(rs), err)
	}
	if rs, err := p.Send(ctx, recs, make([]string, len(recs))); err != nil || strings.Count(outcomes(rs), "D") != len(recs) {
		t.Fatalf("Send = %s, %v", outcomes(rs), err)
	}
	wantArchived(t, u, len(recs))
}

// TestPostgresConcurrentPartitions: two processes (two sinks, two senders
// each) archiving events of the same new months at once all succeed.
func TestPostgresConcurrentPartitions(t *testing.T) {
	t.Parallel()
	u := mustArchiveDB(t)
	sinksOf := []*sinks.Postgres{mustArchive(t, u, sinks.PostgresConfig{}), mustArchive(t, u, sinks.PostgresConfig{})}
	errs := make(chan string, 8)
	for w := range 4 {
		go func() {
			var recs [][]byte
			for i := range 50 {
				month := 1 + (i+w)%12
				recs = append(recs, archiveRow(t, eventJSON(fmt.Sprintf("w%d-%d", w, i), fmt.Sprintf("2031-%02d-03T00:00:00Z", month)), event.KindEvent, "t", int64(i)))
			}
			rs, err := sinksOf[w%2].Send(context.Background(), recs, make([]string, len(recs)))
			errs <- fmt.Sprintf("%s %v", outcomes(rs), err)
		}()
	}
	for range 4 {
		if got, want := <-errs, strings.Repeat("D", 50)+" <nil>"; got != want {
			t.Errorf("Send = %s, want %s", got, want)
		}
	}
	wantArchived(t, u, 200)
}

// TestPostgresInsertOnlyRole: a role allowed to read and insert, but not to
// create tables, archives and maintains while the partitions it needs
// exist (made by the owner, e.g. forward setup).
func TestPostgresInsertOnlyRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	_, _, asRole := mustRoleArchive(t, "ins", "SELECT, INSERT", now)
	p := mustArchive(t, asRole, sinks.PostgresConfig{})
	if _, err := p.Maintain(ctx, now); err != nil {
		t.Errorf("Maintain as an insert-only role: %v", err)
	}
	recs := [][]byte{archiveRow(t, eventJSON("e-1", "2026-11-14T00:00:00Z"), event.KindEvent, "t", 1)}
	if rs, err := p.Send(ctx, recs, []string{""}); err != nil || outcomes(rs) != "D" {
		t.Errorf("Send as an insert-only role = %s, %v; want D", outcomes(rs), err)
	}
}

// mustRoleArchive makes an archive database with the partitions of now's
// months made by its owner, and a role (mustRole) granted privileges
// (e.g. "SELECT, INSERT") on its tables; it returns the database's URL, the
// role and the URL that connects as the role.
func mustRoleArchive(t *testing.T, prefix, privileges string, now time.Time) (u, role, asRole string) {
	t.Helper()
	ctx := context.Background()
	role = mustRole(t, prefix)
	u = mustArchiveDB(t)
	if _, err := mustArchive(t, u, sinks.PostgresConfig{}).Maintain(ctx, now); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "GRANT USAGE ON SCHEMA public TO "+role+"; GRANT "+privileges+" ON ALL TABLES IN SCHEMA public TO "+role); err != nil {
		t.Fatal(err)
	}
	x, _ := url.Parse(u)
	x.User = url.User(role)
	return u, role, x.String()
}

// mustRole creates a login role with no privileges, dropped after the test,
// and returns its name.
func mustRole(t *testing.T, prefix string) string {
	t.Helper()
	ctx := context.Background()
	role := "r_" + strings.ReplaceAll(testkit.Name(prefix), "-", "_")
	admin, err := pgx.Connect(ctx, testkit.AdminDatabaseURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE ROLE "+role+" LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), testkit.AdminDatabaseURL())
		if err != nil {
			t.Errorf("drop role %s: %v", role, err)
			return
		}
		defer admin.Close(context.Background())
		_, _ = admin.Exec(context.Background(), "DROP ROLE IF EXISTS "+role)
	})
	return role
}
