// Package envcfg loads a command's configuration from the environment with
// errors that name the variable, which is what an operator can act on.
package envcfg

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/sethvargo/go-envconfig"
)

// Process fills target (a struct with env tags) from l. A value that does
// not parse is reported with its variable's name: go-envconfig itself names
// the Go field, or nothing for custom decoders.
func Process(ctx context.Context, target any, l envconfig.Lookuper) error {
	rec := &lastKey{l: l}
	if err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: target, Lookuper: rec}); err != nil {
		return fmt.Errorf("configuration: %s: %w", rec.key, err)
	}
	return nil
}

type lastKey struct {
	l   envconfig.Lookuper
	key string
}

func (k *lastKey) Lookup(key string) (string, bool) {
	k.key = key
	return k.l.Lookup(key)
}

// Secret fills *val from the file named by the NAME_FILE variable when it is
// set, so secrets can come from mounted files instead of the environment.
func Secret(val *string, path, name string) error {
	if path == "" {
		return nil
	}
	if *val != "" {
		return fmt.Errorf("set %s or %s_FILE, not both", name, name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%s_FILE: %w", name, err)
	}
	*val = strings.TrimSpace(string(b))
	if *val == "" {
		return fmt.Errorf("%s_FILE %s is empty", name, path)
	}
	return nil
}
