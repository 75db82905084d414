package sinks

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// DeadLetter is a record of the dead-letter topic as the archive counts it.
type DeadLetter struct {
	Topic     string
	Partition int
	Offset    int64
	Time      time.Time // dlq.time, else the Kafka record's time
	Stage     string    // dlq.stage: "extract", "forward:<sink>", ...
	Reason    string    // dlq.reason
	EventID   string    // the record's key, when it is an eventId
}

// CountDeadLetters records dead letters in archive_dead_letters, one row
// per Kafka position (topic, partition, offset), so a re-delivery is not
// counted twice; archive_dead_letters_daily counts them by day (UTC),
// stage and reason class (ReasonClass). Errors are classified as for Send:
// a misconfiguration is ErrMisconfigured, anything else is worth retrying.
func (p *Postgres) CountDeadLetters(ctx context.Context, letters []DeadLetter) error {
	if len(letters) == 0 {
		return nil
	}
	n := len(letters)
	topics, parts, offsets := make([]string, n), make([]int32, n), make([]int64, n)
	days, stages, classes, reasons, ids := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]*string, n)
	times := make([]time.Time, n)
	for i, l := range letters {
		topics[i], parts[i], offsets[i] = l.Topic, int32(l.Partition), l.Offset
		days[i] = l.Time.UTC().Format(time.DateOnly)
		times[i] = l.Time
		stages[i] = cmpOrStr(pgText(l.Stage), "unknown")
		reasons[i] = pgText(l.Reason)
		classes[i] = ReasonClass(reasons[i])
		if l.EventID != "" {
			id := pgText(l.EventID)
			ids[i] = &id
		}
	}
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	defer cancel()
	_, err := p.pool.Exec(ctx, `INSERT INTO archive_dead_letters
		(kafka_topic, kafka_partition, kafka_offset, day, stage, reason_class, reason, event_id, dead_at)
		SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::date[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
		ON CONFLICT DO NOTHING`, topics, parts, offsets, days, stages, classes, reasons, ids, times)
	if err == nil {
		return nil
	}
	if pgOutcome(err) == misconfigured {
		return fmt.Errorf("%w: archive database: %s", errMisconfiguredOf(err), p.reason(err))
	}
	return fmt.Errorf("count dead letters: %s", p.reason(err))
}

// ReasonClass is the class a dead letter is counted under: its reason up
// to the first ':' (the reasons' own prefix: "invalid record",
// "oversized", "archive refused the row", ...), numbers replaced by "N" so
// "element 3 of the events array (page offset 5120) cannot be read" and
// "element 7 ..." count together, at most 80 characters; "unknown" when
// empty.
func ReasonClass(reason string) string {
	head, _, _ := strings.Cut(reason, ":")
	var b strings.Builder
	digits := false
	for _, r := range strings.TrimSpace(head) {
		if b.Len() >= 80 {
			break
		}
		if unicode.IsDigit(r) {
			if !digits {
				b.WriteByte('N')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "unknown"
	}
	return b.String()
}

// pgText is s as Postgres text holds it: U+0000 and invalid UTF-8 as
// U+FFFD.
func pgText(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

func cmpOrStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
