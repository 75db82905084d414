package daemon

import (
	"io"

	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/obs"
	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

// Settings are the variables every daemon reads, embedded in its Config.
type Settings struct {
	LogLevel  string `env:"LOG_LEVEL, default=info"`
	LogFormat string `env:"LOG_FORMAT, default=json"`
	// MetricsAddr is where /metrics and /healthz are served. Its default is
	// each program's own: set it in the Config before loading it (overwrite
	// keeps it unless METRICS_ADDR is set).
	MetricsAddr string `env:"METRICS_ADDR, overwrite"`
}

// Validate reports a log level or format the logger does not know.
func (s *Settings) Validate() error {
	_, err := obs.NewLogger(io.Discard, s.LogLevel, s.LogFormat)
	return err
}

// Logger writes to w at LOG_LEVEL in LOG_FORMAT, every line naming service.
// dsn, when not empty, is a database URL whose password never reaches w.
func (s *Settings) Logger(w io.Writer, service, dsn string) (zerolog.Logger, error) {
	if dsn != "" {
		w = pgdsn.Writer(w, dsn)
	}
	log, err := obs.NewLogger(w, s.LogLevel, s.LogFormat)
	if err != nil {
		return log, err
	}
	return log.With().Str("service", service).Logger(), nil
}
