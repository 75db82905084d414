package report

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/checkpoint"
)

// Completeness checks that a period is wholly in the archive before a
// report on it is written, in the order the data flows:
//
//  1. extract's live checkpoint vouches for every event ingested before
//     the period's end plus the overlap (checkpoint.Store.CompleteBefore):
//     those events are in the topic;
//  2. the topics' end offsets are read then, once: they are past every
//     such event;
//  3. the archive's consumer groups are waited for, up to Wait, until
//     they have committed those offsets (forward commits only what
//     Postgres holds).
type Completeness struct {
	Checkpoints *pgxpool.Pool // extract's database (DATABASE_URL)
	Checkpoint  string        // the live checkpoint's scoped name
	Overlap     time.Duration // PIGMENT_OVERLAP, as extract re-reads it
	Kafka       *kafka.Client
	// Sources are the topics the archive reads, each with the consumer
	// group that reads it: the events and alerts topics with the archive's
	// group, the dead-letter topic with the group that counts it.
	Sources []Source
	Wait    time.Duration
	Poll    time.Duration // between offset checks; 0 = 1s
}

// Source is a topic and the consumer group that archives it.
type Source struct {
	Topic, Group string
}

// IncompleteError is what a report on an incomplete period ends with (exit
// status 3): each reason says what is missing.
type IncompleteError struct {
	Period  string
	Reasons []string
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("period %s is not complete in the archive (run again later, or pass --allow-incomplete):\n  %s",
		e.Period, strings.Join(e.Reasons, "\n  "))
}

// ExitCode is 3: a scheduler retries later; 1 stays for failures.
func (e *IncompleteError) ExitCode() int { return 3 }

