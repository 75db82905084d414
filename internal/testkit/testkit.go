// Package testkit holds helpers shared by the project's tests: a real Postgres
// database per test and a Kafka broker over TCP (kfake). Tests isolate
// themselves with random names so they can run in parallel.
package testkit

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
)

// AdminDatabaseURL is the database used to create and drop per-test databases.
// TEST_DATABASE_URL overrides the local default.
func AdminDatabaseURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// MustPostgres creates a fresh, empty database and returns its URL. The
// database is dropped when the test ends. A missing Postgres fails the test:
// integration tests never skip silently.
func MustPostgres(tb testing.TB) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin := AdminDatabaseURL()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		tb.Fatalf("connect to test Postgres (set TEST_DATABASE_URL): %v", err)
	}
	defer conn.Close(ctx)
	name := "t_" + strings.ReplaceAll(uuid.NewString(), "-", "")[:16]
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			tb.Errorf("connect to drop database %s: %v", name, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		tb.Fatalf("parse %q: %v", admin, err)
	}
	u.Path = "/" + name
	return u.String()
}

// MustKafka starts an in-process Kafka broker speaking the real wire protocol
// over TCP on 127.0.0.1 and returns its seed address. Topics are created on
// first use. The broker stops when the test ends.
func MustKafka(tb testing.TB, opts ...kfake.Opt) (*kfake.Cluster, string) {
	tb.Helper()
	opts = append([]kfake.Opt{
		kfake.NumBrokers(1),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(3),
	}, opts...)
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		tb.Fatalf("start kfake broker: %v", err)
	}
	tb.Cleanup(c.Close)
	return c, c.ListenAddrs()[0]
}

// Name returns a random name with the given prefix, for topics and groups.
func Name(prefix string) string {
	return fmt.Sprintf("%s-%s", prefix, uuid.NewString()[:8])
}

// QueryRow runs sql on the database at dbURL and scans its row
// into dest. A database that cannot be reached fails the test; the query's
// error is returned, for callers that poll a table not created yet.
func QueryRow(tb testing.TB, dbURL, sql string, dest ...any) error {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		tb.Fatalf("connect to the test database: %v", err)
	}
	defer c.Close(ctx)
	return c.QueryRow(ctx, sql).Scan(dest...)
}
