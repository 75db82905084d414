package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/backoff"
	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/forwarder"
	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/publish"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/transform"
)

type app struct {
	cfg    *Config
	log    zerolog.Logger
	status *forwarder.Status // delivery progress for /healthz (run only)
}

func newApp(cfg *Config, logOut io.Writer) (*app, error) {
	log, err := obs.NewLogger(logOut, cfg.LogLevel, cfg.LogFormat)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	return &app{cfg: cfg, log: log.With().Str("service", "forward").Str("sink", cfg.Sink).Logger()}, nil
}

// newSink builds the configured destination and the format it takes.
func (a *app) newSink() (forwarder.Sink, forwarder.Format, error) {
	c := a.cfg
	tlsCfg, err := a.sinkTLS()
	if err != nil {
		return nil, nil, err
	}
	switch c.Sink {
	case "splunk":
		s, err := sinks.NewHEC(sinks.HECConfig{URL: c.HECURL, Token: c.HECToken, Gzip: c.HECGzip, Ack: c.HECAck,
			AckTimeout: c.HECAckTimeout, TLS: tlsCfg, Timeout: c.SinkTimeout, Logger: a.log})
		return s, a.format("hec"), err
	case "elastic":
		s, err := sinks.NewElastic(sinks.ElasticConfig{URL: c.ElasticURL, APIKey: c.ElasticAPIKey, Username: c.ElasticUser,
			Password: c.ElasticPassword, DataStream: c.ElasticDataStream, TLS: tlsCfg, Timeout: c.SinkTimeout, Logger: a.log})
		return s, a.format("ecs"), err
	case "syslog":
		s, err := sinks.NewSyslog(sinks.SyslogConfig{Addr: c.SyslogAddr, Network: c.SyslogNetwork, TLS: tlsCfg,
			WriteTimeout: c.SyslogWriteTimeout, MaxDatagram: c.SyslogMaxDatagram, Logger: a.log})
		return s, a.format(c.SyslogFormat), err
	case "file":
		s, err := sinks.NewFile(c.FilePath)
		return s, a.format(c.FileFormat), err
	case "postgres":
		s, err := a.newArchive()
		return s, transform.AppendArchive, err
	}
	return nil, nil, fmt.Errorf("SINK %q: want splunk, elastic, syslog, file or postgres", c.Sink)
}

// format returns the renderer of one of the documented formats.
func (a *app) format(name string) forwarder.Format {
	c := a.cfg
	host := c.SplunkHost
	if host == "" {
		host, _ = os.Hostname()
	}
	sys := transform.SyslogOptions{Hostname: orDefault(c.SyslogHostname, host), AppName: "pigment", Facility: c.SyslogFacility}
	switch name {
	case "hec":
		o := transform.HECOptions{Host: host, Source: c.SplunkSource, Sourcetype: c.SplunkSourcetype,
			AlertSourcetype: c.SplunkAlertSrctype, Index: c.SplunkIndex}
		return func(dst []byte, ev *transform.Event) []byte { return transform.AppendHEC(dst, ev, o) }
	case "ecs":
		return transform.AppendECS
	case "cef":
		return func(dst []byte, ev *transform.Event) []byte { return transform.AppendCEF(dst, ev, sys) }
	default: // rfc5424
		return func(dst []byte, ev *transform.Event) []byte { return transform.AppendSyslog(dst, ev, sys) }
	}
}

func (a *app) sinkTLS() (*tls.Config, error) {
	return envcfg.TLS("SINK_TLS", a.cfg.SinkCAFile, a.cfg.SinkSkipVerify, a.log)
}

// brokers are KAFKA_BROKERS, or with KAFKA_BROKERS=embedded the demo's
// in-memory broker of extract.
func (a *app) brokers() []string {
	if a.cfg.Kafka.Embedded() {
		a.log.Warn().Str("broker", a.cfg.Kafka.EmbeddedAddr).
			Msg("KAFKA_BROKERS=embedded: reading the in-memory broker that extract starts for trying out")
	}
	return a.cfg.Kafka.Addrs()
}

