package envcfg

import (
	"errors"
	"fmt"
)

// Problems collects what is wrong with a configuration, so an operator sees
// every mistake at once. Each problem names its variable and the rule it
// breaks ("PIGMENT_POLL_INTERVAL must be positive").
type Problems struct{ errs []error }

// Check records the problem format describes when bad is true.
func (p *Problems) Check(bad bool, format string, args ...any) {
	if bad {
		p.errs = append(p.errs, fmt.Errorf(format, args...))
	}
}

// Add records err, which a Validate method returned; nil is ignored.
func (p *Problems) Add(err error) {
	if err != nil {
		p.errs = append(p.errs, err)
	}
}

// Err is nil without problems, else one error, "configuration: " and every
// problem, one a line.
func (p *Problems) Err() error {
	if len(p.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration: %w", errors.Join(p.errs...))
}
