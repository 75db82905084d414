package sinks_test

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/internal/sinks/sinktest"
)

// The HTTP sinks' table tests share their receivers, their sending and
// their checks here; each test keeps its own table.

// sender is a sink under test.
type sender interface {
	Send(ctx context.Context, records [][]byte, ids []string) ([]sinks.Result, error)
}

// hecReceiver starts a strict HEC accepting hecToken, unless opts names
// another token.
func hecReceiver(tb testing.TB, opts sinktest.HECOptions) *sinktest.HEC {
	tb.Helper()
	if opts.Token == "" {
		opts.Token = hecToken
	}
	return sinktest.NewHEC(tb, opts)
}

// esReceiver starts a strict Elasticsearch accepting esKey, unless opts
// names other credentials.
func esReceiver(tb testing.TB, opts sinktest.ElasticOptions) *sinktest.Elastic {
	tb.Helper()
	if opts.APIKey == "" && opts.Username == "" {
		opts.APIKey = esKey
	}
	return sinktest.NewElastic(tb, opts)
}

// sendAll sends recs through s, failing the test on an error, and checks
// the outcomes (see outcomes), that no reason holds secret, and that the
// first result not delivered has a reason containing wantReason.
func sendAll(t *testing.T, s sender, recs [][]byte, want, wantReason, secret string) []sinks.Result {
	t.Helper()
	res, err := s.Send(context.Background(), recs, ids(len(recs)))
	if err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	noSecret(t, secret, res, err)
	if got := outcomes(res); got != want {
		t.Errorf("Send() outcomes = %s, want %s (%+v)", got, want, res)
	}
	if reason, _ := firstProblem(res); !strings.Contains(reason, wantReason) {
		t.Errorf("reason = %q, want it to contain %q", reason, wantReason)
	}
	return res
}

// sendFails sends n records through s and checks that Send fails with an
// error containing wantErr, wrapping wantIs when it is set, and that no
// secret shows. ctx nil means context.Background().
func sendFails(t *testing.T, s sender, ctx context.Context, recs [][]byte, wantErr string, wantIs error, secrets ...string) error {
	t.Helper()
	if ctx == nil {
		ctx = context.Background()
	}
	res, err := s.Send(ctx, recs, ids(len(recs)))
	for _, secret := range secrets {
		noSecret(t, secret, res, err)
	}
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("Send() error = %v, want one containing %q", err, wantErr)
	}
	if wantIs != nil && !errors.Is(err, wantIs) {
		t.Errorf("Send() error = %v, want errors.Is %v", err, wantIs)
	}
	return err
}

// misconfigured is an answer that must stop delivery with
// ErrMisconfigured: none of it a delivery, none a bad record.
type misconfigured[O, C any] struct {
	name    string
	url     func(testing.TB) string // nil: a strict receiver
	opts    O                       // the receiver's
	cfg     C                       // the sink's (its URL is set by the test)
	path    string                  // appended to the receiver's URL
	recs    [][]byte                // nil: the test's good records
	wantErr string
}

// target is where the case sends: the url server's when set, else the
// receiver's base URL and the case's path.
func (tt misconfigured[O, C]) target(tb testing.TB, base string) string {
	if tt.url != nil {
		return tt.url(tb)
	}
	return base + tt.path
}

// runMisconfigured runs each case in parallel: sink starts the case's
// receiver and returns the sink aimed at tt.target; good records are sent
// where the case has none. No secret may show.
func runMisconfigured[O, C any](t *testing.T, tests []misconfigured[O, C], sink func(*testing.T, misconfigured[O, C]) sender, good [][]byte, secrets ...string) {
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := sink(t, tt)
			recs := tt.recs
			if recs == nil {
				recs = good
			}
			res, err := s.Send(context.Background(), recs, ids(len(recs)))
			for _, secret := range secrets {
				noSecret(t, secret, res, err)
			}
			if err == nil {
				t.Fatalf("Send() = %s, nil; want an error wrapping ErrMisconfigured", outcomes(res))
			}
			if !errors.Is(err, sinks.ErrMisconfigured) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Send() error = %v, want ErrMisconfigured containing %q", err, tt.wantErr)
			}
		})
	}
}

// closedAtEnd fails tb when made, a sink's constructor, returned err, and
// else closes s when the test ends.
func closedAtEnd[S io.Closer](tb testing.TB, made string, s S, err error) S {
	tb.Helper()
	if err != nil {
		tb.Fatalf("%s: %v", made, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// closedAddr returns a TCP address on this host where nothing listens.
func closedAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close() // closed, the port is refused
	return ln.Addr().String()
}
