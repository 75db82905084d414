package envcfg

import (
	"crypto/tls"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Kafka is the broker configuration every command shares: where the brokers
// are, and how to reach them (TLS, SASL). Every connection a command makes
// (readers, writers, admin requests) comes from Dialer or Transport, so none
// can miss a setting.
type Kafka struct {
	// Brokers is required by every command that reads or writes Kafka;
	// EmbeddedBrokers selects the in-memory broker at EmbeddedAddr.
	Brokers      []string `env:"KAFKA_BROKERS"`
	EmbeddedAddr string   `env:"KAFKA_EMBEDDED_ADDR, default=127.0.0.1:19092"`
	TLS          bool     `env:"KAFKA_TLS, default=false"`
	CAFile       string   `env:"KAFKA_TLS_CA_FILE"`
	SkipVerify   bool     `env:"KAFKA_TLS_INSECURE_SKIP_VERIFY, default=false"`
	// SASLMechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (any case);
	// empty for none.
	SASLMechanism    string `env:"KAFKA_SASL_MECHANISM"`
	SASLUsername     string `env:"KAFKA_SASL_USERNAME"`
	SASLPassword     string `env:"KAFKA_SASL_PASSWORD"`
	SASLPasswordFile string `env:"KAFKA_SASL_PASSWORD_FILE"`
}

// EmbeddedBrokers is the KAFKA_BROKERS value that selects the in-memory
// broker (internal/devkafka) at KAFKA_EMBEDDED_ADDR, which keeps nothing
// after exit: a choice made on purpose for the demo, never a default.
const EmbeddedBrokers = "embedded"

// Embedded reports whether KAFKA_BROKERS=embedded.
func (k *Kafka) Embedded() bool {
	return len(k.Brokers) == 1 && strings.EqualFold(strings.TrimSpace(k.Brokers[0]), EmbeddedBrokers)
}

// RequireBrokers is checked at start by the commands that use Kafka, before
// they touch anything else: with KAFKA_BROKERS unset they stop, rather than
// guess a broker (an in-memory one lost every event at exit while the
// checkpoints advanced in the real Postgres). Commands that never use Kafka
// (checkpoint show, detect test) do not call it. Its error is a
// configuration error, and says so.
func (k *Kafka) RequireBrokers() error {
	if len(k.Brokers) == 0 {
		return fmt.Errorf("configuration: KAFKA_BROKERS is required: comma-separated brokers (host:port), or %q for the in-memory broker of the demo, which keeps nothing after exit", EmbeddedBrokers)
	}
	return nil
}

// Addrs is where to connect: KAFKA_BROKERS, or KAFKA_EMBEDDED_ADDR with
// KAFKA_BROKERS=embedded (forward and detect reach the in-memory broker
// that extract runs there).
func (k *Kafka) Addrs() []string {
	if k.Embedded() {
		return []string{k.EmbeddedAddr}
	}
	return k.Brokers
}

// Validate reports settings that contradict each other or are missing, and
// reads KAFKA_SASL_PASSWORD_FILE. Errors never include the password.
func (k *Kafka) Validate() error {
	var errs []error
	if len(k.Brokers) > 1 && slices.ContainsFunc(k.Brokers, func(b string) bool { return strings.EqualFold(strings.TrimSpace(b), EmbeddedBrokers) }) {
		errs = append(errs, fmt.Errorf("KAFKA_BROKERS: %q stands alone, not in a list of brokers", EmbeddedBrokers))
	}
	if (k.CAFile != "" || k.SkipVerify) && !k.TLS {
		errs = append(errs, errors.New("KAFKA_TLS_CA_FILE and KAFKA_TLS_INSECURE_SKIP_VERIFY need KAFKA_TLS=true"))
	}
	if err := Secret(&k.SASLPassword, k.SASLPasswordFile, "KAFKA_SASL_PASSWORD"); err != nil {
		errs = append(errs, err)
	}
	switch strings.ToUpper(k.SASLMechanism) {
	case "":
		if k.SASLUsername != "" || k.SASLPassword != "" {
			errs = append(errs, errors.New("KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD need KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)"))
		}
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
		if k.SASLUsername == "" || k.SASLPassword == "" {
			errs = append(errs, fmt.Errorf("KAFKA_SASL_MECHANISM=%s needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)", k.SASLMechanism))
		}
	default:
		errs = append(errs, fmt.Errorf("KAFKA_SASL_MECHANISM %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism))
	}
	return errors.Join(errs...)
}

// TLSConfig is the brokers' TLS configuration, nil without KAFKA_TLS.
func (k *Kafka) TLSConfig(log zerolog.Logger) (*tls.Config, error) {
	if !k.TLS {
		return nil, nil
	}
	return TLS("KAFKA_TLS", k.CAFile, k.SkipVerify, log)
}

// mechanism is the SASL mechanism, nil without KAFKA_SASL_MECHANISM.
func (k *Kafka) mechanism(log zerolog.Logger) (sasl.Mechanism, error) {
	switch strings.ToUpper(k.SASLMechanism) {
	case "":
		return nil, nil
	case "PLAIN":
		if !k.TLS {
			log.Warn().Msg("KAFKA_SASL_MECHANISM=PLAIN without KAFKA_TLS=true: the password crosses the network in clear")
		}
		return plain.Mechanism{Username: k.SASLUsername, Password: k.SASLPassword}, nil
	case "SCRAM-SHA-256":
		return scramMechanism(scram.SHA256, k.SASLUsername, k.SASLPassword)
	case "SCRAM-SHA-512":
		return scramMechanism(scram.SHA512, k.SASLUsername, k.SASLPassword)
	}
	return nil, fmt.Errorf("KAFKA_SASL_MECHANISM %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", k.SASLMechanism)
}

func scramMechanism(algo scram.Algorithm, user, pass string) (sasl.Mechanism, error) {
	m, err := scram.Mechanism(algo, user, pass)
	if err != nil {
		// scram's errors name the input, not the password; say which setting.
		return nil, fmt.Errorf("KAFKA_SASL_USERNAME/KAFKA_SASL_PASSWORD: %w", err)
	}
	return m, nil
}

// Dialer returns a dialer for kafka-go readers and direct connections, with
// the TLS and SASL settings; clientID names the program to the brokers.
func (k *Kafka) Dialer(clientID string, log zerolog.Logger) (*kafka.Dialer, error) {
	tlsCfg, mech, err := k.security(log)
	if err != nil {
		return nil, err
	}
	return &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: tlsCfg, SASLMechanism: mech, ClientID: clientID}, nil
}

// Transport returns a transport for kafka-go writers and clients, with the
// TLS and SASL settings; clientID names the program to the brokers.
func (k *Kafka) Transport(clientID string, log zerolog.Logger) (*kafka.Transport, error) {
	tlsCfg, mech, err := k.security(log)
	if err != nil {
		return nil, err
	}
	return &kafka.Transport{TLS: tlsCfg, SASL: mech, ClientID: clientID, DialTimeout: 10 * time.Second}, nil
}

// security is the TLS configuration and the SASL mechanism, either nil when
// not configured.
func (k *Kafka) security(log zerolog.Logger) (*tls.Config, sasl.Mechanism, error) {
	tlsCfg, err := k.TLSConfig(log)
	if err != nil {
		return nil, nil, err
	}
	mech, err := k.mechanism(log)
	if err != nil {
		return nil, nil, err
	}
	return tlsCfg, mech, nil
}
