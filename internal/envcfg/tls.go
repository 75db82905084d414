package envcfg

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/rs/zerolog"
)

// Kafka is the broker configuration every command shares.
type Kafka struct {
	Brokers      []string `env:"KAFKA_BROKERS"`
	EmbeddedAddr string   `env:"KAFKA_EMBEDDED_ADDR, default=127.0.0.1:19092"`
	TLS          bool     `env:"KAFKA_TLS, default=false"`
	CAFile       string   `env:"KAFKA_TLS_CA_FILE"`
	SkipVerify   bool     `env:"KAFKA_TLS_INSECURE_SKIP_VERIFY, default=false"`
}

// Validate reports settings that contradict each other.
func (k Kafka) Validate() error {
	if (k.CAFile != "" || k.SkipVerify) && !k.TLS {
		return fmt.Errorf("KAFKA_TLS_CA_FILE and KAFKA_TLS_INSECURE_SKIP_VERIFY need KAFKA_TLS=true")
	}
	return nil
}

// TLSConfig is the brokers' TLS configuration, nil without KAFKA_TLS.
func (k Kafka) TLSConfig(log zerolog.Logger) (*tls.Config, error) {
	if !k.TLS {
		return nil, nil
	}
	return TLS("KAFKA_TLS", k.CAFile, k.SkipVerify, log)
}

// TLS builds a client TLS configuration that verifies peers against the
// system roots or the PEM bundle caFile. Skipping verification takes an
// explicit setting and is logged as a warning. prefix names the variables
// in errors (prefix_CA_FILE, prefix_INSECURE_SKIP_VERIFY).
func TLS(prefix, caFile string, skipVerify bool, log zerolog.Logger) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("%s_CA_FILE: %w", prefix, err)
		}
		c.RootCAs = x509.NewCertPool()
		if !c.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s_CA_FILE %s: no PEM certificate found", prefix, caFile)
		}
	}
	if skipVerify {
		c.InsecureSkipVerify = true
		log.Warn().Msgf("%s_INSECURE_SKIP_VERIFY=true: certificates are NOT verified", prefix)
	}
	return c, nil
}
