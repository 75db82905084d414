package report

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ManifestFile is the name of the manifest in a report directory: one line
// per other file, "SHA-256  name", sorted by name, as sha256sum writes it,
// so `sha256sum -c manifest.sha256` checks a report without this program.
const ManifestFile = "manifest.sha256"

// writeManifest hashes every regular file of dir but the manifest and
// writes the manifest.
func writeManifest(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	var b bytes.Buffer
	for _, e := range entries { // ReadDir sorts by name
		if e.Name() == ManifestFile || !e.Type().IsRegular() {
			continue
		}
		sum, err := fileSHA256(filepath.Join(dir, e.Name()))
		if err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		fmt.Fprintf(&b, "%s  %s\n", sum, e.Name())
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), b.Bytes(), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// VerifyError lists what differs between a report directory and its
// manifest, one problem a line: "changed: report.json", "missing: x.csv",
// "extra: notes.txt".
type VerifyError struct {
	Dir      string
	Problems []string
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("report %s does not match its manifest:\n  %s", e.Dir, strings.Join(e.Problems, "\n  "))
}

// Verify recomputes every hash of dir's manifest and returns the manifest's
// own SHA-256 (what an attestation records), or a *VerifyError naming
// every changed, missing or extra file, or an error when the manifest
// cannot be read.
func Verify(dir string) (manifestSHA256 string, err error) {
	raw, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return "", fmt.Errorf("verify %s: %w", dir, err)
	}
	listed, err := parseManifest(raw)
	if err != nil {
		return "", fmt.Errorf("verify %s: %s: %w", dir, ManifestFile, err)
	}
	if len(listed) == 0 {
		return "", fmt.Errorf("verify %s: %s lists no file: it vouches for nothing", dir, ManifestFile)
	}
	var problems []string
	for _, name := range slices.Sorted(maps.Keys(listed)) {
		// Regular files only: a symlink's target can change behind the
		// manifest, and may lie outside the report.
		if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil && !fi.Mode().IsRegular() {
			problems = append(problems, "not a regular file: "+name)
			continue
		}
		sum, err := fileSHA256(filepath.Join(dir, name))
		switch {
		case errors.Is(err, os.ErrNotExist):
			problems = append(problems, "missing: "+name)
		case err != nil:
			return "", fmt.Errorf("verify %s: %w", dir, err)
		case sum != listed[name]:
			problems = append(problems, "changed: "+name)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("verify %s: %w", dir, err)
	}
	for _, e := range entries {
		if _, ok := listed[e.Name()]; !ok && e.Name() != ManifestFile {
			problems = append(problems, "extra: "+e.Name())
		}
	}
	if len(problems) > 0 {
		return "", &VerifyError{Dir: dir, Problems: problems}
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]), nil
}

// parseManifest reads sha256sum lines ("HASH  name" or "HASH *name") naming
// files of the directory itself, each once.
func parseManifest(raw []byte) (map[string]string, error) {
	listed := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		sum, name, ok := strings.Cut(sc.Text(), " ")
		name, _ = strings.CutPrefix(strings.TrimPrefix(name, " "), "*")
		if _, err := hex.DecodeString(sum); !ok || err != nil || len(sum) != 64 {
			return nil, fmt.Errorf("line %d: want \"SHA-256  name\"", n)
		}
		if name == "" || name == ManifestFile || name != filepath.Base(name) || name == "." || name == ".." {
			return nil, fmt.Errorf("line %d: %q is not a file of the report", n, name)
		}
		if _, dup := listed[name]; dup {
			return nil, fmt.Errorf("line %d: %s listed twice", n, name)
		}
		listed[name] = strings.ToLower(sum)
	}
	return listed, sc.Err()
}
