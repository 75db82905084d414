package daemon

import (
	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"

	"github.com/pigment-siem/pipeline/internal/devkafka"
	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/publish"
)

// Brokers is where a program's Kafka clients connect: KAFKA_BROKERS, or
// with KAFKA_BROKERS=embedded the in-memory broker at KAFKA_EMBEDDED_ADDR,
// which the program that owns it (extract, own true) starts here and the
// others read. stop closes what was started; it is never nil.
func Brokers(k *envcfg.Kafka, own bool, service string, log zerolog.Logger) (brokers []string, stop func(), err error) {
	if !k.Embedded() {
		return k.Brokers, func() {}, nil
	}
	if !own {
		log.Warn().Str("broker", k.EmbeddedAddr).
			Msg("KAFKA_BROKERS=embedded: reading the in-memory broker that extract starts for trying out")
		return k.Addrs(), func() {}, nil
	}
	c, err := devkafka.Start(k.EmbeddedAddr)
	if err != nil {
		return nil, nil, err
	}
	brokers = c.ListenAddrs()
	log.Warn().Strs("brokers", brokers).
		Msg("KAFKA_BROKERS=embedded: using an IN-MEMORY Kafka broker inside this process, for trying out only; its data is lost when " + service + " exits")
	return brokers, c.Close, nil
}

// Clients are the Kafka clients of a program that reads topics and
// publishes alerts but does not own the in-memory broker (detect,
// inventory): one transport shared by the publisher and the readers, a
// dialer for partition readers, and the publisher (lz4).
type Clients struct {
	Brokers   []string
	Transport *kafka.Transport
	Dialer    *kafka.Dialer
	Pub       *publish.Publisher
}

// OpenClients builds the Clients of service, as client "pigment-"+service.
// close flushes the publisher and then drops the transport's idle
// connections, so call it once everything that uses them has returned; it
// is never nil.
func OpenClients(k *envcfg.Kafka, service string, maxMessageBytes int, log zerolog.Logger) (c Clients, close func(), err error) {
	noop := func() {}
	if c.Brokers, _, err = Brokers(k, false, service, log); err != nil {
		return c, noop, err
	}
	clientID := "pigment-" + service
	if c.Transport, err = k.Transport(clientID, log); err != nil {
		return c, noop, err
	}
	if c.Dialer, err = k.Dialer(clientID, log); err != nil {
		c.Transport.CloseIdleConnections()
		return c, noop, err
	}
	c.Pub, err = publish.New(publish.Config{Brokers: c.Brokers, Transport: c.Transport, Compression: "lz4",
		MaxMessageBytes: maxMessageBytes, Logger: log})
	if err != nil {
		c.Transport.CloseIdleConnections()
		return c, noop, err
	}
	return c, func() {
		c.Pub.Close()
		c.Transport.CloseIdleConnections()
	}, nil
}