// consumer joins the group KAFKA_GROUP_ID on the topics forward delivers,
// picking up partitions added to them. Offsets are committed by the
// forwarder once batches are delivered, never by the consumer itself.
func (a *app) consumer(brokers, topics []string) (*consumer.Consumer, error) {
	dialer, err := a.cfg.Kafka.Dialer("pigment-forward", a.log)
	if err != nil {
		return nil, err
	}
	// A member that died is noticed after SessionTimeout, and its
	// partitions move on; kafka-go's default (30s) stalls them longer.
	return consumer.New(consumer.Config{Brokers: brokers, GroupID: a.cfg.GroupID, Topics: topics, Dialer: dialer,
		SessionTimeout: a.cfg.SessionTimeout, WatchPartitionChanges: true, Logger: a.log})
}

// reader joins a consumer group with kafka-go's Reader, which replay-dlq
// uses: it reads one record at a time, slower but simpler to stop at the
// DLQ's end. Offsets are committed explicitly (CommitInterval 0).
func (a *app) reader(brokers []string, group string, topics []string) (*kafka.Reader, error) {
	dialer, err := a.cfg.Kafka.Dialer("pigment-forward", a.log)
	if err != nil {
		return nil, err
	}
	return kafka.NewReader(kafka.ReaderConfig{
		Brokers:        brokers,
		GroupID:        group,
		GroupTopics:    topics,
		MinBytes:       1,
		MaxBytes:       16 << 20,
		MaxWait:        250 * time.Millisecond,
		QueueCapacity:  4096,
		CommitInterval: 0,
		StartOffset:    kafka.FirstOffset,
		// Partitions added to a topic are picked up by a rebalance.
		WatchPartitionChanges: true,
		// A member that died is noticed after SessionTimeout, and its
		// partitions move on; kafka-go's default (30s) stalls them longer.
		SessionTimeout:   a.cfg.SessionTimeout,
		RebalanceTimeout: a.cfg.SessionTimeout,
		ErrorLogger:      kafka.LoggerFunc(func(msg string, args ...any) { a.log.Warn().Msgf("kafka: "+msg, args...) }),
		Dialer:           dialer,
	}), nil
}

func (a *app) topics() []string {
	if a.cfg.IncludeAlerts && a.cfg.AlertsTopic != "" {
		return []string{a.cfg.Topic, a.cfg.AlertsTopic}
	}
	return []string{a.cfg.Topic}
}

