package inventory_test

import (
	"os"
	"testing"

	"github.com/pigment-siem/pipeline/internal/testkit"
)

// TestMain fails the package's tests if they leave goroutines running.
func TestMain(m *testing.M) { os.Exit(testkit.RunNoLeaks(m)) }
