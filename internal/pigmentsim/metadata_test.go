package pigmentsim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"testing"
	"time"
)

// The description's naming conventions.
var (
	metricPattern    = regexp.MustCompile(`^[A-Z][a-z]+(_[A-Z][a-z]+)*$`)
	dimensionPattern = regexp.MustCompile(`^[A-Z][a-z]+$`)
)

// metaFigures are what the inventory will count in a workspace.
type metaFigures struct {
	apps, blocks, large, metrics, maxDims, complex, violations, imports, views int
}

func figures(apps []MetadataApplication) metaFigures {
	var f metaFigures
	f.apps = len(apps)
	for _, a := range apps {
		f.blocks += len(a.Blocks)
		if len(a.Blocks) > 200 {
			f.large++
		}
		for _, b := range a.Blocks {
			f.imports += len(b.ImportConfigurations)
			f.views += len(b.Views)
			switch {
			case b.Type == "Metric":
				f.metrics++
				f.maxDims = max(f.maxDims, len(b.Dimensions))
				if len(b.Dimensions) > 8 {
					f.complex++
				}
				if !metricPattern.MatchString(b.Name) {
					f.violations++
				}
			case b.Type == "DimensionList" && !dimensionPattern.MatchString(b.Name):
				f.violations++
			}
		}
	}
	return f
}

func TestMetadataWorkspace(t *testing.T) {
	s, _, _ := mustSim(t, Config{Seed: 1})
	got := s.Metadata(t0)
	f := figures(got)
	t.Logf("seed 1: %+v", f)
	if f.apps < 50 || f.large < 2 || f.maxDims != 12 || f.complex == 0 || f.violations == 0 || f.imports == 0 || f.views == 0 {
		t.Errorf("workspace %+v: want >= 50 applications, >= 2 over 200 blocks, metrics up to 12 dimensions, naming violations, imports and views", f)
	}
	for i, a := range s.ws.apps { // the event workspace's applications come first
		if got[i].ID != a.id || got[i].Name != a.name || got[i].Blocks[0].ID != a.blocks[0].id {
			t.Errorf("application %d = %s %q, want the event workspace's %s %q", i, got[i].ID, got[i].Name, a.id, a.name)
		}
	}
	same, _, _ := mustSim(t, Config{Seed: 1})
	if !reflect.DeepEqual(same.Metadata(t0), got) {
		t.Error("two simulators with seed 1 serve different structures")
	}
	other, _, _ := mustSim(t, Config{Seed: 2})
	if reflect.DeepEqual(other.Metadata(t0), got) {
		t.Error("seeds 1 and 2 serve the same structure")
	}
	big, _, _ := mustSim(t, Config{Seed: 1, Applications: 600})
	if n := len(big.Metadata(t0)); n != 600 {
		t.Errorf("Applications 600: %d applications, want 600", n)
	}
}

// blockDiff lists what differs between two structures, by block ID.
func blockDiff(before, after []MetadataApplication) (renamed, deleted, added []string) {
	index := func(apps []MetadataApplication) map[string]MetadataBlock {
		m := map[string]MetadataBlock{}
		for _, a := range apps {
			for _, b := range a.Blocks {
				m[b.ID] = b
			}
		}
		return m
	}
	was, now := index(before), index(after)
	for id, b := range was {
		n, ok := now[id]
		switch {
		case !ok:
			deleted = append(deleted, id)
		case !reflect.DeepEqual(n, b) && n.Name != b.Name:
			renamed = append(renamed, id)
		case !reflect.DeepEqual(n, b):
			added = append(added, "changed "+id) // anything else is a bug
		}
	}
	for id := range now {
		if _, ok := was[id]; !ok {
			added = append(added, id)
		}
	}
	slices.Sort(added)
	return renamed, deleted, added
}

