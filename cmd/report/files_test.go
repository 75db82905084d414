package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pigment-siem/pipeline/internal/report"
)

// readDocument decodes dir/report.json.
func readDocument(t *testing.T, dir string) report.Document {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, report.JSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var d report.Document
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return d
}

// files maps each file name of dir to its bytes.
func files(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func sameFiles(t *testing.T, a, b string) {
	t.Helper()
	fa, fb := files(t, a), files(t, b)
	if !slices.Equal(slices.Sorted(maps.Keys(fa)), slices.Sorted(maps.Keys(fb))) {
		t.Fatalf("%s has %v, %s has %v", a, slices.Sorted(maps.Keys(fa)), b, slices.Sorted(maps.Keys(fb)))
	}
	for name, body := range fa {
		if fb[name] != body {
			t.Errorf("%s differs between %s and %s", name, a, b)
		}
	}
}

// sameJSON reports whether a and b encode to the same JSON.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func flipByte(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// sha256sumCheck runs sha256sum -c on dir's manifest: a report checks
// without this program.
func sha256sumCheck(t *testing.T, dir string) {
	t.Helper()
	sums := exec.Command("sha256sum", "-c", report.ManifestFile)
	sums.Dir = dir
	if b, err := sums.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c in %s: %v\n%s", dir, err, b)
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
