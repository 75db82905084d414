package testkit

import (
	"fmt"
	"os"
	"testing"

	"github.com/segmentio/kafka-go"
	"go.uber.org/goleak"
)

// RunNoLeaks runs a package's tests, then fails the run if any goroutine
// they started is still running (goleak retries for a while, so one that
// is returning is not counted). A TestMain calls os.Exit(RunNoLeaks(m)).
func RunNoLeaks(m *testing.M) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	// kafka-go's writers and clients without a Transport of their own share
	// DefaultTransport, whose pools (a goroutine per broker and connection)
	// live as long as the process: the tests' last user closes them.
	if t, ok := kafka.DefaultTransport.(*kafka.Transport); ok {
		t.CloseIdleConnections()
	}
	if err := goleak.Find(); err != nil {
		fmt.Fprintln(os.Stderr, "goroutines leaked by the tests:", err)
		return 1
	}
	return 0
}

// Transport returns a kafka-go transport for one test's writers and
// clients, its connections closed when the test ends (a Transport keeps
// them, with their goroutines, until CloseIdleConnections).
func Transport(tb testing.TB) *kafka.Transport {
	tr := &kafka.Transport{ClientID: "test"}
	tb.Cleanup(tr.CloseIdleConnections)
	return tr
}
