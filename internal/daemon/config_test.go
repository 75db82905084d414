package daemon_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/daemon"
	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// config is a daemon's configuration as a program writes one.
type config struct {
	Name string `env:"TEST_NAME"`
	daemon.Database
	daemon.Settings
}

func (c *config) Check(p *envcfg.Problems) { p.Check(c.Name == "", "TEST_NAME must be set") }

func load(ctx context.Context, l envconfig.Lookuper) (*config, error) {
	return daemon.Load(ctx, l, &config{})
}

// TestLoadReportsEveryProblem: the program's rules and the shared
// settings' are reported together, each naming its variable.
func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := load(t.Context(), envconfig.MapLookuper(map[string]string{"LOG_LEVEL": "loud"}))
	if err == nil || !strings.Contains(err.Error(), "TEST_NAME") || !strings.Contains(err.Error(), "LOG_LEVEL") {
		t.Errorf("Load = %v, want an error naming TEST_NAME and LOG_LEVEL", err)
	}
}

// TestCommandScrubsThePassword: whatever a command returns, the database
// password is not in it, and its logger writes without it either.
func TestCommandScrubsThePassword(t *testing.T) {
	t.Parallel()
	const pw = "pw-4f3e2d1c"
	dsn := "postgres://u:" + pw + "@127.0.0.1:1/db"
	var logs bytes.Buffer
	run := daemon.Command("test", "usage\n", load, func(_ context.Context, cfg *config, inv *daemon.Invocation) error {
		inv.Log.Info().Str("url", cfg.DatabaseURL).Msg(inv.Cmd)
		return errors.New("connect to " + cfg.DatabaseURL)
	})
	err := run(t.Context(), []string{"go"}, envconfig.MapLookuper(map[string]string{"TEST_NAME": "x", "DATABASE_URL": dsn}), &bytes.Buffer{}, &logs)
	if err == nil || strings.Contains(err.Error(), pw) || strings.Contains(logs.String(), pw) || !strings.Contains(logs.String(), `"service":"test"`) {
		t.Errorf("run = %v, logs %q; want an error and logs naming the service, without the password", err, logs.String())
	}
}

// TestCheckAPIHidesTheURLsPassword: a PIGMENT_API_URL refused (for its
// scheme, or as no URL) is named without the password its user info may
// carry.
func TestCheckAPIHidesTheURLsPassword(t *testing.T) {
	t.Parallel()
	const pw = "pw-9a8b7c6d"
	for _, u := range []string{"ftp://u:" + pw + "@pigment.example", "https://u:" + pw + "@pigment.example:port"} {
		var p envcfg.Problems
		daemon.CheckAPI(&p, u, time.Second, 1)
		if err := p.Err(); err == nil || strings.Contains(err.Error(), pw) || !strings.Contains(err.Error(), "PIGMENT_API_URL") {
			t.Errorf("CheckAPI = %v, want an error naming PIGMENT_API_URL without the password", err)
		}
	}
}
