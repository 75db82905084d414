package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/internal/report"
)

// app holds what every command shares: configuration and the logger.
type app struct {
	cfg *Config
	log zerolog.Logger
}

// badUsage prints what is wrong with the command line and the usage, and
// returns daemon.ErrUsage (exit status 2).
func badUsage(stderr io.Writer, format string, args ...any) error {
	fmt.Fprintf(stderr, "report: "+format+"\n\n%s", append(args, usage)...)
	return daemon.ErrUsage
}

// parseFlags parses args with fs, allowing no positional arguments beyond
// want; a usage error has been printed when it returns one.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, want int) ([]string, error) {
	fs.SetOutput(stderr)
	// Positional arguments first (report verify DIR), flags after them too.
	var pos []string
	for len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return nil, badUsage(stderr, "%s: %v", fs.Name(), err)
	}
	pos = append(pos, fs.Args()...)
	if len(pos) != want {
		return nil, badUsage(stderr, "%s: want %d argument(s), got %q", fs.Name(), want, pos)
	}
	return pos, nil
}

// request is a weekly or monthly command line, parsed.
type request struct {
	kind            report.Kind
	period          report.Period
	out             string
	formats         []report.Format
	formatText      string
	asOf            time.Time
	asOfSet         bool
	allowIncomplete bool
}

func (a *app) parseRequest(cmd string, args []string, stderr io.Writer, now time.Time) (request, error) {
	r := request{kind: report.Kind(cmd)}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	periodFlag := "week"
	if r.kind == report.Monthly {
		periodFlag = "month"
	}
	periodText := fs.String(periodFlag, "", "the period (default: the last complete one at --as-of)")
	fs.StringVar(&r.out, "out", "", "the report's directory")
	fs.StringVar(&r.formatText, "format", "html,json,csv", "formats: html, json, csv, pdf")
	asOf := fs.String("as-of", "", "the generation time stated")
	fs.BoolVar(&r.allowIncomplete, "allow-incomplete", false, "write an incomplete report, marked so")
	if _, err := parseFlags(fs, args, stderr, 0); err != nil {
		return r, err
	}
	var err error
	if r.formats, err = report.ParseFormats(r.formatText); err != nil {
		return r, badUsage(stderr, "--format: %v", err)
	}
	r.asOf, r.asOfSet = now, *asOf != ""
	if r.asOfSet {
		if r.asOf, err = parseTime(*asOf); err != nil {
			return r, badUsage(stderr, "--as-of: %v", err)
		}
	}
	switch {
	case *periodText == "" && r.kind == report.Weekly: // the last complete one at --as-of
		r.period = report.LastCompleteWeek(r.asOf)
	case *periodText == "":
		r.period = report.LastCompleteMonth(r.asOf)
	case r.kind == report.Weekly:
		r.period, err = report.ParseWeek(*periodText)
	default:
		r.period, err = report.ParseMonth(*periodText)
	}
	if err != nil {
		return r, badUsage(stderr, "--%s: %v", periodFlag, err)
	}
	if r.out == "" {
		r.out = filepath.Join(a.cfg.Out, cmd+"-"+r.period.Name)
	}
	return r, nil
}

