package forwarder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/sinks"
)

// Topics runs a reader (forward's consumer and forwarder) on those of a
// set of topics that exist, and again with more of them as they appear.
//
// kafka-go's group assigns nothing at all when one subscribed topic is
// missing (the alerts topic, before detect first writes it), so Read is
// given only the topics that exist. With none, Run checks again every
// Poll; when a missing one appears, Read's context is cancelled (the
// forwarder finishes its batch) and Read is called again with it as well.
type Topics struct {
	Admin  *kafka.Client // for topic metadata
	Topics []string      // what to read: the events topic, and the alerts topic if forwarded
	// Read reads topics until its context ends (nil) or delivery must
	// stop (its error, which ends Run).
	Read   func(ctx context.Context, topics []string) error
	Poll   time.Duration // between checks for a missing topic; 0 means 10s (an unreachable broker: half of it)
	Logger zerolog.Logger
}

// Run reads until ctx ends (nil) or Read fails: then its error, said as
// the end of delivery when the sink's credentials or configuration are
// wrong (sinks.ErrAuth, sinks.ErrMisconfigured).
func (t *Topics) Run(ctx context.Context) error {
	poll := t.Poll
	if poll <= 0 {
		poll = 10 * time.Second
	}
	for {
		topics, missing, err := existingTopics(ctx, t.Admin, t.Topics)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			t.Logger.Warn().Err(err).Msgf("Kafka not reachable; retrying in %s", poll/2)
			if backoff.Sleep(ctx, poll/2) != nil {
				return nil
			}
			continue
		}
		if len(topics) == 0 {
			t.Logger.Warn().Strs("waiting_for", missing).Msgf("no topic to read yet; checking again in %s", poll)
			if backoff.Sleep(ctx, poll) != nil {
				return nil
			}
			continue
		}
		if len(missing) > 0 {
			t.Logger.Warn().Strs("missing", missing).Msgf("topic does not exist yet; reading the others and checking every %s", poll)
		}
		t.Logger.Info().Strs("topics", topics).Msg("forwarding")
		rctx, cancel := context.WithCancel(ctx)
		var watching sync.WaitGroup
		watching.Go(func() { watchTopics(rctx, t.Admin, missing, poll, cancel) })
		err = t.Read(rctx, topics)
		cancel()
		watching.Wait()
		if errors.Is(err, sinks.ErrAuth) {
			return fmt.Errorf("%w: delivery stopped, nothing committed past the last confirmed batch; fix the credentials and restart", err)
		}
		if errors.Is(err, sinks.ErrMisconfigured) {
			return fmt.Errorf("%w: delivery stopped, nothing committed past the last confirmed batch and nothing dead-lettered; fix the sink's configuration and restart", err)
		}
		if err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// existingTopics splits wanted into the topics that exist and those that
// do not (yet).
func existingTopics(ctx context.Context, c *kafka.Client, wanted []string) (have, missing []string, err error) {
	meta, err := c.Metadata(ctx, &kafka.MetadataRequest{Topics: wanted})
	if err != nil {
		return nil, nil, fmt.Errorf("read topic metadata: %w", err)
	}
	exists := map[string]bool{}
	for _, t := range meta.Topics {
		exists[t.Name] = t.Error == nil && len(t.Partitions) > 0
	}
	for _, t := range wanted {
		if exists[t] {
			have = append(have, t)
		} else {
			missing = append(missing, t)
		}
	}
	return have, missing, nil
}

// watchTopics calls appeared once one of missing exists.
func watchTopics(ctx context.Context, c *kafka.Client, missing []string, poll time.Duration, appeared func()) {
	for len(missing) > 0 && backoff.Sleep(ctx, poll) == nil {
		if have, _, err := existingTopics(ctx, c, missing); err == nil && len(have) > 0 {
			appeared()
			return
		}
	}
}
