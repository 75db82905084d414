package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/record"
)

// replayDLQ delivers again, through this sink, the dead letters this sink
// refused ("dlq.stage: forward:<sink>"), once their cause is fixed. It reads
// the DLQ with its own consumer group up to the end offsets seen at start,
// so records it refuses again (and writes back to the DLQ) are not read in
// the same pass; it commits what it handled and exits (forwarder.Replay).
func (a *app) replayDLQ(ctx context.Context, out io.Writer) error {
	rt, closeRoute, err := a.openRoute()
	if err != nil {
		return err
	}
	defer closeRoute()
	group := a.cfg.GroupID + "-replay"
	rng, err := forwarder.ReadDLQRange(ctx, rt.admin, group, a.cfg.DLQTopic)
	if err != nil {
		return err
	}
	if rng.Empty() {
		fmt.Fprintln(out, "nothing to replay: no dead letter past those already replayed")
		return nil
	}
	c, err := a.consumer(rt.brokers, group, []string{a.cfg.DLQTopic})
	if err != nil {
		return err
	}
	defer c.Close()

	src := forwarder.NewReplay(c, a.cfg.DLQTopic, record.StageForward(a.cfg.Sink), rng)
	cfg := a.forwarderConfig(nil)
	cfg.BatchWait = 50 * time.Millisecond
	if err := forwarder.New(cfg, src, rt.sink, rt.format, rt.dlq).Run(ctx); !errors.Is(err, forwarder.ErrEndOfDLQ) {
		return err
	}
	// Every batch was delivered and committed: the records of other
	// stages read after the last one can be committed too.
	if err := src.CommitSkipped(ctx); err != nil {
		return fmt.Errorf("commit the dead letters of other stages: %w", err)
	}
	replayed, skipped := src.Counts()
	fmt.Fprintf(out, "replayed %d dead letters of %s (%d of other stages left alone)\n", replayed, a.cfg.Sink, skipped)
	return nil
}