func TestMetadataChangesOverTime(t *testing.T) {
	s, _, clk := mustSim(t, Config{Seed: 3, MetadataChangeEvery: time.Hour})
	prev := s.Metadata(t0)
	if got := s.MetadataChanges(t0.Add(time.Hour - 1)); len(got) != 0 {
		t.Fatalf("changes before the first hour = %+v, want none", got)
	}
	last := len(prev) - 1
	for k, want := range []string{ChangeRenamed, ChangeDeleted, ChangeGrown, ChangeRenamed, ChangeDeleted, ChangeGrown} {
		clk.Add(time.Hour)
		now := s.Metadata(clk.Now())
		renamed, deleted, added := blockDiff(prev, now)
		changes := s.MetadataChanges(clk.Now())
		c := changes[len(changes)-1]
		if len(changes) != k+1 || c.Kind != want || !c.At.Equal(clk.Now()) {
			t.Fatalf("change %d = %+v (of %d), want %s at %v", k+1, c, len(changes), want, clk.Now())
		}
		var gotIDs []string
		switch want {
		case ChangeRenamed:
			gotIDs = renamed
			if len(deleted)+len(added) != 0 {
				t.Errorf("rename %d also deleted %v, added %v", k+1, deleted, added)
			}
		case ChangeDeleted:
			gotIDs = deleted
			if len(renamed)+len(added) != 0 {
				t.Errorf("deletion %d also renamed %v, added %v", k+1, renamed, added)
			}
		case ChangeGrown:
			gotIDs = added
			if len(renamed)+len(deleted) != 0 || c.ApplicationID != now[last].ID || len(now[last].Blocks) != len(prev[last].Blocks)+growBy {
				t.Errorf("growth %d: renamed %v, deleted %v, last application %d -> %d blocks", k+1, renamed, deleted,
					len(prev[last].Blocks), len(now[last].Blocks))
			}
		}
		if !slices.Equal(gotIDs, slices.Sorted(slices.Values(c.BlockIDs))) {
			t.Errorf("change %d (%s): blocks %v differ, change says %v", k+1, want, gotIDs, c.BlockIDs)
		}
		prev = now
	}
	if n := len(prev[last].Blocks); n <= 200 || n-2*growBy > 200 {
		t.Errorf("the growing application has %d blocks after two growths, want it to cross 200 on the way", n)
	}
	// The past stays as it was.
	if !reflect.DeepEqual(s.Metadata(t0), mustMeta(t, Config{Seed: 3, MetadataChangeEvery: time.Hour})) {
		t.Error("Metadata(start) after changes differs from a new simulator's")
	}
}

func mustMeta(tb testing.TB, cfg Config) []MetadataApplication {
	s, _, _ := mustSim(tb, cfg)
	return s.Metadata(t0)
}

// served is a Metadata API answer of either shape, decoded.
type served struct {
	ID, Name, Type        string
	Dimensions            *[]string
	CreatedAt, ModifiedAt *time.Time
}

func getList(t *testing.T, srv *httptest.Server, s *Sim, path, wrapper string, params url.Values) []served {
	t.Helper()
	status, body, _ := get(t, srv, path, params)
	if status != http.StatusOK {
		t.Fatalf("GET %s %v = %d %s", path, params, status, body)
	}
	var list []served
	if s.cfg.Shape == ShapePublic {
		if err := json.Unmarshal(body, &list); err != nil {
			t.Fatalf("GET %s: %v in %s", path, err, body)
		}
		return list
	}
	var wrapped map[string][]served
	if err := json.Unmarshal(body, &wrapped); err != nil || wrapped[wrapper] == nil {
		t.Fatalf("GET %s: %v, want {%q: [...]} in %.200s", path, err, wrapper, body)
	}
	return wrapped[wrapper]
}

