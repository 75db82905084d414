package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

// testPolicy is `inventory test [--policy FILE]`: it runs a policy's
// inline cases and fails if any does not give the findings it expects.
func testPolicy(cfg *Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	path := fs.String("policy", cfg.PolicyFile, "policy file (default: the built-in policy)")
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	p := cfg.policy
	if *path != cfg.PolicyFile {
		var err error
		if p, err = loadPolicy(*path); err != nil {
			return err
		}
	}
	failed := 0
	results := p.RunTests()
	for _, r := range results {
		status := "ok  "
		if !r.Pass {
			status, failed = "FAIL", failed+1
		}
		fmt.Fprintf(out, "%s %s\n", status, r.Name)
		if !r.Pass {
			fmt.Fprintf(out, "     %s\n", strings.ReplaceAll(r.Diff, "\n", "\n     "))
		}
	}
	fmt.Fprintf(out, "%d passed, %d failed\n", len(results)-failed, failed)
	if failed > 0 {
		return fmt.Errorf("%d policy test(s) failed", failed)
	}
	return nil
}