func (a *app) runForward(ctx context.Context) error {
	s, format, err := a.newSink()
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	defer closeSink(s)
	brokers := a.brokers()
	dlq, closeDLQ, err := a.dlqWriter(brokers)
	if err != nil {
		return err
	}
	defer closeDLQ()
	admin, err := a.admin(brokers)
	if err != nil {
		return err
	}

	reg := obs.NewRegistry()
	a.status = &forwarder.Status{}
	// Always ok: a sink being down is not cured by restarting the
	// forwarder, so the details say it instead (retrying_batches).
	srv, err := obs.Listen(a.cfg.MetricsAddr, reg, func() (bool, any) {
		r := a.status.Report()
		return true, map[string]any{"sink": a.cfg.Sink, "group": a.cfg.GroupID,
			"last_commit": r.LastCommit, "records_committed": r.RecordsCommitted, "retrying_batches": r.RetryingBatches}
	})
	if err != nil {
		return err
	}
	metrics := forwarder.NewMetrics(reg)
	sctx, stopSrv := context.WithCancel(context.WithoutCancel(ctx))
	defer stopSrv()
	go func() {
		if err := srv.Run(sctx); err != nil {
			a.log.Error().Err(err).Msg("metrics server stopped; /metrics and /healthz are gone")
		}
	}()
	go metrics.WatchLag(sctx, admin, a.cfg.Sink, a.cfg.GroupID, a.topics(), 15*time.Second)
	if archive, ok := s.(*sinks.Postgres); ok {
		stopArchive, err := a.startArchive(ctx, archive, reg, brokers, admin)
		if err != nil {
			return err
		}
		defer stopArchive()
	}
	a.log.Info().Str("addr", srv.Addr()).Str("group", a.cfg.GroupID).Msg("serving /metrics and /healthz")

	// Subscribe only to topics that exist: kafka-go's group assigns nothing
	// at all when one subscribed topic is missing (the alerts topic, before
	// detect first writes). When a missing topic appears, the forwarder
	// finishes its batch, and a new reader subscribes to it as well.
	for {
		topics, missing, err := existingTopics(ctx, admin, a.topics())
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			a.log.Warn().Err(err).Msg("Kafka not reachable; retrying in 5s")
			if backoff.Sleep(ctx, 5*time.Second) != nil {
				return nil
			}
			continue
		}
		if len(topics) == 0 {
			a.log.Warn().Strs("waiting_for", missing).Msg("no topic to read yet; checking again in 10s")
			if backoff.Sleep(ctx, 10*time.Second) != nil {
				return nil
			}
			continue
		}
		if len(missing) > 0 {
			a.log.Warn().Strs("missing", missing).Msg("topic does not exist yet; reading the others and checking every 10s")
		}
		a.log.Info().Strs("topics", topics).Msg("forwarding")
		c, err := a.consumer(brokers, topics)
		if err != nil {
			return err
		}
		rctx, cancel := context.WithCancel(ctx)
		go watchTopics(rctx, admin, missing, cancel)
		err = forwarder.New(a.forwarderConfig(metrics), c, s, format, dlq).Run(rctx)
		cancel()
		c.Close()
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

// admin is a client for metadata and offsets.
func (a *app) admin(brokers []string) (*kafka.Client, error) {
	tr, err := a.cfg.Kafka.Transport("pigment-forward", a.log)
	if err != nil {
		return nil, err
	}
	return &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: tr}, nil
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
func watchTopics(ctx context.Context, c *kafka.Client, missing []string, appeared func()) {
	for len(missing) > 0 && backoff.Sleep(ctx, 10*time.Second) == nil {
		if have, _, err := existingTopics(ctx, c, missing); err == nil && len(have) > 0 {
			appeared()
			return
		}
	}
}

func (a *app) forwarderConfig(m *forwarder.Metrics) forwarder.Config {
	c := forwarder.Config{
		Sink: a.cfg.Sink, AlertsTopic: a.cfg.AlertsTopic, DLQTopic: a.cfg.DLQTopic, DLQMaxBytes: a.cfg.MaxMessageBytes,
		BatchSize: a.cfg.BatchSize, BatchBytes: a.cfg.BatchBytes, BatchWait: a.cfg.BatchWait, Senders: a.cfg.Senders,
		RetryMax: a.cfg.RetryMax, ShutdownGrace: a.cfg.ShutdownGrace, Logger: a.log, Metrics: m, Status: a.status,
	}
	if a.cfg.Sink == "splunk" && a.cfg.HECAck {
		// Batches awaiting their indexer acknowledgement leave the senders.
		c.AckPendingBytes = a.cfg.HECAckPending
	}
	return c
}

func (a *app) setup(ctx context.Context, out io.Writer) error {
	if a.cfg.Sink == "postgres" {
		return a.setupArchive(ctx, out)
	}
	if a.cfg.Sink != "elastic" {
		fmt.Fprintf(out, "SINK=%s needs no setup\n", a.cfg.Sink)
		return nil
	}
	s, _, err := a.newSink()
	if err != nil {
		return fmt.Errorf("sink: %w", err)
	}
	defer closeSink(s)
	es, ok := s.(*sinks.Elastic)
	if !ok {
		return errors.New("setup: not an Elasticsearch sink")
	}
	if err := es.Setup(ctx); err != nil {
		return fmt.Errorf("install the index template: %w", err)
	}
	fmt.Fprintln(out, "index template installed for", a.cfg.ElasticDataStream)
	return nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// closeSink closes sinks that hold a connection or a file.
func closeSink(s forwarder.Sink) {
	if c, ok := s.(io.Closer); ok {
		_ = c.Close()
	}
}

// dlqWriter writes dead letters with acks=all, each at most
// KAFKA_MAX_MESSAGE_BYTES (the forwarder cuts larger ones to fit);
// batches are committed only after it returned.
func (a *app) dlqWriter(brokers []string) (*publish.Publisher, func(), error) {
	tr, err := a.cfg.Kafka.Transport("pigment-forward", a.log)
	if err != nil {
		return nil, nil, err
	}
	p, err := publish.New(publish.Config{Brokers: brokers, Transport: tr, Compression: "lz4",
		MaxMessageBytes: a.cfg.MaxMessageBytes, Logger: a.log})
	if err != nil {
		return nil, nil, err
	}
	return p, func() { _ = p.Close() }, nil
}
