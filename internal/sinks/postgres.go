package sinks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/internal/transform"
)

// PostgresConfig configures the archive.
type PostgresConfig struct {
	URL string // ARCHIVE_DATABASE_URL; never logged unredacted
	// Retention is how long events are kept: a partition whose month ended
	// more than Retention ago is dropped whole by Maintain. 0 keeps all.
	Retention time.Duration
	// PartitionsAhead is how many months after the current one Maintain
	// creates partitions for (default 3).
	PartitionsAhead int
	// MaxConns bounds the connections (default 4).
	MaxConns int
	// Timeout bounds one transaction (default 1m); past it, Retry.
	Timeout time.Duration
	Logger  zerolog.Logger
}

// Postgres is the archive: it writes rows of transform.AppendArchive into
// the tables of migrations/00005_archive.sql and after (which must be applied).
//
// Each Send is one transaction: the partitions of the months the batch's
// events hold are created if missing, the events are COPied into
// archive_events (through a staging table and ON CONFLICT DO NOTHING when
// some are there already: see writeEvents), the alerts staged and inserted
// ON CONFLICT DO NOTHING; events are keyed by eventId and ingestion time,
// alerts by id, so a re-delivery or a replay never makes a second row.
// Records are Delivered only once the transaction committed. Errors are classified in classify.go
// (pgOutcome): connection failures, shutdowns, serialization failures and
// deadlocks are Retry; a row Postgres refuses for its content is found by
// bisection and Rejected alone; a missing privilege, table or database is
// ErrMisconfigured (refused credentials ErrAuth).
//
// Postgres is safe for concurrent use.
type Postgres struct {
	cfg  PostgresConfig
	pool *pgxpool.Pool

	mu     sync.Mutex
	months map[int]bool // months (year*12+month-1) known to have a partition

	slow atomic.Int32 // batches still to stage first (see writeEvents)

	partitions prometheus.Gauge
	dropped    prometheus.Counter
}

// NewPostgres returns the archive sink. It does not connect: connections
// are made (and remade) as needed.
func NewPostgres(cfg PostgresConfig) (*Postgres, error) {
	if cfg.PartitionsAhead <= 0 {
		cfg.PartitionsAhead = 3
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 4
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = time.Minute
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("archive database URL %s: %w", pgdsn.Redact(cfg.URL), pgdsn.Scrub(err, cfg.URL))
	}
	pc.MaxConns = int32(cfg.MaxConns)
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		return nil, fmt.Errorf("archive database %s: %w", pgdsn.Redact(cfg.URL), pgdsn.Scrub(err, cfg.URL))
	}
	p := &Postgres{cfg: cfg, pool: pool, months: map[int]bool{},
		partitions: prometheus.NewGauge(prometheus.GaugeOpts{Name: "pigment_archive_partitions",
			Help: "Monthly partitions of archive_events."}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "pigment_archive_partitions_dropped_total",
			Help: "Partitions of archive_events dropped past ARCHIVE_RETENTION."}),
	}
	return p, nil
}

// Collectors are the archive's series, for registration:
// pigment_archive_partitions and pigment_archive_partitions_dropped_total.
func (p *Postgres) Collectors() []prometheus.Collector {
	return []prometheus.Collector{p.partitions, p.dropped}
}

// Close closes the connections.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// Send archives records (rows of transform.AppendArchive); ids are unused
// (the rows carry their keys).
func (p *Postgres) Send(ctx context.Context, records [][]byte, _ []string) ([]Result, error) {
	results := make([]Result, len(records))
	idx := make([]int, len(records))
	for i := range idx {
		idx[i] = i
	}
	return results, p.send(ctx, records, idx, results)
}

// send writes the records at idx in one transaction and sets their
// results; a batch refused for the content of a row is split in two until
// the row is alone, and Rejected.
func (p *Postgres) send(ctx context.Context, records [][]byte, idx []int, results []Result) error {
	err := p.write(ctx, records, idx)
	if err == nil {
		for _, i := range idx {
			results[i] = Result{Outcome: Delivered}
		}
		return nil
	}
	switch pgOutcome(err) {
	case Retry:
		if isNoPartition(err) {
			p.forget() // dropped meanwhile by another process's retention
		}
		for _, i := range idx {
			results[i] = Result{Outcome: Retry, Reason: p.reason(err)}
		}
		return nil
	case misconfigured:
		return fmt.Errorf("%w: archive database %s: %s", errMisconfiguredOf(err), pgdsn.Redact(p.cfg.URL), p.reason(err))
	}
	if len(idx) == 1 {
		results[idx[0]] = Result{Outcome: Reject, Reason: "archive refused the row: " + p.reason(err)}
		return nil
	}
	half := len(idx) / 2
	if err := p.send(ctx, records, idx[:half], results); err != nil {
		return err
	}
	return p.send(ctx, records, idx[half:], results)
}

