package sinks

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pigment-siem/pipeline/internal/transform"
)

// partitionLock is the advisory lock key held while archive_events'
// partitions are created or dropped, so that processes starting at once
// do not race on the catalog.
const partitionLock = 0x61726368697665 // "archive"

// month is a month as year*12 + month - 1.
type month int

func monthOf(t time.Time) month { return month(t.Year()*12 + int(t.Month()) - 1) }

func (m month) start() time.Time {
	return time.Date(int(m)/12, time.Month(int(m)%12+1), 1, 0, 0, 0, 0, time.UTC)
}

// name is the partition's table name: archive_events_yYYYYmMM.
func (m month) name() string {
	return fmt.Sprintf("archive_events_y%04dm%02d", int(m)/12, int(m)%12+1)
}

// parseMonth reads a partition's name; ok is false for another table.
func parseMonth(name string) (month, bool) {
	var y, mo int
	if n, err := fmt.Sscanf(name, "archive_events_y%04dm%02d", &y, &mo); err != nil || n != 2 || mo < 1 || mo > 12 ||
		name != month(y*12+mo-1).name() {
		return 0, false
	}
	return month(y*12 + mo - 1), true
}

// ensure creates the partitions of the months of the event rows that are
// not known to exist, in tx, and returns them (known once tx committed).
func (p *Postgres) ensure(ctx context.Context, tx pgx.Tx, events rows) ([]int, error) {
	seen := map[int]bool{}
	var ms []int
	for _, r := range events {
		if m, ok := transform.ArchiveRowMonth(r); ok && !seen[m] {
			seen[m] = true
			ms = append(ms, m)
		}
	}
	p.mu.Lock()
	var missing []int
	for _, m := range ms {
		if !p.months[m] {
			missing = append(missing, m)
		}
	}
	p.mu.Unlock()
	if len(missing) == 0 {
		return nil, nil
	}
	// Most are there already (created ahead, or by another process): no
	// lock, no DDL, and no CREATE privilege needed for them.
	have, err := p.existing(ctx, tx)
	if err != nil {
		return nil, err
	}
	var create []int
	for _, m := range missing {
		if !have[m] {
			create = append(create, m)
		}
	}
	if len(create) == 0 {
		return missing, nil
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(partitionLock)); err != nil {
		return nil, err
	}
	for _, m := range create {
		if err := createPartition(ctx, tx, month(m)); err != nil {
			return nil, err
		}
	}
	return missing, nil
}

// existing returns the months that have a partition.
func (p *Postgres) existing(ctx context.Context, tx pgx.Tx) (map[int]bool, error) {
	rs, err := tx.Query(ctx, `SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'archive_events'::regclass`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	have := map[int]bool{}
	for _, n := range names {
		if m, ok := parseMonth(n); ok {
			have[int(m)] = true
		}
	}
	return have, nil
}

func createPartition(ctx context.Context, tx pgx.Tx, m month) error {
	_, err := tx.Exec(ctx, "CREATE TABLE IF NOT EXISTS "+m.name()+" PARTITION OF archive_events FOR VALUES FROM ('"+
		m.start().Format(time.RFC3339)+"') TO ('"+(m+1).start().Format(time.RFC3339)+"')")
	return err
}

func (p *Postgres) remember(ms ...int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range ms {
		p.months[m] = true
	}
}

func (p *Postgres) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.months)
}

// isNoPartition reports whether err is an insert into a month without a
// partition (dropped after this process had seen it).
func isNoPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && pe.Routine == "ExecFindPartition"
}

// Maintain creates the partitions of now's month and PartitionsAhead
// months after it, and drops, logging each, the partitions whose month
// ended more than Retention before now. It returns the partitions dropped.
// Run it at start and then periodically (forward does hourly); concurrent
// calls from several processes are safe.
func (p *Postgres) Maintain(ctx context.Context, now time.Time) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return nil, p.maintainErr(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(partitionLock)); err != nil {
		return nil, p.maintainErr(err)
	}
	have, err := p.existing(ctx, tx)
	if err != nil {
		return nil, p.maintainErr(err)
	}
	// Only missing months are created: a role that may insert but not
	// create tables keeps working while the partitions ahead exist.
	cur := monthOf(now.UTC())
	for m := cur; m <= cur+month(p.cfg.PartitionsAhead); m++ {
		if have[int(m)] {
			continue
		}
		if err := createPartition(ctx, tx, m); err != nil {
			return nil, p.maintainErr(err)
		}
		have[int(m)] = true
	}
	var dropped []string
	var kept []int
	for _, mi := range slices.Sorted(maps.Keys(have)) {
		m := month(mi)
		name := m.name()
		if p.cfg.Retention > 0 && !(m + 1).start().After(now.Add(-p.cfg.Retention)) {
			if _, err := tx.Exec(ctx, "DROP TABLE "+name); err != nil {
				return nil, p.maintainErr(err)
			}
			dropped = append(dropped, name)
			continue
		}
		kept = append(kept, int(m))
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, p.maintainErr(err)
	}
	p.forget()
	p.remember(kept...)
	p.partitions.Set(float64(len(kept)))
	p.summarize(ctx)
	for _, name := range dropped {
		p.dropped.Inc()
		m, _ := parseMonth(name)
		p.cfg.Logger.Info().Str("partition", name).Str("month", m.start().Format("2006-01")).
			Str("retention", p.cfg.Retention.String()).Msg("archive partition past ARCHIVE_RETENTION dropped")
	}
	return dropped, nil
}

// summarize summarizes the block ranges of archive_events' BRIN on
// event_time that filled since the last call, in every partition. A range
// not summarized matches every query, so until then a report for one week
// reads every block written since the last VACUUM (all of them where
// autovacuum is off); autovacuum would summarize them only after a fifth
// of a partition's rows were added. brin_summarize_new_values reads only
// those ranges: cheap once an hour. It needs the index's owner; a role
// that may only insert leaves it to the owner's forward or to VACUUM, and
// it is logged, never an error of Maintain.
func (p *Postgres) summarize(ctx context.Context) {
	_, err := p.pool.Exec(ctx, `SELECT brin_summarize_new_values(i.inhrelid)
		FROM pg_inherits i WHERE i.inhparent = 'archive_events_event_time'::regclass`)
	if err != nil && ctx.Err() == nil {
		p.cfg.Logger.Info().Str("reason", p.reason(err)).
			Msg("archive: event_time index not summarized (left to VACUUM); reports may read more blocks")
	}
}

func (p *Postgres) maintainErr(err error) error {
	if pgOutcome(err) == misconfigured {
		err = fmt.Errorf("%w: %s", errMisconfiguredOf(err), p.reason(err))
	} else {
		err = errors.New(p.reason(err))
	}
	return fmt.Errorf("archive partitions: %w", err)
}
