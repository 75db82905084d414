package inventory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pigment-siem/pipeline/internal/pigment"
)

// LatestSummary is the newest snapshot taken at or before t; ok=false when none.
func (s *Store) LatestSummary(ctx context.Context, t time.Time) (sum Summary, ok bool, err error) {
	return s.summary(ctx, `taken_at <= $1`, t)
}

// SummaryOf returns the summary stored with snapshot id; ok=false when
// there is no such snapshot.
func (s *Store) SummaryOf(ctx context.Context, id int64) (sum Summary, ok bool, err error) {
	return s.summary(ctx, `id = $1`, id)
}

// summary reads the newest summary of the snapshots where cond holds.
func (s *Store) summary(ctx context.Context, cond string, arg any) (sum Summary, ok bool, err error) {
	err = s.pool.QueryRow(ctx, `SELECT id, taken_at, applications, blocks, metrics, avg_dimensions, large_applications, naming_violations
		FROM inventory_snapshots WHERE `+cond+` ORDER BY taken_at DESC, id DESC LIMIT 1`, arg).
		Scan(&sum.SnapshotID, &sum.TakenAt, &sum.Applications, &sum.Blocks, &sum.Metrics, &sum.AvgDimensions,
			&sum.LargeApplications, &sum.NamingViolations)
	if errors.Is(err, pgx.ErrNoRows) {
		return Summary{}, false, nil
	}
	if err != nil {
		return Summary{}, false, fmt.Errorf("read inventory summary: %w", err)
	}
	sum.TakenAt = sum.TakenAt.UTC()
	return sum, true, nil
}

// LatestID is the id of the newest snapshot; ok=false when none.
func (s *Store) LatestID(ctx context.Context) (id int64, ok bool, err error) {
	return s.idBefore(ctx, 0)
}

// PreviousID is the id of the snapshot before id; ok=false when none.
func (s *Store) PreviousID(ctx context.Context, id int64) (prev int64, ok bool, err error) {
	return s.idBefore(ctx, id)
}

// idBefore is the newest snapshot id below id (any when id is 0).
func (s *Store) idBefore(ctx context.Context, id int64) (int64, bool, error) {
	var got *int64
	if err := s.pool.QueryRow(ctx, `SELECT max(id) FROM inventory_snapshots WHERE $1 = 0 OR id < $1`, id).Scan(&got); err != nil {
		return 0, false, fmt.Errorf("find inventory snapshot: %w", err)
	}
	if got == nil {
		return 0, false, nil
	}
	return *got, true, nil
}

// Load reads snapshot id whole, applications and blocks in id order.
func (s *Store) Load(ctx context.Context, id int64) (*Snapshot, error) {
	snap := &Snapshot{ID: id}
	err := s.pool.QueryRow(ctx, `SELECT taken_at FROM inventory_snapshots WHERE id = $1`, id).Scan(&snap.TakenAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("load inventory snapshot %d: %w", id, errNoSnapshot)
	}
	if err != nil {
		return nil, fmt.Errorf("load inventory snapshot %d: %w", id, err)
	}
	snap.TakenAt = snap.TakenAt.UTC()
	if err := s.loadRows(ctx, snap); err != nil {
		return nil, fmt.Errorf("load inventory snapshot %d: %w", id, err)
	}
	return snap, nil
}

func (s *Store) loadRows(ctx context.Context, snap *Snapshot) error {
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at, modified_at FROM inventory_applications WHERE snapshot_id = $1 ORDER BY id`, snap.ID)
	if err != nil {
		return err
	}
	apps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Application, error) {
		var a Application
		return a, r.Scan(&a.ID, &a.Name, &a.CreatedAt, &a.ModifiedAt)
	})
	if err != nil {
		return err
	}
	index := make(map[string]int, len(apps))
	for i, a := range apps {
		index[a.ID] = i
	}
	blocks := map[[2]string]*Block{}
	rows, err = s.pool.Query(ctx, `SELECT application_id, id, name, type, dimensions FROM inventory_blocks WHERE snapshot_id = $1 ORDER BY application_id, id`, snap.ID)
	if err != nil {
		return err
	}
	var appID string
	var b pigment.Block
	var dims []string
	_, err = pgx.ForEachRow(rows, []any{&appID, &b.ID, &b.Name, &b.Type, &dims}, func() error {
		blk := Block{Block: b}
		blk.Dimensions, blk.HasDimensions = dims, dims != nil
		i := index[appID]
		apps[i].Blocks = append(apps[i].Blocks, blk)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range apps {
		for j := range apps[i].Blocks {
			blocks[[2]string{apps[i].ID, apps[i].Blocks[j].ID}] = &apps[i].Blocks[j]
		}
	}
	if err := s.loadDetails(ctx, snap.ID, blocks); err != nil {
		return err
	}
	snap.Applications = apps
	return nil
}

// loadDetails adds the import configurations and views to blocks.
func (s *Store) loadDetails(ctx context.Context, id int64, blocks map[[2]string]*Block) error {
	var appID, blockID string
	var c pigment.ImportConfiguration
	rows, err := s.pool.Query(ctx, `SELECT application_id, block_id, id, name FROM inventory_import_configurations WHERE snapshot_id = $1 ORDER BY 1, 2, 3`, id)
	if err != nil {
		return err
	}
	if _, err := pgx.ForEachRow(rows, []any{&appID, &blockID, &c.ID, &c.Name}, func() error {
		if b := blocks[[2]string{appID, blockID}]; b != nil {
			b.Imports = append(b.Imports, c)
		}
		return nil
	}); err != nil {
		return err
	}
	var v pigment.View
	rows, err = s.pool.Query(ctx, `SELECT application_id, block_id, id, name, type FROM inventory_views WHERE snapshot_id = $1 ORDER BY 1, 2, 3`, id)
	if err != nil {
		return err
	}
	_, err = pgx.ForEachRow(rows, []any{&appID, &blockID, &v.ID, &v.Name, &v.Type}, func() error {
		if b := blocks[[2]string{appID, blockID}]; b != nil {
			b.Views = append(b.Views, v)
		}
		return nil
	})
	return err
}

// StoredFinding is a finding as a snapshot recorded it.
type StoredFinding struct {
	Rule     string `json:"rule"`
	Key      string `json:"key"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
	AlertID  string `json:"alertId"`
}

// Findings returns the findings of snapshot id, by rule and key.
func (s *Store) Findings(ctx context.Context, id int64) ([]StoredFinding, error) {
	rows, err := s.pool.Query(ctx, `SELECT rule, key, severity, title, alert_id FROM inventory_snapshot_findings WHERE snapshot_id = $1 ORDER BY rule, key`, id)
	if err != nil {
		return nil, fmt.Errorf("read findings of snapshot %d: %w", id, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[StoredFinding])
	if err != nil {
		return nil, fmt.Errorf("read findings of snapshot %d: %w", id, err)
	}
	return out, nil
}
