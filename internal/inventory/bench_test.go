package inventory_test

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
	"github.com/pigment-siem/pipeline/internal/testkit"
)

// BenchmarkOnceLarge measures what a snapshot of 600 applications of 200
// blocks costs beside the API: saving it, loading the one before, the
// diff and the policy (go test -run - -bench OnceLarge -benchtime 2x).
func BenchmarkOnceLarge(b *testing.B) {
	store, _ := inventorytest.MustStore(b)
	pub, _ := inventorytest.MustPublisher(b)
	policy, err := inventory.LoadPolicy(inventory.DefaultPolicy())
	if err != nil {
		b.Fatal(err)
	}
	r := inventory.New(inventory.Config{Policy: policy, AlertsTopic: testkit.Name("alerts"), MaxMessageBytes: 1 << 20,
		Interval: time.Hour, Logger: zerolog.Nop()}, inventorytest.Sized(600, 200), store, pub, prometheus.NewRegistry())
	b.ReportAllocs()
	for b.Loop() {
		res, err := r.Once(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Summary.Blocks), "blocks")
	}
}
