package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
)

// snapshots takes two snapshots of the fake workspace, a block renamed in
// between, into a fresh database, and returns its URL.
func snapshots(t *testing.T) string {
	t.Helper()
	store, url := inventorytest.MustStore(t)
	pub, _ := inventorytest.MustPublisher(t)
	policy, err := loadPolicy("")
	if err != nil {
		t.Fatal(err)
	}
	ws := inventorytest.New()
	r := inventory.New(inventory.Config{Policy: policy, AlertsTopic: "alerts", MaxMessageBytes: 1 << 20, Interval: time.Hour, Logger: zerolog.Nop()},
		ws, store, pub, prometheus.NewRegistry())
	for _, name := range []string{"Revenue_Actuals", "Revenue_Booked"} {
		ws.Edit(func(apps []inventory.Application) []inventory.Application {
			inventorytest.Block(apps, "app-rev", "b-actuals").Name = name
			return apps
		})
		if _, err := r.Once(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	return url
}

// TestShowAndDiff: show --json gives the latest snapshot's figures, blocks
// by type and findings; diff gives the one rename, in text and JSON.
func TestShowAndDiff(t *testing.T) {
	t.Parallel()
	env := envconfig.MapLookuper(map[string]string{"DATABASE_URL": snapshots(t)})
	var out, stderr bytes.Buffer
	if err := run(t.Context(), []string{"show", "--json"}, env, &out, &stderr); err != nil {
		t.Fatalf("show --json: %v\n%s", err, stderr.String())
	}
	var v view
	if err := json.Unmarshal(out.Bytes(), &v); err != nil {
		t.Fatalf("show --json printed %s: %v", out.String(), err)
	}
	if v.Summary.Applications != 4 || v.Summary.Blocks != 208 || v.BlocksByType["Table"] != 201 || v.Largest[0].Name != "Workforce" ||
		len(v.Findings) != 6 {
		t.Errorf("show --json = %+v; want 4 applications, 208 blocks (201 tables), Workforce largest, 6 findings (drift included)", v)
	}
	out.Reset()
	if err := run(t.Context(), []string{"diff"}, env, &out, &stderr); err != nil {
		t.Fatalf("diff: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "1 changes") ||
		lines[1] != `renamed       block app-rev/b-actuals (Metric): "Revenue_Actuals" -> "Revenue_Booked"` {
		t.Errorf("diff printed:\n%s\nwant the header and the one rename", out.String())
	}
	out.Reset()
	if err := run(t.Context(), []string{"diff", "--from", "2", "--to", "2", "--json"}, env, &out, &stderr); err != nil || strings.TrimSpace(out.String()) != `{"changes":[],"from":2,"to":2}` {
		t.Errorf("diff --from 2 --to 2 --json = %s, %v; want no changes", out.String(), err)
	}
}
