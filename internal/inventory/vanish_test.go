package inventory_test

import (
	"testing"
	"time"

	"github.com/pigment-siem/pipeline/internal/inventory"
	"github.com/pigment-siem/pipeline/internal/inventory/inventorytest"
)

// TestDeletedDuringTheSnapshot: a snapshot of a large workspace takes
// hours under the shared budget, and Pigment answers 404 for the details of
// a block (or the blocks of an application) deleted since it was listed.
// The snapshot still completes, without what was deleted, as the next
// listing would have shown it; failing it instead would fail every
// snapshot of a workspace that changes while it is read.
func TestDeletedDuringTheSnapshot(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ name, app, block string }{
		{"a block", "app-rev", "b-plan"},
		{"an application", "app-sb", ""},
		{"an application whose blocks were listed", "app-sb", inventorytest.AfterItsBlocks},
	} {
		ws := inventorytest.New()
		ws.DeleteAfterListing(tc.app, tc.block)
		snap, err := inventory.Take(t.Context(), ws, now, nil)
		if err != nil {
			t.Errorf("%s deleted during the snapshot: %v, want a snapshot without it", tc.name, err)
			continue
		}
		want := inventorytest.New()
		want.Edit(func(apps []inventory.Application) []inventory.Application {
			for i := range apps {
				if apps[i].ID != tc.app {
					continue
				}
				if tc.block == "" || tc.block == inventorytest.AfterItsBlocks {
					return append(apps[:i:i], apps[i+1:]...)
				}
				for j := range apps[i].Blocks {
					if apps[i].Blocks[j].ID == tc.block {
						apps[i].Blocks = append(apps[i].Blocks[:j:j], apps[i].Blocks[j+1:]...)
						return apps
					}
				}
			}
			t.Fatalf("no %s/%s in the workspace", tc.app, tc.block)
			return apps
		})
		wantSnap, err := inventory.Take(t.Context(), want, now, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := inventory.Compare(wantSnap, snap); len(got) != 0 {
			t.Errorf("%s deleted during the snapshot: it differs from the workspace without it: %+v", tc.name, got)
		}
	}
}
