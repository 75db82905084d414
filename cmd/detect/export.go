package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/detect"
)

// exportRules is `detect rules --export splunk|elastic|sigma [--rules
// FILE]`: the enabled rules (of FILE, else DETECT_RULES_FILE, else the
// built-in ones) in a SIEM's language on out; the rules no query can
// express are named on errOut with why.
func exportRules(cfg *Config, args []string, out, errOut io.Writer) error {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	fs.SetOutput(errOut)
	format := fs.String("export", "", "write the enabled rules as "+strings.Join(detect.ExportFormats, ", "))
	path := fs.String("rules", cfg.RulesFile, "rules file (default: the built-in rules)")
	if err := fs.Parse(args); err != nil || *format == "" || fs.NArg() > 0 {
		return daemon.ErrUsage
	}
	rs, err := loadRules(*path)
	if err != nil {
		return err
	}
	e, err := detect.Export(rs, *format)
	if err != nil {
		return err
	}
	if _, err := out.Write(e.Data); err != nil {
		return err
	}
	for _, s := range e.Skipped {
		fmt.Fprintf(errOut, "detect rules --export %s: %s not exported: %s\n", *format, s.Rule, s.Why)
	}
	return nil
}