func (p *Postgres) reason(err error) string {
	return pgdsn.Scrub(err, p.cfg.URL).Error()
}

// errMisconfiguredOf is ErrAuth for refused credentials, else
// ErrMisconfigured.
func errMisconfiguredOf(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Code, "28") {
		return ErrAuth
	}
	return ErrMisconfigured
}

// write is one transaction archiving the records at idx.
func (p *Postgres) write(ctx context.Context, records [][]byte, idx []int) error {
	var events, alerts rows
	for _, i := range idx {
		r := records[i]
		switch {
		case len(r) > 0 && r[0] == transform.ArchiveEventRow:
			events = append(events, r[1:])
		case len(r) > 0 && r[0] == transform.ArchiveAlertRow:
			alerts = append(alerts, r[1:])
		default:
			return &pgconn.PgError{Code: "22000", Message: "not an archive row (transform.AppendArchive)"}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	tx, err := p.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit a no-op
	var created []int
	if len(events) > 0 {
		if created, err = p.ensure(ctx, tx, events); err != nil {
			return err
		}
		if err := p.writeEvents(ctx, tx, events); err != nil {
			return err
		}
	}
	if len(alerts) > 0 {
		if err := p.stage(ctx, tx, "archive_alerts", transform.ArchiveAlertColumns, alerts); err != nil {
			return err
		}
		if err := p.insert(ctx, tx, "archive_alerts", transform.ArchiveAlertColumns); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	p.remember(created...)
	return nil
}

// writeEvents archives event rows in tx. Duplicates are rare (a crash
// between commit and offset commit, a replay), so the rows are first
// COPied straight into archive_events, which writes each row once; only
// when that meets a row already there (unique_violation) are they staged
// and inserted ON CONFLICT DO NOTHING, and so are the next batches for a
// while (a replay is one conflict after another).
func (p *Postgres) writeEvents(ctx context.Context, tx pgx.Tx, events rows) error {
	if p.slow.Load() <= 0 {
		sp, err := tx.Begin(ctx) // a savepoint
		if err != nil {
			return err
		}
		_, err = sp.Conn().PgConn().CopyFrom(ctx, events.reader(), copySQL("archive_events", transform.ArchiveEventColumns))
		if err == nil {
			return sp.Commit(ctx)
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "23505" {
			return err
		}
		if err := sp.Rollback(ctx); err != nil {
			return err
		}
		p.slow.Store(slowBatches)
	} else {
		p.slow.Add(-1)
	}
	if err := p.stage(ctx, tx, "archive_events", transform.ArchiveEventColumns, events); err != nil {
		return err
	}
	return p.insert(ctx, tx, "archive_events", transform.ArchiveEventColumns)
}

// slowBatches is how many batches go through the staging table after one
// met a row already archived.
const slowBatches = 20

// stage COPies rows into the session's staging table for table (created
// on first use, emptied at commit).
func (p *Postgres) stage(ctx context.Context, tx pgx.Tx, table string, cols []string, rs rows) error {
	stage := table + "_stage"
	if _, err := tx.Exec(ctx, "CREATE TEMP TABLE IF NOT EXISTS "+stage+" (LIKE "+table+" INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"); err != nil {
		return err
	}
	_, err := tx.Conn().PgConn().CopyFrom(ctx, rs.reader(), copySQL(stage, cols))
	return err
}

// copySQL is the COPY of rows of transform.AppendArchive into table.
func copySQL(table string, cols []string) string {
	return "COPY " + table + " (" + strings.Join(cols, ",") + ") FROM STDIN WITH (FORMAT binary)"
}

// insert moves the staged rows into table, keeping rows already there.
func (p *Postgres) insert(ctx context.Context, tx pgx.Tx, table string, cols []string) error {
	c := strings.Join(cols, ",")
	_, err := tx.Exec(ctx, "INSERT INTO "+table+" ("+c+") SELECT "+c+" FROM "+table+"_stage ON CONFLICT DO NOTHING")
	return err
}

// rows are binary COPY tuples (archive rows without their tags).
type rows [][]byte

// reader reads rows as a binary COPY stream: the header, their
// concatenation and the trailer, leaving them as they are (a batch may be
// COPied twice: see writeEvents).
func (r rows) reader() io.Reader {
	all := make([][]byte, 0, len(r)+2)
	all = append(append(append(all, transform.ArchiveCopyHeader), r...), transform.ArchiveCopyTrailer)
	return &rowReader{rows: all}
}

type rowReader struct {
	rows [][]byte
	off  int // in rows[0]
}

func (r *rowReader) Read(b []byte) (int, error) {
	n := 0
	for n < len(b) && len(r.rows) > 0 {
		c := copy(b[n:], r.rows[0][r.off:])
		n += c
		if r.off += c; r.off == len(r.rows[0]) {
			r.rows, r.off = r.rows[1:], 0
		}
	}
	if n == 0 && len(r.rows) == 0 {
		return 0, io.EOF
	}
	return n, nil
}
