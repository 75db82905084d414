package testkit

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Binary is a program a package's process tests run: the main package in
// Dir, built by BuildAndRun into *Path.
type Binary struct {
	Dir  string
	Path *string
}

// BuildAndRun builds bins, runs the package's tests with run (RunNoLeaks,
// or (*testing.M).Run where the tests' own clients outlive them) and removes
// the binaries. A TestMain calls os.Exit(BuildAndRun(m, run, bins...)), so
// every test runs the real programs.
func BuildAndRun(m *testing.M, run func(*testing.M) int, bins ...Binary) int {
	for _, b := range bins {
		abs, err := filepath.Abs(b.Dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		bin, cleanup, err := Build(b.Dir, filepath.Base(abs))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer cleanup()
		*b.Path = bin
	}
	return run(m)
}
