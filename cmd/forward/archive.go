package main

// The archive (SINK=postgres): everything forward needs beyond the sink
// itself, in one place. At start the migrations are applied and the
// partitions made ready; while forward runs, partitions are maintained
// hourly (months ahead created, months past ARCHIVE_RETENTION dropped) and
// the dead-letter topic is counted into archive_dead_letters, read-only,
// with a consumer group of its own (KAFKA_GROUP_ID-dead-letters).

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
	"github.com/pigment-siem/pipeline/internal/record"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/migrations"
)

// archiveURL is ARCHIVE_DATABASE_URL, else DATABASE_URL.
func (c *Config) archiveURL() string {
	return cmp.Or(c.ArchiveDatabaseURL, c.DatabaseURL)
}

// validateArchive checks the archive's settings (SINK=postgres).
func (c *Config) validateArchive(p *envcfg.Problems) {
	d, err := envcfg.ParseRetention(c.ArchiveRetentionText)
	if err != nil {
		p.Add(fmt.Errorf("ARCHIVE_RETENTION %q: %w", c.ArchiveRetentionText, err))
	}
	c.ArchiveRetention = d
	p.Check(c.ArchivePartitionsAhead < 1 || c.ArchivePartitionsAhead > 120, "ARCHIVE_PARTITIONS_AHEAD %d: want 1 to 120", c.ArchivePartitionsAhead)
	p.Check(c.archiveURL() == "", "ARCHIVE_DATABASE_URL (or DATABASE_URL) is required with SINK=postgres")
}

func (a *app) newArchive() (*sinks.Postgres, error) {
	return sinks.NewPostgres(sinks.PostgresConfig{URL: a.cfg.archiveURL(), Retention: a.cfg.ArchiveRetention,
		PartitionsAhead: a.cfg.ArchivePartitionsAhead, MaxConns: a.cfg.Senders + 2, Timeout: 2 * a.cfg.SinkTimeout, Logger: a.log})
}

// startArchive applies the migrations and creates the partitions ahead,
// then returns the archive's background parts for daemon.Run: the hourly
// maintenance (partitions ahead, retention) and the dead-letter counter. A
// database that cannot be reached is waited for; one that is misconfigured
// (credentials, privileges) is an error.
func (a *app) startArchive(ctx context.Context, p *sinks.Postgres, reg prometheus.Registerer, brokers []string, admin *kafka.Client) ([]func(context.Context) error, error) {
	reg.MustRegister(p.Collectors()...)
	url := a.cfg.archiveURL()
	var err error
	for attempt := 1; ; attempt++ {
		err = migrations.Apply(ctx, url)
		if err == nil {
			_, err = p.Maintain(ctx, time.Now())
		}
		if err == nil || sinks.PostgresMisconfigured(err) || ctx.Err() != nil {
			break
		}
		a.log.Warn().Err(pgdsn.Scrub(err, url)).Str("database", pgdsn.Redact(url)).Msg("archive database not ready; retrying")
		if backoff.Sleep(ctx, backoff.Jittered(attempt, time.Second, 30*time.Second)) != nil {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("archive database %s: %w", pgdsn.Redact(url), pgdsn.Scrub(err, url))
	}
	a.log.Info().Str("database", pgdsn.Redact(url)).Str("retention", a.cfg.ArchiveRetentionText).Msg("archive ready")
	maintain := func(ctx context.Context) error {
		for backoff.Sleep(ctx, time.Hour) == nil {
			if _, err := p.Maintain(ctx, time.Now()); err != nil && ctx.Err() == nil {
				a.log.Error().Err(pgdsn.Scrub(err, a.cfg.archiveURL())).Msg("archive partition maintenance failed; trying again in an hour")
			}
		}
		return nil
	}
	count := func(ctx context.Context) error {
		a.countDeadLetters(ctx, p, brokers, admin)
		return nil
	}
	return []func(context.Context) error{maintain, count}, nil
}

// countDeadLetters reads KAFKA_DLQ_TOPIC (once it exists) with its own
// group and records every dead letter in the archive before committing
// its offset, until ctx ends.
func (a *app) countDeadLetters(ctx context.Context, p *sinks.Postgres, brokers []string, admin *kafka.Client) {
	t := &forwarder.Topics{Admin: admin, Topics: []string{a.cfg.DLQTopic}, Logger: a.log,
		Read: func(ctx context.Context, topics []string) error { return a.countDeadLettersFrom(ctx, p, brokers) }}
	for attempt := 1; ctx.Err() == nil; attempt++ {
		err := t.Run(ctx)
		if ctx.Err() != nil {
			return
		}
		a.log.Warn().Err(err).Str("topic", a.cfg.DLQTopic).Msg("counting dead letters into the archive paused; retrying")
		_ = backoff.Sleep(ctx, backoff.Jittered(attempt, time.Second, 30*time.Second))
	}
}

// countDeadLettersFrom counts the dead letters of the existing DLQ topic
// until ctx ends (nil) or reading or counting fails.
func (a *app) countDeadLettersFrom(ctx context.Context, p *sinks.Postgres, brokers []string) error {
	dialer, err := a.cfg.Kafka.Dialer("pigment-forward", a.log)
	if err != nil {
		return err
	}
	c, err := consumer.New(consumer.Config{Brokers: brokers, GroupID: a.cfg.GroupID + "-dead-letters", Topics: []string{a.cfg.DLQTopic},
		Dialer: dialer, SessionTimeout: a.cfg.SessionTimeout, WatchPartitionChanges: true, Logger: a.log})
	if err != nil {
		return err
	}
	defer c.Close()
	for {
		msgs, err := c.Fetch(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		letters := make([]sinks.DeadLetter, len(msgs))
		for i, m := range msgs {
			letters[i] = deadLetterOf(m)
		}
		for attempt := 1; ; attempt++ {
			if err = p.CountDeadLetters(ctx, letters); err == nil || ctx.Err() != nil {
				break
			}
			a.log.Warn().Err(err).Int("records", len(msgs)).Msg("counting dead letters failed; retrying")
			_ = backoff.Sleep(ctx, backoff.Jittered(attempt, time.Second, 30*time.Second))
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return err
		}
		if err := c.Commit(ctx, msgs...); err != nil {
			return err // counted again after the restart, once: keyed by position
		}
	}
}

// deadLetterOf reads a dead-letter record's headers (record.Letter).
func deadLetterOf(m kafka.Message) sinks.DeadLetter {
	h := func(key string) string { return record.Header(m, key) }
	t, err := time.Parse(time.RFC3339Nano, h(record.HeaderDLQTime))
	if err != nil {
		t = m.Time
	}
	return sinks.DeadLetter{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset, Time: t,
		Stage: h(record.HeaderDLQStage), Reason: h(record.HeaderDLQReason), EventID: string(m.Key)}
}

// setupArchive applies the migrations and creates the partitions ahead
// (forward run does the same at start), for a deployment step before the
// first run.
func (a *app) setupArchive(ctx context.Context, out io.Writer) error {
	p, err := a.newArchive()
	if err != nil {
		return err
	}
	defer p.Close()
	url := a.cfg.archiveURL()
	if err := migrations.Apply(ctx, url); err != nil {
		return fmt.Errorf("archive database %s: %w", pgdsn.Redact(url), pgdsn.Scrub(err, url))
	}
	if _, err := p.Maintain(ctx, time.Now()); err != nil {
		return err
	}
	fmt.Fprintln(out, "archive schema and partitions ready in", pgdsn.Redact(url))
	return nil
}
