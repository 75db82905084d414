package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
	"github.com/pigment-siem/pipeline/internal/daemon"
)

// checkpointCmd is `extract checkpoint show|reset|history`.
func (a *app) checkpointCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("checkpoint: want show, reset or history: %w", daemon.ErrUsage)
	}
	store, pool, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	fs := flag.NewFlagSet("checkpoint "+args[0], flag.ContinueOnError)
	name := fs.String("name", "", "checkpoint name (live, backfill:NAME); default: all (show) or live")
	asJSON := fs.Bool("json", false, "print JSON")
	switch args[0] {
	case "show":
		if err := fs.Parse(args[1:]); err != nil {
			return daemon.ErrUsage
		}
		if *name != "" {
			if err := a.mustExist(ctx, store, *name); err != nil {
				return fmt.Errorf("checkpoint show: %w", err)
			}
		}
		return a.showCheckpoints(ctx, store, *name, *asJSON, out)
	case "reset":
		to := fs.String("to", "", "new watermark, RFC 3339 or a date: the next run re-reads from it minus PIGMENT_OVERLAP")
		reason := fs.String("reason", "", "why (recorded in the history; required)")
		operator := fs.String("operator", currentUser(), "who (recorded in the history)")
		force := fs.Bool("force", false, "allow a --to in the future (every event ingested before it is skipped)")
		if err := fs.Parse(args[1:]); err != nil {
			return daemon.ErrUsage
		}
		t, err := parseTime(*to)
		if err != nil {
			return fmt.Errorf("checkpoint reset --to: %w", err)
		}
		if now := time.Now(); t.After(now) && !*force {
			return fmt.Errorf("checkpoint reset --to %s is in the future (now %s): every event ingested before it would be skipped; "+
				"add --force if that is what you want", t.Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		if *reason == "" {
			return fmt.Errorf("checkpoint reset: --reason is required (it goes into the history)")
		}
		if err := a.mustExist(ctx, store, cmp.Or(*name, liveCheckpoint)); err != nil {
			return fmt.Errorf("checkpoint reset: %w", err)
		}
		cp := a.checkpointName(cmp.Or(*name, liveCheckpoint))
		if err := store.Reset(ctx, cp, t, *operator, *reason); err != nil {
			return fmt.Errorf("reset checkpoint %q: %w", cp, err)
		}
		a.log.Info().Str("checkpoint", cp).Time("to", t).Str("operator", *operator).Str("reason", *reason).Msg("checkpoint reset")
		fmt.Fprintf(out, "checkpoint %s reset to %s by %s\n", cp, t.Format(time.RFC3339), *operator)
		return nil
	case "history":
		limit := fs.Int("limit", 50, "entries to show")
		if err := fs.Parse(args[1:]); err != nil {
			return daemon.ErrUsage
		}
		if err := a.mustExist(ctx, store, cmp.Or(*name, liveCheckpoint)); err != nil {
			return fmt.Errorf("checkpoint history: %w", err)
		}
		h, err := store.History(ctx, a.checkpointName(cmp.Or(*name, liveCheckpoint)), *limit)
		if err != nil {
			return fmt.Errorf("checkpoint history: %w", err)
		}
		return printTable(out, *asJSON, h, "AT\tCHECKPOINT\tFROM\tTO\tOPERATOR\tREASON", func(tw io.Writer) {
			for _, e := range h {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ts(e.At), e.Name, ts(e.From), ts(e.To), e.Operator, e.Reason)
			}
		})
	}
	return fmt.Errorf("checkpoint %q: want show, reset or history: %w", args[0], daemon.ErrUsage)
}

func (a *app) showCheckpoints(ctx context.Context, store *checkpoint.Store, name string, asJSON bool, out io.Writer) error {
	var cps []checkpoint.Checkpoint
	if name != "" {
		cp, err := store.Load(ctx, a.checkpointName(name))
		if err != nil {
			return fmt.Errorf("checkpoint show: %w", err)
		}
		cps = []checkpoint.Checkpoint{cp}
	} else {
		var err error
		if cps, err = store.List(ctx); err != nil {
			return fmt.Errorf("checkpoint show: %w", err)
		}
	}
	return printTable(out, asJSON, cps, "CHECKPOINT\tWATERMARK\tCOMPLETE\tRUN\tRUN SINCE\tRUN CURSOR\tRUN PRODUCED\tUPDATED", func(tw io.Writer) {
		for _, cp := range cps {
			run, since, cursor, produced := "-", "-", "-", "-"
			if r := cp.Run; r != nil {
				run, since, produced = fmt.Sprint(r.ID), ts(r.Since), fmt.Sprint(r.Produced)
				cursor = "(first page)"
				if r.Cursor != "" {
					cursor = "(page " + fmt.Sprint(r.Pages+1) + ")"
				}
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\n", cp.Name, ts(cp.Watermark), cp.Complete, run, since, cursor, produced, ts(cp.UpdatedAt))
		}
	})
}

// runsCmd is `extract runs`: the run history, to reconcile counts.
func (a *app) runsCmd(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	name := fs.String("name", "", "checkpoint name; default: all")
	limit := fs.Int("limit", 20, "runs to show")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	store, pool, err := a.openStore(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	cp := ""
	if *name != "" {
		if err := a.mustExist(ctx, store, *name); err != nil {
			return fmt.Errorf("runs: %w", err)
		}
		cp = a.checkpointName(*name)
	}
	runs, err := store.Runs(ctx, cp, *limit)
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	return printTable(out, *asJSON, runs, "ID\tCHECKPOINT\tMODE\tSTATUS\tSTARTED\tENDED\tPAGES\tFETCHED\tPRODUCED\tDLQ\tDUPLICATES\tSKIPPED\tERROR", func(tw io.Writer) {
		for _, r := range runs {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.ID, r.Name, r.Mode, r.Status,
				ts(r.StartedAt), ts(r.EndedAt), r.Pages, r.Fetched, r.Produced, r.DLQ, r.Duplicates, r.Skipped, r.Error)
		}
	})
}

// printTable prints v as JSON (--json), or else as a table for people:
// the tab-separated header, then the rows written by rows.
func printTable(out io.Writer, asJSON bool, v any, header string, rows func(tw io.Writer)) error {
	if asJSON {
		return json.NewEncoder(out).Encode(v)
	}
	tw := tabwriter.NewWriter(out, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	rows(tw)
	return tw.Flush()
}

// mustExist refuses a checkpoint name (as the operator typed it, without
// the workspace) that no checkpoint has, listing those that exist: a typo
// would otherwise create a new checkpoint or show nothing. The live
// checkpoint always exists for the operator, run or not.
func (a *app) mustExist(ctx context.Context, store *checkpoint.Store, name string) error {
	if name == liveCheckpoint {
		return nil
	}
	cps, err := store.List(ctx)
	if err != nil {
		return err
	}
	prefix := a.checkpointName("")
	names := []string{liveCheckpoint}
	for _, cp := range cps {
		short, ok := strings.CutPrefix(cp.Name, prefix)
		if !ok || short == liveCheckpoint {
			continue
		}
		if short == name {
			return nil
		}
		names = append(names, short)
	}
	return fmt.Errorf("no checkpoint named %q in workspace %q; existing checkpoints: %s",
		name, a.cfg.Workspace, strings.Join(names, ", "))
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func currentUser() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}