// generate is report weekly and report monthly: check completeness, build
// the Document from the archive, write the directory.
func (a *app) generate(ctx context.Context, cmd string, args []string, stdout, stderr io.Writer) error {
	r, err := a.parseRequest(cmd, args, stderr, time.Now())
	if err != nil {
		return err
	}
	if err := a.cfg.Kafka.RequireBrokers(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	pool, err := a.cfg.Database.Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	archive, err := a.openArchive(ctx)
	if err != nil {
		return err
	}
	defer archive.Close()

	cov, reasons, err := a.checkCompleteness(ctx, pool, r.period)
	if err != nil {
		return err
	}
	if len(reasons) > 0 && !r.allowIncomplete {
		return &report.IncompleteError{Period: r.period.Name, Reasons: reasons}
	}
	d, err := report.Generate(ctx, archive, report.Request{
		Kind: r.kind, Period: r.period, Workspace: a.cfg.Workspace, GeneratedAt: r.asOf,
		Version: report.Version(version), Parameters: a.parameters(r), Coverage: cov, Incomplete: reasons,
	})
	if err != nil {
		return err
	}
	if err := report.Write(ctx, r.out, d, r.formats, report.Printer{Browser: a.cfg.ChromiumPath}); err != nil {
		return err
	}
	state := "complete"
	if !d.Complete {
		state = "INCOMPLETE"
		for _, why := range reasons {
			a.log.Warn().Str("period", r.period.Name).Msg("incomplete: " + why)
		}
	}
	fmt.Fprintf(stdout, "report %s %s (%s, %d events): %s\n", cmd, r.period.Name, state, d.Coverage.Events, r.out)
	if abs, err := filepath.Abs(filepath.Join(r.out, report.HTMLFile)); err == nil && slices.Contains(r.formats, report.FormatHTML) {
		fmt.Fprintf(stdout, "open file://%s\n", abs)
	}
	return nil
}

// parameters are what the report states it was made with, in a fixed
// order; the database is named without its password.
func (a *app) parameters(r request) []report.Field {
	asOf := "now"
	if r.asOfSet {
		asOf = r.asOf.UTC().Format(time.RFC3339Nano)
	}
	return []report.Field{
		{Name: "command", Value: "report " + string(r.kind)},
		{Name: "period", Value: r.period.Name},
		{Name: "format", Value: r.formatText},
		{Name: "as-of", Value: asOf},
		{Name: "allow-incomplete", Value: fmt.Sprint(r.allowIncomplete)},
		{Name: "PIGMENT_WORKSPACE", Value: a.cfg.Workspace},
		{Name: "PIGMENT_OVERLAP", Value: time.Duration(a.cfg.Overlap).String()},
		{Name: "KAFKA_TOPIC", Value: a.cfg.Topic},
		{Name: "KAFKA_ALERTS_TOPIC", Value: a.cfg.AlertsTopic},
		{Name: "KAFKA_DLQ_TOPIC", Value: a.cfg.DLQTopic},
		{Name: "ARCHIVE_GROUP_ID", Value: a.cfg.ArchiveGroupID},
		{Name: "ARCHIVE_DATABASE_URL", Value: pgdsn.Redact(a.cfg.archiveURL())},
	}
}

// openArchive connects to the archive, read-only: report never migrates it
// (forward does), so a role that may only read it is enough. Its sessions
// run with jit off unless the URL says otherwise: the audit's queries cost
// enough for Postgres to JIT-compile them, and compiling took 5 of the 6 s
// of a monthly audit of 400,000 events, for queries that run in
// milliseconds to a second.
func (a *app) openArchive(ctx context.Context) (*pgxpool.Pool, error) {
	u := a.cfg.archiveURL()
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("archive database URL %s: %w", pgdsn.Redact(u), pgdsn.Scrub(err, u))
	}
	if _, set := cfg.ConnConfig.RuntimeParams["jit"]; !set {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err == nil {
		err = pool.Ping(ctx)
	}
	if err != nil {
		if pool != nil {
			pool.Close()
		}
		return nil, fmt.Errorf("connect to archive database at %s: %w", pgdsn.Redact(u), pgdsn.Scrub(err, u))
	}
	return pool, nil
}

func (a *app) checkCompleteness(ctx context.Context, pool *pgxpool.Pool, p report.Period) (report.Coverage, []string, error) {
	tr, err := a.cfg.Kafka.Transport("pigment-report", a.log)
	if err != nil {
		return report.Coverage{}, nil, err
	}
	defer tr.CloseIdleConnections()
	// The dead letters are counted into the archive by a group of their
	// own (forward SINK=postgres: KAFKA_GROUP_ID-dead-letters).
	sources := []report.Source{{Topic: a.cfg.Topic, Group: a.cfg.ArchiveGroupID}}
	if a.cfg.AlertsTopic != "" && a.cfg.AlertsTopic != a.cfg.Topic {
		sources = append(sources, report.Source{Topic: a.cfg.AlertsTopic, Group: a.cfg.ArchiveGroupID})
	}
	sources = append(sources, report.Source{Topic: a.cfg.DLQTopic, Group: a.cfg.ArchiveGroupID + "-dead-letters"})
	c := &report.Completeness{
		Checkpoints: pool, Checkpoint: checkpoint.Scoped(a.cfg.Workspace, "live"), Overlap: time.Duration(a.cfg.Overlap),
		Kafka:   &kafka.Client{Addr: kafka.TCP(a.cfg.Kafka.Addrs()...), Timeout: 10 * time.Second, Transport: tr},
		Sources: sources, Wait: a.cfg.Wait,
	}
	cov, reasons, err := c.Check(ctx, p)
	if err != nil {
		return cov, nil, fmt.Errorf("completeness of %s: %w", p.Name, err)
	}
	// What the check saw live changes from one run to the next: it is
	// logged (and shown in report.html), not part of report.json.
	ev := a.log.Info().Str("period", p.Name)
	if cov.LiveWatermark != nil {
		ev = ev.Time("live_watermark", *cov.LiveWatermark)
	}
	if cov.LiveCompleteBefore != nil {
		ev = ev.Time("live_complete_before", *cov.LiveCompleteBefore)
	}
	ev.Msg("extract checkpoint at the completeness check")
	for _, t := range cov.Topics {
		for _, pp := range t.Partitions {
			a.log.Info().Str("topic", t.Topic).Str("group", t.Group).Int("partition", pp.Partition).
				Int64("archived", pp.Archived).Int64("end", pp.End).Msg("archive progress at the completeness check")
		}
	}
	return cov, reasons, nil
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errors.New("want RFC 3339 (2026-12-01T06:00:00Z) or a date (2026-12-01)")
}