// Check returns the coverage of p and, when p is not complete, the reasons.
// The topic offsets are waited for only once extract vouches for p.
func (c *Completeness) Check(ctx context.Context, p Period) (Coverage, []string, error) {
	var cov Coverage
	var reasons []string
	store := checkpoint.New(c.Checkpoints)
	cb, err := store.CompleteBefore(ctx, c.Checkpoint)
	if err != nil {
		return cov, nil, err
	}
	need := p.End.Add(c.Overlap)
	cp, err := store.Load(ctx, c.Checkpoint)
	if err != nil {
		return cov, nil, err
	}
	if !cp.Watermark.IsZero() {
		w := cp.Watermark.UTC()
		cov.LiveWatermark = &w
	}
	switch {
	case cb.IsZero():
		reasons = append(reasons, fmt.Sprintf("extract checkpoint %q has no finished run: nothing vouches for the period (need %s)",
			c.Checkpoint, stamp(need)))
	case cb.Before(need):
		reasons = append(reasons, fmt.Sprintf("extract watermark at %s, need %s (period end %s + PIGMENT_OVERLAP %s)",
			stamp(cb), stamp(need), stamp(p.End), c.Overlap))
	}
	if !cb.IsZero() {
		cb = cb.UTC()
		cov.LiveCompleteBefore = &cb
	}
	if cov.Runs, err = c.runs(ctx, p, need); err != nil {
		return cov, nil, err
	}
	if cov.CompleteBefore, cov.Watermark, err = c.closedBy(ctx, need); err != nil {
		return cov, nil, err
	}
	if cov.CompleteBefore == nil { // not closed yet (or only by the watermark): as it stands now
		cov.CompleteBefore, cov.Watermark = cov.LiveCompleteBefore, cov.LiveWatermark
	}
	wait := c.Wait
	if len(reasons) > 0 {
		wait = 0 // the topics cannot catch up with what is not extracted
	}
	cov.Topics, err = c.archived(ctx, wait)
	if err != nil {
		return cov, nil, err
	}
	missing, err := c.missingEvents(ctx, cov.Topics)
	if err != nil {
		return cov, nil, err
	}
	if missing != "" {
		reasons = append(reasons, missing)
	}
	for _, t := range cov.Topics {
		for _, pp := range t.Partitions {
			if pp.Archived < pp.End {
				reasons = append(reasons, fmt.Sprintf("%s partition %d archived to offset %d of %d (consumer group %s, waited %s)",
					t.Topic, pp.Partition, pp.Archived, pp.End, t.Group, wait))
			}
		}
	}
	return cov, reasons, nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// runs lists the extract runs whose range meets [p.Start, need): those that
// read events (or failed, which an auditor asks about), up to the first
// successful one that started at or past need, which closed the period.
// Empty successful polls are left out (a week of 30 s polls is twenty
// thousand of them), and so are the runs after the closing one: the list
// stays the same however long after the period the report is written.
func (c *Completeness) runs(ctx context.Context, p Period, need time.Time) ([]Run, error) {
	rows, err := c.Checkpoints.Query(ctx, `
		WITH closing AS (
		    SELECT min(id) AS id FROM extract_runs WHERE name = $1 AND status = 'ok' AND started_at >= $3)
		SELECT extract_runs.id, name, started_at, ended_at, status, produced
		FROM extract_runs, closing
		WHERE name = $1 AND (extract_runs.id = closing.id OR
		      (status <> 'running' AND since < $3 AND started_at > $2 AND (produced > 0 OR status <> 'ok')
		       AND (closing.id IS NULL OR extract_runs.id < closing.id)))
		ORDER BY extract_runs.id`, c.Checkpoint, p.Start, need)
	if err != nil {
		return nil, fmt.Errorf("extract runs of %q: %w", c.Checkpoint, err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (Run, error) {
		var r Run
		var id int64
		err := row.Scan(&id, &r.Name, &r.Started, &r.Finished, &r.Status, &r.Events)
		r.ID, r.Started = fmt.Sprint(id), r.Started.UTC()
		if r.Finished != nil {
			f := r.Finished.UTC()
			r.Finished = &f
		}
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("extract runs of %q: %w", c.Checkpoint, err)
	}
	return runs, nil
}

// closedBy returns what the run that closed the period (the first
// successful one that started at or past need) vouched for: its start,
// before which every event is in the topic, and the watermark it left, as
// the run history records it: the greatest high-water mark of the
// successful runs up to it since the last checkpoint reset before it (or
// that reset's watermark), each run's no later than its start, as
// extract's FinishRun keeps it (an event stamped in the future does not
// move the watermark past the run). Both nil when no run closed the period.
// Neither moves once the period is closed, however long extract runs on,
// so report.json states the same coverage on every rerun.
func (c *Completeness) closedBy(ctx context.Context, need time.Time) (completeBefore, watermark *time.Time, err error) {
	err = c.Checkpoints.QueryRow(ctx, `
		WITH closing AS (
		    SELECT id, started_at FROM extract_runs
		    WHERE name = $1 AND status = 'ok' AND started_at >= $2 ORDER BY id LIMIT 1
		), reset AS (
		    SELECT h.at, h.to_watermark FROM checkpoint_history h, closing
		    WHERE h.name = $1 AND h.at < closing.started_at ORDER BY h.id DESC LIMIT 1
		)
		SELECT closing.started_at,
		       GREATEST((SELECT to_watermark FROM reset),
		                (SELECT max(LEAST(r.high, r.started_at)) FROM extract_runs r
		                 WHERE r.name = $1 AND r.status = 'ok' AND r.id <= closing.id
		                   AND r.started_at > coalesce((SELECT at FROM reset), '-infinity')))
		FROM closing`, c.Checkpoint, need).Scan(&completeBefore, &watermark)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("the run of %q that closed the period: %w", c.Checkpoint, err)
	}
	for _, t := range []*time.Time{completeBefore, watermark} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return completeBefore, watermark, nil
}

// missingEvents says what is wrong when the events topic (the first
// source) does not exist although extract produced events: the check would
// find nothing to wait for and prove nothing (KAFKA_TOPIC mistyped, or
// another cluster). The alerts and dead-letter topics may well not exist.
func (c *Completeness) missingEvents(ctx context.Context, topics []TopicProgress) (string, error) {
	if len(c.Sources) == 0 || slices.ContainsFunc(topics, func(t TopicProgress) bool { return t.Topic == c.Sources[0].Topic }) {
		return "", nil
	}
	var produced bool
	err := c.Checkpoints.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM extract_runs WHERE name = $1 AND produced > 0)`,
		c.Checkpoint).Scan(&produced)
	if err != nil {
		return "", fmt.Errorf("extract runs of %q: %w", c.Checkpoint, err)
	}
	if !produced {
		return "", nil
	}
	return fmt.Sprintf("topic %s does not exist, but extract %q produced events: nothing shows the archive consumed them (check KAFKA_TOPIC and KAFKA_BROKERS)",
		c.Sources[0].Topic, c.Checkpoint), nil
}

// archived reads the topics' end offsets once, then the group's committed
// offsets until they reach them or wait is over. A topic that does not
// exist has nothing to archive.
func (c *Completeness) archived(ctx context.Context, wait time.Duration) ([]TopicProgress, error) {
	ends, err := c.endOffsets(ctx)
	if err != nil {
		return nil, err
	}
	poll := c.Poll
	if poll <= 0 {
		poll = time.Second
	}
	deadline := time.Now().Add(wait)
	for {
		progress, done, err := c.progress(ctx, ends)
		if err != nil || done || !time.Now().Add(poll).Before(deadline) {
			return progress, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(poll):
		}
	}
}

func (c *Completeness) endOffsets(ctx context.Context) (map[string]map[int]int64, error) {
	topics := make([]string, len(c.Sources))
	for i, src := range c.Sources {
		topics[i] = src.Topic
	}
	meta, err := c.Kafka.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("kafka metadata: %w", err)
	}
	reqs := map[string][]kafka.OffsetRequest{}
	for _, t := range meta.Topics {
		if errors.Is(t.Error, kafka.UnknownTopicOrPartition) {
			continue
		}
		if t.Error != nil {
			return nil, fmt.Errorf("kafka metadata of %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			reqs[t.Name] = append(reqs[t.Name], kafka.LastOffsetOf(p.ID))
		}
	}
	ends := map[string]map[int]int64{}
	if len(reqs) == 0 {
		return ends, nil
	}
	resp, err := c.Kafka.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: reqs})
	if err != nil {
		return nil, fmt.Errorf("end offsets: %w", err)
	}
	for topic, ps := range resp.Topics {
		ends[topic] = map[int]int64{}
		for _, p := range ps {
			if p.Error != nil {
				return nil, fmt.Errorf("end offset of %s/%d: %w", topic, p.Partition, p.Error)
			}
			ends[topic][p.Partition] = p.LastOffset
		}
	}
	return ends, nil
}

// progress compares each source's committed offsets with ends, in the
// order of c.Sources and by partition.
func (c *Completeness) progress(ctx context.Context, ends map[string]map[int]int64) ([]TopicProgress, bool, error) {
	done := true
	var out []TopicProgress
	for _, src := range c.Sources {
		if _, ok := ends[src.Topic]; !ok {
			continue
		}
		committed, err := c.committed(ctx, src, slices.Sorted(maps.Keys(ends[src.Topic])))
		if err != nil {
			return nil, false, err
		}
		tp := TopicProgress{Topic: src.Topic, Group: src.Group, Partitions: []PartitionProgress{}}
		for _, p := range slices.Sorted(maps.Keys(ends[src.Topic])) {
			pp := PartitionProgress{Partition: p, Archived: max(committed[p], 0), End: ends[src.Topic][p]}
			done = done && pp.Archived >= pp.End
			tp.Partitions = append(tp.Partitions, pp)
		}
		out = append(out, tp)
	}
	return out, done, nil
}

// committed returns src.Group's committed offsets in src.Topic's
// partitions; a partition never committed is missing (or -1).
func (c *Completeness) committed(ctx context.Context, src Source, parts []int) (map[int]int64, error) {
	resp, err := c.Kafka.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: src.Group, Topics: map[string][]int{src.Topic: parts}})
	if err != nil {
		return nil, fmt.Errorf("offsets of consumer group %s: %w", src.Group, err)
	}
	if resp.Error != nil && !errors.Is(resp.Error, kafka.GroupIdNotFound) {
		return nil, fmt.Errorf("offsets of consumer group %s: %w", src.Group, resp.Error)
	}
	out := map[int]int64{}
	for _, p := range resp.Topics[src.Topic] {
		if p.Error != nil {
			return nil, fmt.Errorf("offset of consumer group %s in %s/%d: %w", src.Group, src.Topic, p.Partition, p.Error)
		}
		out[p.Partition] = p.CommittedOffset
	}
	return out, nil
}
