package main

// The commands on written reports: verify, attest, attestations.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/pigment-siem/pipeline/internal/report"
)

func (a *app) verify(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	pos, err := parseFlags(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	sum, err := report.Verify(pos[0])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report %s: every file matches its manifest (manifest sha256 %s)\n", pos[0], sum)
	return nil
}

func (a *app) attest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("attest", flag.ContinueOnError)
	reviewer := fs.String("reviewer", "", "who reviewed the report (required)")
	decision := fs.String("decision", "", "approved or rejected (required)")
	comment := fs.String("comment", "", "a comment")
	pos, err := parseFlags(fs, args, stderr, 1)
	if err != nil {
		return err
	}
	switch {
	case *reviewer == "":
		return badUsage(stderr, "attest: --reviewer is required")
	case *decision != report.Approved && *decision != report.Rejected:
		return badUsage(stderr, "attest: --decision %q: want approved or rejected", *decision)
	}
	if _, err := report.Verify(pos[0]); err != nil { // before the database: a changed report needs none
		return fmt.Errorf("attestation refused: %w", err)
	}
	pool, err := a.cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	at, err := report.Attest(ctx, pool, pos[0], *reviewer, *decision, *comment)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "attestation %d recorded\n", at.ID)
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	for _, f := range [][2]string{
		{"report", cell(at.Directory)}, {"kind", cell(at.Kind)}, {"period", cell(at.Period)}, {"workspace", cell(at.Workspace)},
		{"manifest sha256", at.ManifestSHA256}, {"reviewer", cell(at.Reviewer)}, {"decision", at.Decision},
		{"comment", cell(at.Comment)}, {"time", at.At.Format(time.RFC3339)},
	} {
		fmt.Fprintf(w, "  %s:\t%s\n", f[0], f[1])
	}
	return w.Flush()
}

func (a *app) attestations(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("attestations", flag.ContinueOnError)
	limit := fs.Int("limit", 20, "how many, newest first")
	if _, err := parseFlags(fs, args, stderr, 0); err != nil {
		return err
	}
	if *limit < 1 {
		return badUsage(stderr, "attestations: --limit must be at least 1")
	}
	pool, err := a.cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	list, err := report.Attestations(ctx, pool, *limit)
	if err != nil {
		return err
	}
	if len(list) == 0 {
		_, err := fmt.Fprintln(stdout, "no attestations")
		return err
	}
	return printAttestations(stdout, list)
}

// printAttestations lists attestations one line each.
func printAttestations(stdout io.Writer, list []report.Attestation) error {
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tTIME\tREVIEWER\tDECISION\tKIND\tPERIOD\tMANIFEST SHA256\tCOMMENT")
	for _, at := range list {
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", at.ID, at.At.Format(time.RFC3339), cell(at.Reviewer), at.Decision,
			cell(at.Kind), cell(at.Period), at.ManifestSHA256, cell(at.Comment))
	}
	return w.Flush()
}

// cell is free text as one cell of a listing: quoted, with its control
// characters escaped, when it has any. A reviewer's comment is anyone's
// text: a newline and tabs in it would otherwise print a row of the table
// that no attestation holds.
func cell(s string) string {
	if strings.ContainsFunc(s, unicode.IsControl) {
		return strconv.Quote(s)
	}
	return s
}
