package inventory_test

import (
	"testing"

	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
)

// BenchmarkOnceLarge measures what a snapshot of 600 applications of 200
// blocks costs beside the API: saving it, loading the one before, the
// diff and the policy (go test -run - -bench OnceLarge -benchtime 2x).
func BenchmarkOnceLarge(b *testing.B) {
	fx := newFixture(b, inventorytest.Sized(600, 200))
	b.ReportAllocs()
	for b.Loop() {
		res, err := fx.runner.Once(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.Summary.Blocks), "blocks")
	}
}
