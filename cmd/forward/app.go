package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/consumer"
	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/event"
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

// newSink builds the configured destination and the format it takes.
func (a *app) newSink() (forwarder.Sink, forwarder.Format, error) {
	c := a.cfg
	tlsCfg, err := a.sinkTLS()
	if err != nil {
		return nil, nil, err
	}
	switch c.Sink {
	case "splunk":
		s, err := sinks.NewHEC(sinks.HECConfig{URL: c.HECURL, Token: c.HECToken, Gzip: c.HECGzip, GzipLevel: c.HECGzipLevel, Ack: c.HECAck,
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
	sys := transform.SyslogOptions{Hostname: cmp.Or(c.SyslogHostname, host), AppName: "pigment", Facility: c.SyslogFacility}
	switch name {
	case "hec":
		o := transform.HECOptions{Host: host, Source: c.SplunkSource, Sourcetype: c.SplunkSourcetype,
			AlertSourcetype: c.SplunkAlertSrctype, Index: c.SplunkIndex}
		return func(dst []byte, ev *event.Event) []byte { return transform.AppendHEC(dst, ev, o) }
	case "ecs":
		return transform.AppendECS
	case "cef":
		return func(dst []byte, ev *event.Event) []byte { return transform.AppendCEF(dst, ev, sys) }
	default: // rfc5424
		return func(dst []byte, ev *event.Event) []byte { return transform.AppendSyslog(dst, ev, sys) }
	}
}

func (a *app) sinkTLS() (*tls.Config, error) {
	return envcfg.TLS("SINK_TLS", a.cfg.SinkCAFile, a.cfg.SinkSkipVerify, a.log)
}

// brokers are KAFKA_BROKERS, or with KAFKA_BROKERS=embedded the demo's
// in-memory broker of extract.
func (a *app) brokers() []string {
	brokers, _, _ := daemon.Brokers(&a.cfg.Kafka, false, "forward", a.log) // read only: nothing started, nothing to fail
	return brokers
}

// consumer joins group on topics (forward run: KAFKA_GROUP_ID on the
// topics forward delivers; replay-dlq: its own group on the DLQ), picking
// up partitions added to them. Offsets are committed by the forwarder once
// batches are delivered, never by the consumer itself.
func (a *app) consumer(brokers []string, group string, topics []string) (*consumer.Consumer, error) {
	dialer, err := a.cfg.Kafka.Dialer("pigment-forward", a.log)
	if err != nil {
		return nil, err
	}
	// A member that died is noticed after SessionTimeout, and its
	// partitions move on; kafka-go's default (30s) stalls them longer.
	return consumer.New(consumer.Config{Brokers: brokers, GroupID: group, Topics: topics, Dialer: dialer,
		MaxBytes: a.cfg.memory.fetchBytes(), SessionTimeout: a.cfg.SessionTimeout, WatchPartitionChanges: true, Logger: a.log})
}

func (a *app) topics() []string {
	if a.cfg.IncludeAlerts && a.cfg.AlertsTopic != "" {
		return []string{a.cfg.Topic, a.cfg.AlertsTopic}
	}
	return []string{a.cfg.Topic}
}

// route is what run and replay-dlq both deliver through: the sink and the
// format it takes, the brokers, an admin client for metadata and offsets,
// and the dead-letter writer.
type route struct {
	sink    forwarder.Sink
	format  forwarder.Format
	brokers []string
	admin   *kafka.Client
	dlq     *publish.Publisher
}

// openRoute builds the route; close releases it, the sink last. It first
// applies the memory budget, which sizes both commands' fetches and batches.
func (a *app) openRoute() (r *route, close func(), err error) {
	a.cfg.memory.apply(a.log, a.cfg.BatchBytes, a.cfg.GoMemLimit)
	r = &route{brokers: a.brokers()}
	if r.sink, r.format, err = a.newSink(); err != nil {
		return nil, nil, fmt.Errorf("sink: %w", err)
	}
	dlq, closeDLQ, err := a.dlqWriter(r.brokers)
	if err != nil {
		closeSink(r.sink)
		return nil, nil, err
	}
	admin, closeAdmin, err := a.admin(r.brokers)
	if err != nil {
		closeDLQ()
		closeSink(r.sink)
		return nil, nil, err
	}
	r.dlq, r.admin = dlq, admin
	return r, func() {
		closeAdmin()
		closeDLQ()
		closeSink(r.sink)
	}, nil
}

func (a *app) runForward(ctx context.Context) error {
	rt, closeRoute, err := a.openRoute()
	if err != nil {
		return err
	}
	defer closeRoute()
	s, format, brokers, admin, dlq := rt.sink, rt.format, rt.brokers, rt.admin, rt.dlq

	reg := obs.NewRegistry()
	a.status = &forwarder.Status{}
	// Always ok: a sink being down is not cured by restarting the
	// forwarder, so the details say it instead (retrying_batches).
	srv, err := daemon.Listen(a.cfg.MetricsAddr, reg, func() (bool, any) {
		r := a.status.Report()
		return true, map[string]any{"sink": a.cfg.Sink, "group": a.cfg.GroupID,
			"last_commit": r.LastCommit, "records_committed": r.RecordsCommitted, "retrying_batches": r.RetryingBatches,
			"freshness": r.Freshness}
	}, a.log.With().Str("group", a.cfg.GroupID).Logger())
	if err != nil {
		return err
	}
	metrics := forwarder.NewMetrics(reg)
	watchLag := func(ctx context.Context) error {
		metrics.WatchLag(ctx, admin, a.cfg.Sink, a.cfg.GroupID, a.topics(), 15*time.Second)
		return nil
	}
	return daemon.Run(ctx, func(ctx context.Context) error {
		archive, ok := s.(*sinks.Postgres)
		if !ok {
			return a.forward(ctx, brokers, admin, metrics, s, format, dlq)
		}
		// Waiting for the archive's database happens with /healthz and
		// /metrics already served; its maintenance and dead-letter counter
		// then run beside the delivery, owned like it.
		parts, err := a.startArchive(ctx, archive, reg, brokers, admin)
		if err != nil {
			return err
		}
		return daemon.Run(ctx, func(ctx context.Context) error {
			return a.forward(ctx, brokers, admin, metrics, s, format, dlq)
		}, parts...)
	}, srv.Run, watchLag)
}

// forward delivers until ctx ends or delivery must stop, on the topics
// that exist (forwarder.Topics).
func (a *app) forward(ctx context.Context, brokers []string, admin *kafka.Client, metrics *forwarder.Metrics,
	s forwarder.Sink, format forwarder.Format, dlq *publish.Publisher) error {
	t := &forwarder.Topics{Admin: admin, Topics: a.topics(), Logger: a.log,
		Read: func(ctx context.Context, topics []string) error {
			c, err := a.consumer(brokers, a.cfg.GroupID, topics)
			if err != nil {
				return err
			}
			defer c.Close()
			return forwarder.New(a.forwarderConfig(metrics), c, s, format, dlq).Run(ctx)
		}}
	return t.Run(ctx)
}

// admin is a client for metadata and offsets, and the func that closes its
// connections.
func (a *app) admin(brokers []string) (*kafka.Client, func(), error) {
	tr, err := a.cfg.Kafka.Transport("pigment-forward", a.log)
	if err != nil {
		return nil, nil, err
	}
	return &kafka.Client{Addr: kafka.TCP(brokers...), Timeout: 10 * time.Second, Transport: tr}, tr.CloseIdleConnections, nil
}

func (a *app) forwarderConfig(m *forwarder.Metrics) forwarder.Config {
	c := forwarder.Config{
		Sink: a.cfg.Sink, AlertsTopic: a.cfg.AlertsTopic, DLQTopic: a.cfg.DLQTopic, DLQMaxBytes: a.cfg.MaxMessageBytes,
		BatchSize: a.cfg.BatchSize, BatchBytes: a.cfg.memory.batchBytes(a.cfg.BatchBytes), BatchWait: a.cfg.BatchWait, Senders: a.cfg.Senders,
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
	return a.setupKibana(ctx, out)
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
	return p, func() {
		_ = p.Close()
		tr.CloseIdleConnections() // the writer leaves its transport's connections open
	}, nil
}
