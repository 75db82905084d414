package kibana

import (
	"bytes"
	"flag"
	"os"
	"testing"
)

// The committed file is what the description renders: edit dashboards.go,
// then go test ./siem/kibana -update.
func TestNDJSONInSync(t *testing.T) {
	got := Render()
	switch {
	case bytes.Equal(SavedObjects(), got):
	case *update:
		if err := os.WriteFile(FileName, got, 0o644); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("%s differs from the description in dashboards.go: run go test ./siem/kibana -update", FileName)
	}
}

// update is -update: write the rendering over the committed file.
var update = flag.Bool("update", false, "rewrite pigment.ndjson from the description")
