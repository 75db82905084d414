package splunkapp

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// mustPackage runs make splunk-app into a temporary file and returns it.
func mustPackage(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "app.tgz")
	cmd := exec.CommandContext(t.Context(), "make", "-s", "-C", "../..", "splunk-app", "SPLUNK_APP_TGZ="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make splunk-app: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPackage checks the .tgz make splunk-app builds: the same bytes twice,
// every file of the app under pigment_audit/ and nothing else, entries
// sorted, owned by root with the fixed mtime.
func TestPackage(t *testing.T) {
	first, second := mustPackage(t), mustPackage(t)
	if !bytes.Equal(first, second) {
		t.Errorf("make splunk-app gave different bytes on a second run: not deterministic")
	}
	zr, err := gzip.NewReader(bytes.NewReader(first))
	if err != nil {
		t.Fatal(err)
	}
	if !zr.ModTime.IsZero() {
		t.Errorf("gzip header time = %v, want none", zr.ModTime)
	}
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var got []string
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			got = append(got, h.Name)
		}
		if h.Uid != 0 || h.Gid != 0 || !h.ModTime.Equal(mtime) {
			t.Errorf("%s: uid %d gid %d mtime %v, want 0 0 %v", h.Name, h.Uid, h.Gid, h.ModTime, mtime)
		}
	}
	if !slices.IsSorted(got) {
		t.Errorf("entries %q are not sorted", got)
	}
	var want []string
	err = filepath.WalkDir(appDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			want = append(want, filepath.ToSlash(path))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("package holds %q, want the app's files %q", got, want)
	}
	for _, f := range []string{"pigment_audit/default/app.conf", "pigment_audit/metadata/default.meta"} {
		if !slices.Contains(got, f) {
			t.Errorf("package lacks %s", f)
		}
	}
}
