package inventorytest

import (
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/testkit"
	"github.com/pigment-siem/pipeline/migrations"
)

// MustStore returns a Store on a fresh, migrated database, and the
// database's URL; both go when the test ends.
func MustStore(tb testing.TB) (*inventory.Store, string) {
	tb.Helper()
	url := testkit.MustPostgres(tb)
	if err := migrations.Apply(tb.Context(), url); err != nil {
		tb.Fatal(err)
	}
	pool, err := pgxpool.New(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return inventory.NewStore(pool), url
}

// MustPublisher returns a publisher to a fresh broker over TCP (kfake),
// and the broker's address.
func MustPublisher(tb testing.TB) (*publish.Publisher, string) {
	tb.Helper()
	_, addr := testkit.MustKafka(tb)
	pub, err := publish.New(publish.Config{Brokers: []string{addr}, Transport: testkit.Transport(tb), Logger: zerolog.Nop()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = pub.Close() })
	return pub, addr
}