func TestMetadataServedEqualsGroundTruth(t *testing.T) {
	for _, shape := range []string{ShapeDescribed, ShapePublic} {
		t.Run(shape, func(t *testing.T) {
			s, srv, clk := mustSim(t, Config{Seed: 4, Shape: shape, MetadataChangeEvery: time.Hour})
			clk.Add(3 * time.Hour) // after a rename, a deletion and a growth
			want := s.Metadata(clk.Now())
			apps := getList(t, srv, s, "/api/v1/applications", "applications", nil)
			if len(apps) != len(want) {
				t.Fatalf("%d applications served, want %d", len(apps), len(want))
			}
			for i, a := range apps {
				w := want[i]
				described := a.CreatedAt != nil && a.CreatedAt.Equal(w.CreatedAt) && a.ModifiedAt.Equal(w.ModifiedAt)
				if a.ID != w.ID || a.Name != w.Name || described != (shape == ShapeDescribed) {
					t.Fatalf("application %d = %+v, want %s %q (dates in the described shape only)", i, a, w.ID, w.Name)
				}
				blocks := getList(t, srv, s, "/api/v1/blocks", "blocks", url.Values{"applicationId": {a.ID}})
				if len(blocks) != len(w.Blocks) {
					t.Fatalf("application %d: %d blocks served, want %d", i, len(blocks), len(w.Blocks))
				}
				for j, b := range blocks {
					wb := w.Blocks[j]
					dims := b.Dimensions != nil && slices.Equal(*b.Dimensions, wb.Dimensions)
					if b.ID != wb.ID || b.Name != wb.Name || b.Type != wb.Type || dims != (shape == ShapeDescribed) {
						t.Fatalf("block %d of application %d = %+v, want %+v (dimensions in the described shape only)", j, i, b, wb)
					}
					if i%10 != 0 { // imports and views of a sample
						continue
					}
					q := url.Values{"applicationId": {a.ID}, "blockId": {b.ID}}
					imports := getList(t, srv, s, "/api/v1/importConfigurations", "importConfigurations", q)
					views := getList(t, srv, s, "/api/v1/views", "views", q)
					if len(imports) != len(wb.ImportConfigurations) || len(views) != len(wb.Views) {
						t.Fatalf("block %s: %d imports, %d views served; want %d, %d", b.ID, len(imports), len(views),
							len(wb.ImportConfigurations), len(wb.Views))
					}
					for k, v := range views {
						if wv := wb.Views[k]; v.ID != wv.ID || v.Name != wv.Name || v.Type != wv.Type {
							t.Errorf("view %d of block %s = %+v, want %+v", k, b.ID, v, wv)
						}
					}
					for k, c := range imports {
						if wc := wb.ImportConfigurations[k]; c.ID != wc.ID || c.Name != wc.Name {
							t.Errorf("import configuration %d of block %s = %+v, want %+v", k, b.ID, c, wc)
						}
					}
				}
			}
		})
	}
}

func TestMetadataKeysAndErrors(t *testing.T) {
	s, srv, clk := mustSim(t, Config{Seed: 6, MetadataChangeEvery: time.Hour})
	app := s.Metadata(t0)[0]
	blk := app.Blocks[0].ID
	deleted := func() url.Values {
		clk.Add(2 * time.Hour)
		c := s.MetadataChanges(clk.Now())[1]
		return url.Values{"applicationId": {c.ApplicationID}, "blockId": {c.BlockIDs[0]}}
	}()
	events := sinceParam(t0.Add(-time.Hour))
	tests := []struct {
		name, key, path string
		params          url.Values
		want            int
	}{
		{"audit key on the Metadata API", testKey, "/api/v1/applications", nil, http.StatusUnauthorized},
		{"metadata key on the Audit Logs API", testMetadataKey, "/api/audit/v1/events", events, http.StatusUnauthorized},
		{"metadata key", testMetadataKey, "/api/v1/applications", nil, http.StatusOK},
		{"audit key", testKey, "/api/audit/v1/events", events, http.StatusOK},
		{"imports without blockId", testMetadataKey, "/api/v1/importConfigurations", url.Values{"applicationId": {app.ID}}, http.StatusBadRequest},
		{"views without applicationId", testMetadataKey, "/api/v1/views", url.Values{"blockId": {blk}}, http.StatusBadRequest},
		{"views of a block of another application", testMetadataKey, "/api/v1/views",
			url.Values{"applicationId": {s.Metadata(t0)[1].ID}, "blockId": {blk}}, http.StatusNotFound},
		{"imports of a deleted block", testMetadataKey, "/api/v1/importConfigurations", deleted, http.StatusNotFound},
		{"unknown metadata path", testMetadataKey, "/api/v1/boards", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		if status, body, _ := getWith(t, srv, tt.key, tt.path, tt.params); status != tt.want {
			t.Errorf("%s: GET %s = %d %s, want %d", tt.name, tt.path, status, body, tt.want)
		}
	}
	if _, err := New(Config{APIKey: "same", MetadataAPIKey: "same"}); err == nil {
		t.Error("New with the same key for both APIs = nil error, want an error")
	}
}

// TestMetadataBlockIDsUnique: no application lists a block ID twice (the
// event workspace's blocks repeat IDs; the Metadata API's never do), so
// a snapshot holds every block the ground truth counts.
func TestMetadataBlockIDsUnique(t *testing.T) {
	t.Parallel()
	for _, seed := range []int64{1, 2, 3} {
		for _, a := range mustMeta(t, Config{Seed: seed}) {
			seen := map[string]bool{}
			for _, b := range a.Blocks {
				if seen[b.ID] {
					t.Errorf("seed %d: application %s lists block %s twice", seed, a.ID, b.ID)
				}
				seen[b.ID] = true
			}
		}
	}
}
