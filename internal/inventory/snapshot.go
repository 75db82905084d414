package inventory

import (
	"context"
	"fmt"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigment"
)

// Snapshot is the workspace's structure at TakenAt.
type Snapshot struct {
	ID           int64 // 0 until saved
	TakenAt      time.Time
	Applications []Application
}

// Application is an application with its blocks.
type Application struct {
	pigment.Application
	Blocks []Block
}

// Block is a block with its import configurations and views.
type Block struct {
	pigment.Block
	Imports []pigment.ImportConfiguration
	Views   []pigment.View
}

// Progress says how far a snapshot has got, for the logs and /healthz.
type Progress struct {
	Applications, Done, Blocks, Requests int
}

// Take reads the whole workspace from src: the applications, each one's
// blocks, each block's import configurations and views. That is 1 +
// applications + 2 x blocks requests, made one at a time (the source waits
// for the shared rate budget). Any error fails the snapshot. progress, when
// not nil, is told after each application how far it got (600
// applications take hours).
func Take(ctx context.Context, src Source, now time.Time, progress func(Progress)) (*Snapshot, error) {
	apps, err := src.Applications(ctx)
	if err != nil {
		return nil, fmt.Errorf("list applications: %w", err)
	}
	apps = uniqueIDs(apps, func(a pigment.Application) string { return a.ID })
	snap := &Snapshot{TakenAt: now, Applications: make([]Application, 0, len(apps))}
	p := Progress{Applications: len(apps), Requests: 1}
	for _, a := range apps {
		app, err := takeApplication(ctx, src, a, &p)
		if err != nil {
			return nil, err
		}
		snap.Applications = append(snap.Applications, app)
		p.Done++
		if progress != nil {
			progress(p)
		}
	}
	return snap, nil
}

// takeApplication reads one application's blocks and their details.
func takeApplication(ctx context.Context, src Source, a pigment.Application, p *Progress) (Application, error) {
	blocks, err := src.Blocks(ctx, a.ID)
	p.Requests++
	if err != nil {
		return Application{}, fmt.Errorf("list blocks of application %s: %w", a.ID, err)
	}
	blocks = uniqueIDs(blocks, func(b pigment.Block) string { return b.ID })
	app := Application{Application: a, Blocks: make([]Block, 0, len(blocks))}
	for _, b := range blocks {
		imports, err := src.ImportConfigurations(ctx, a.ID, b.ID)
		p.Requests++
		if err != nil {
			return app, fmt.Errorf("list import configurations of block %s/%s: %w", a.ID, b.ID, err)
		}
		views, err := src.Views(ctx, a.ID, b.ID)
		p.Requests++
		if err != nil {
			return app, fmt.Errorf("list views of block %s/%s: %w", a.ID, b.ID, err)
		}
		imports = uniqueIDs(imports, func(c pigment.ImportConfiguration) string { return c.ID })
		views = uniqueIDs(views, func(v pigment.View) string { return v.ID })
		app.Blocks = append(app.Blocks, Block{Block: b, Imports: imports, Views: views})
		p.Blocks++
	}
	return app, nil
}

// uniqueIDs keeps the first of the items sharing an id: an answer that
// lists one twice describes one thing, and would otherwise break the
// snapshot's primary keys on every run.
func uniqueIDs[T any](items []T, id func(T) string) []T {
	seen := make(map[string]bool, len(items))
	out := items[:0:0]
	for _, it := range items {
		if k := id(it); !seen[k] {
			seen[k] = true
			out = append(out, it)
		}
	}
	return out
}

// blockKey is the key of a block in findings and diffs.
func blockKey(appID, blockID string) string { return "block:" + appID + "/" + blockID }

// applicationKey is the key of an application in findings and diffs.
func applicationKey(appID string) string { return "application:" + appID }
