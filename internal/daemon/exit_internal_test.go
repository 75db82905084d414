package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

type codeErr struct{ code int }

func (e codeErr) Error() string { return "not yet" }
func (e codeErr) ExitCode() int { return e.code }

// An ExitCoder chooses the exit code, wrapped or not; its message is
// printed like any error's.
func TestExitCode(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		out  string
	}{
		{nil, 0, ""},
		{ErrUsage, 2, ""},
		{errors.New("boom"), 1, "p: boom\n"},
		{fmt.Errorf("report: %w", codeErr{3}), 3, "p: report: not yet\n"},
	} {
		var b bytes.Buffer
		if got := exitCode(&b, "p", c.err); got != c.code || b.String() != c.out {
			t.Errorf("exitCode(%v) = %d, %q; want %d, %q", c.err, got, b.String(), c.code, c.out)
		}
	}
}
