package inventory

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
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
		switch {
		case errors.Is(err, errDeleted):
			p.Applications-- // deleted since listed: absent, as the next listing shows
			continue
		case err != nil:
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
	appListed := func() (bool, error) { return applicationListed(ctx, src, a.ID) }
	blocks, err := src.Blocks(ctx, a.ID)
	p.Requests++
	if err != nil {
		if deleted(err, p, appListed) {
			return Application{}, errDeleted
		}
		return Application{}, fmt.Errorf("list blocks of application %s: %w", a.ID, err)
	}
	blocks = uniqueIDs(blocks, func(b pigment.Block) string { return b.ID })
	app := Application{Application: a, Blocks: make([]Block, 0, len(blocks))}
	// appGone is set when a block's details answer 404 because the whole
	// application went after its blocks were listed (the listing of its
	// blocks answers 404 too): the application is left out, not failed.
	appGone := false
	for _, b := range blocks {
		listed := func() (bool, error) {
			still, err := blockListed(ctx, src, a.ID, b.ID)
			if err != nil && deleted(err, p, appListed) {
				appGone = true
				return false, nil
			}
			return still, err
		}
		blk, err := takeBlock(ctx, src, a.ID, b, p)
		if err != nil && deleted(err, p, listed) {
			if appGone {
				return Application{}, errDeleted
			}
			continue
		}
		if err != nil {
			return app, err
		}
		app.Blocks = append(app.Blocks, blk)
		p.Blocks++
	}
	return app, nil
}

// takeBlock reads one block's import configurations and views.
func takeBlock(ctx context.Context, src Source, appID string, b pigment.Block, p *Progress) (Block, error) {
	imports, err := src.ImportConfigurations(ctx, appID, b.ID)
	p.Requests++
	if err != nil {
		return Block{}, fmt.Errorf("list import configurations of block %s/%s: %w", appID, b.ID, err)
	}
	views, err := src.Views(ctx, appID, b.ID)
	p.Requests++
	if err != nil {
		return Block{}, fmt.Errorf("list views of block %s/%s: %w", appID, b.ID, err)
	}
	return Block{Block: b, Imports: uniqueIDs(imports, func(c pigment.ImportConfiguration) string { return c.ID }),
		Views: uniqueIDs(views, func(v pigment.View) string { return v.ID })}, nil
}

// errDeleted is takeApplication's answer for an application deleted since
// it was listed.
var errDeleted = errors.New("deleted since listed")

// deleted says whether err, the answer for the details of something
// listed, means it was deleted since: a 404, and a new listing (listed)
// that no longer shows it. A snapshot of 600 applications takes hours, and
// the workspace changes meanwhile; failing on such a 404 would fail every
// snapshot of a busy workspace. Any other answer, or a 404 for something
// still listed (a proxy, a changed API), still fails the snapshot: read as
// a deletion, it would alert on every block.
func deleted(err error, p *Progress, listed func() (bool, error)) bool {
	var api *pigment.APIError
	if !errors.As(err, &api) || api.StatusCode != http.StatusNotFound {
		return false
	}
	still, lerr := listed()
	p.Requests++
	return lerr == nil && !still
}

// applicationListed says whether the applications' listing shows appID.
func applicationListed(ctx context.Context, src Source, appID string) (bool, error) {
	apps, err := src.Applications(ctx)
	return slices.ContainsFunc(apps, func(a pigment.Application) bool { return a.ID == appID }), err
}

// blockListed says whether the listing of appID's blocks shows blockID.
func blockListed(ctx context.Context, src Source, appID, blockID string) (bool, error) {
	blocks, err := src.Blocks(ctx, appID)
	return slices.ContainsFunc(blocks, func(b pigment.Block) bool { return b.ID == blockID }), err
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
