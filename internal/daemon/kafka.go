package daemon

import (
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/devkafka"
	"github.com/pigment-siem/pipeline/internal/envcfg"
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
