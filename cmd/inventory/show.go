package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/inventory"
)

// sizes is how many of the largest applications show lists.
const sizes = 20

// view is what `inventory show` prints: the latest snapshot's summary,
// its blocks by type, its largest applications and its findings.
type view struct {
	Summary      inventory.Summary         `json:"summary"`
	BlocksByType map[string]int            `json:"blocksByType"`
	Largest      []appSize                 `json:"largestApplications"`
	Findings     []inventory.StoredFinding `json:"findings"`
}

type appSize struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Blocks int    `json:"blocks"`
}

// withStore runs fn on the store (in the archive database), for the
// read-only commands.
func withStore(ctx context.Context, cfg *Config, fn func(*inventory.Store) error) error {
	pool, err := cfg.archive().Open(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(inventory.NewStore(pool))
}

// latestID is the newest snapshot's id; an error when there is none.
func latestID(ctx context.Context, store *inventory.Store) (int64, error) {
	id, ok, err := store.LatestID(ctx)
	if err == nil && !ok {
		err = errors.New("no snapshot yet: run `inventory once`")
	}
	return id, err
}

// show is `inventory show [--json]`.
func show(ctx context.Context, cfg *Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	return withStore(ctx, cfg, func(store *inventory.Store) error {
		id, err := latestID(ctx, store)
		if err != nil {
			return err
		}
		v, err := load(ctx, store, id)
		if err != nil {
			return err
		}
		if !*asJSON {
			return v.print(out)
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

func load(ctx context.Context, store *inventory.Store, id int64) (view, error) {
	snap, err := store.Load(ctx, id)
	if err != nil {
		return view{}, err
	}
	sum, _, err := store.SummaryOf(ctx, id)
	if err != nil {
		return view{}, err
	}
	v := view{Summary: sum, BlocksByType: map[string]int{}}
	for _, a := range snap.Applications {
		v.Largest = append(v.Largest, appSize{a.ID, a.Name, len(a.Blocks)})
		for _, b := range a.Blocks {
			v.BlocksByType[b.Type]++
		}
	}
	slices.SortStableFunc(v.Largest, func(a, b appSize) int { return cmp.Or(b.Blocks-a.Blocks, strings.Compare(a.Name, b.Name)) })
	v.Largest = v.Largest[:min(len(v.Largest), sizes)]
	v.Findings, err = store.Findings(ctx, id)
	return v, err
}

func (v view) print(out io.Writer) error {
	s := v.Summary
	avg := "not available"
	if s.AvgDimensions != nil {
		avg = fmt.Sprintf("%.2f", *s.AvgDimensions)
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(w, "snapshot %d taken %s\n", s.SnapshotID, s.TakenAt.Format("2006-01-02 15:04:05Z07:00"))
	fmt.Fprintf(w, "applications\t%d\nblocks\t%d\nmetrics\t%d\naverage dimensions per metric\t%s\nlarge applications\t%d\nnaming violations\t%d\n",
		s.Applications, s.Blocks, s.Metrics, avg, s.LargeApplications, s.NamingViolations)
	fmt.Fprintln(w, "\nblocks by type")
	types := make([]string, 0, len(v.BlocksByType))
	for t := range v.BlocksByType {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		fmt.Fprintf(w, "  %s\t%d\n", t, v.BlocksByType[t])
	}
	fmt.Fprintln(w, "\nlargest applications")
	for _, a := range v.Largest {
		fmt.Fprintf(w, "  %s\t%s\t%d blocks\n", a.Name, a.ID, a.Blocks)
	}
	fmt.Fprintf(w, "\nfindings (%d)\n", len(v.Findings))
	for _, f := range v.Findings {
		fmt.Fprintf(w, "  %s\t%s\t%s\t%s\n", f.Severity, f.Rule, f.Key, f.Title)
	}
	return w.Flush()
}

// diff is `inventory diff [--from ID --to ID]`: by default the latest
// snapshot against the one before it.
func diff(ctx context.Context, cfg *Config, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	from := fs.Int64("from", 0, "the earlier snapshot (default: the one before --to)")
	to := fs.Int64("to", 0, "the later snapshot (default: the latest)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return daemon.ErrUsage
	}
	return withStore(ctx, cfg, func(store *inventory.Store) error {
		a, b, err := pair(ctx, store, *from, *to)
		if err != nil {
			return err
		}
		return printDiff(out, a, b, *asJSON)
	})
}

// pair loads snapshots from and to: to 0 is the latest, from 0 the one
// before to.
func pair(ctx context.Context, store *inventory.Store, from, to int64) (a, b *inventory.Snapshot, err error) {
	if to == 0 {
		if to, err = latestID(ctx, store); err != nil {
			return nil, nil, err
		}
	}
	if from == 0 {
		id, ok, err := store.PreviousID(ctx, to)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			return nil, nil, fmt.Errorf("no snapshot before %d to compare it with", to)
		}
		from = id
	}
	if a, err = store.Load(ctx, from); err != nil {
		return nil, nil, err
	}
	b, err = store.Load(ctx, to)
	return a, b, err
}

// printDiff prints the changes from a to b.
func printDiff(out io.Writer, a, b *inventory.Snapshot, asJSON bool) error {
	changes := inventory.Compare(a, b)
	if asJSON {
		if changes == nil {
			changes = []inventory.Change{}
		}
		return json.NewEncoder(out).Encode(map[string]any{"from": a.ID, "to": b.ID, "changes": changes})
	}
	fmt.Fprintf(out, "snapshot %d (%s) -> %d (%s): %d changes\n", a.ID, a.TakenAt.Format("2006-01-02 15:04Z07:00"),
		b.ID, b.TakenAt.Format("2006-01-02 15:04Z07:00"), len(changes))
	for _, c := range changes {
		fmt.Fprintln(out, describe(c))
	}
	return nil
}

// describe is one line of a diff.
func describe(c inventory.Change) string {
	what := c.Object + " " + c.Application
	if c.Object == inventory.ObjectBlock {
		what = fmt.Sprintf("block %s/%s (%s)", c.Application, c.ID, c.Type)
	}
	switch c.Kind {
	case inventory.Renamed:
		return fmt.Sprintf("renamed       %s: %q -> %q", what, c.OldName, c.Name)
	case inventory.Redimensioned:
		return fmt.Sprintf("redimensioned %s %q: [%s] -> [%s]", what, c.Name, strings.Join(c.OldDimensions, ", "), strings.Join(c.Dimensions, ", "))
	}
	return fmt.Sprintf("%-13s %s %q", c.Kind, what, c.Name)
}
