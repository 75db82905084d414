package daemon

import (
	"context"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// Config is what the skeleton needs of a daemon's configuration: a struct
// that embeds Settings (which gives it settings) and states its own rules.
type Config interface {
	// Check records what is wrong with the program's own variables, after
	// it resolved what derives from them (secrets from files, defaults that
	// depend on other variables).
	Check(p *envcfg.Problems)
	// DSN is the database URL whose password must never reach an error or
	// a log line; "" for none. Database provides it.
	DSN() string
	settings() *Settings
}

// Load fills cfg, a pointer whose program defaults are already set, from l,
// and validates it once: the program's rules, then the shared settings',
// every problem reported at once, each naming its variable.
func Load[C Config](ctx context.Context, l envconfig.Lookuper, cfg C) (C, error) {
	if err := envcfg.Process(ctx, cfg, l); err != nil {
		return cfg, err
	}
	var p envcfg.Problems
	cfg.Check(&p)
	p.Add(cfg.settings().Validate())
	return cfg, p.Err()
}

// DSN is the database URL, for Config.
func (d Database) DSN() string { return d.DatabaseURL }

func (s *Settings) settings() *Settings { return s }
