package envcfg_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/envcfg"
)

// TestProblems: every problem is reported at once, each naming its
// variable; none is no error.
func TestProblems(t *testing.T) {
	t.Parallel()
	var none envcfg.Problems
	none.Check(false, "A must be set")
	none.Add(nil)
	if err := none.Err(); err != nil {
		t.Errorf("Err() without problems = %v, want nil", err)
	}
	var p envcfg.Problems
	p.Check(true, "POLL_INTERVAL %s: want positive", "-1s")
	p.Add(errors.New("KAFKA_TLS_CA_FILE needs KAFKA_TLS=true"))
	err := p.Err()
	if err == nil || !strings.HasPrefix(err.Error(), "configuration: ") ||
		!strings.Contains(err.Error(), "POLL_INTERVAL -1s") || !strings.Contains(err.Error(), "KAFKA_TLS_CA_FILE") {
		t.Errorf("Err() = %v, want both problems after \"configuration: \"", err)
	}
}
