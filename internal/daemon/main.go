package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rs/zerolog"
	"github.com/sethvargo/go-envconfig"

	"github.com/pigment-siem/pipeline/internal/pgdsn"
)

// ErrUsage is what a program's run returns when its arguments are wrong,
// once it printed the usage: Main adds nothing and exits 2.
var ErrUsage = errors.New("usage")

// RunFunc is a whole program minus process exit, so tests can drive it
// with a map-backed env (envconfig.MapLookuper).
type RunFunc func(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) error

// ExitCoder is an error that chooses its program's exit code, for the
// outcomes a scheduler must tell apart from a failure (report's 3: the
// period is not complete yet, try later).
type ExitCoder interface {
	error
	ExitCode() int
}

// Main runs run with the process's arguments, environment and standard
// streams, its context cancelled by SIGINT or SIGTERM, and returns the exit
// code for main's os.Exit: 0; 2 for ErrUsage; else 1, or an ExitCoder's
// code, after "name: error" on stderr.
func Main(name string, run RunFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], envconfig.OsLookuper(), os.Stdout, os.Stderr)
	stop()
	return exitCode(os.Stderr, name, err)
}

// exitCode is Main's answer for err, printed to w unless it is nil or
// ErrUsage (whose message was printed with the usage).
func exitCode(w io.Writer, name string, err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	}
	fmt.Fprintf(w, "%s: %v\n", name, err)
	if ec, ok := errors.AsType[ExitCoder](err); ok {
		return ec.ExitCode()
	}
	return 1
}

// Invocation is one command line of a program: the command named, its
// arguments, where it writes, and the logger Command built for it.
type Invocation struct {
	Cmd            string
	Args           []string
	Stdout, Stderr io.Writer
	// Log writes to Stderr at LOG_LEVEL in LOG_FORMAT, every line naming
	// the program; the database password never reaches it.
	Log     zerolog.Logger
	program string
	usage   string
}

// Unknown tells Stderr that the command is not one of the program's, with
// the usage, and returns ErrUsage.
func (inv *Invocation) Unknown() error {
	fmt.Fprintf(inv.Stderr, "%s: unknown command %q\n\n%s", inv.program, inv.Cmd, inv.usage)
	return ErrUsage
}

// Command builds the run of the program name (a RunFunc: the whole program
// minus process exit, so tests can drive it): help and usage first, then
// the configuration loaded and validated once, the logger, then dispatch
// with the command named. Whatever dispatch returns, the database password
// (cfg.DSN) never reaches the message.
func Command[C Config](name, usage string, load func(context.Context, envconfig.Lookuper) (C, error),
	dispatch func(ctx context.Context, cfg C, inv *Invocation) error) RunFunc {
	return func(ctx context.Context, args []string, env envconfig.Lookuper, stdout, stderr io.Writer) error {
		if done, err := Help(args, usage, stderr); done {
			return err
		}
		cfg, err := load(ctx, env)
		if err != nil {
			return err
		}
		log, err := cfg.settings().Logger(stderr, name, cfg.DSN())
		if err != nil {
			return fmt.Errorf("configuration: %w", err)
		}
		inv := &Invocation{Cmd: args[0], Args: args[1:], Stdout: stdout, Stderr: stderr, Log: log, program: name, usage: usage}
		return pgdsn.Scrub(dispatch(ctx, cfg, inv), cfg.DSN())
	}
}

// Help answers a command line that asks for help or names no command: it
// prints usage to w, and done tells run to return err (ErrUsage when no
// command was named, nil for -h, --help and help).
func Help(args []string, usage string, w io.Writer) (done bool, err error) {
	if len(args) > 0 && args[0] != "-h" && args[0] != "--help" && args[0] != "help" {
		return false, nil
	}
	fmt.Fprint(w, usage)
	if len(args) == 0 {
		return true, ErrUsage
	}
	return true, nil
}
