package envcfg

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/rs/zerolog"
)

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
