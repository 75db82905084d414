package daemon

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/pigment-siem/pipeline/internal/budget"
	"github.com/pigment-siem/pipeline/internal/pigment"
)

// RateBudget is PIGMENT_RATE_LIMIT and PIGMENT_RATE_RESERVE, embedded in
// the Config of every program calling Pigment's APIs (extract, inventory):
// Pigment's limit is per IP for every endpoint, so every such process must
// read the same two variables the same way and agree on the budget they
// share through Postgres.
type RateBudget struct {
	RateLimit RateLimit `env:"PIGMENT_RATE_LIMIT, default=500/5m"`
	// RateReserve is the slots of each window only the live extractor may
	// use; negative (the default) means DefaultReserve of the limit.
	RateReserve int `env:"PIGMENT_RATE_RESERVE, default=-1"`
}

// Validate reports a reserve that leaves nothing to the other classes.
func (r RateBudget) Validate() error {
	if r.RateLimit.Requests > 0 && r.RateReserve >= r.RateLimit.Requests {
		return fmt.Errorf("PIGMENT_RATE_RESERVE %d must be below the limit %d", r.RateReserve, r.RateLimit.Requests)
	}
	return nil
}

// DefaultReserve is the live extractor's reserve when PIGMENT_RATE_RESERVE
// is not set: 3/10 of the limit, twice the default PIGMENT_POLL_SHARE
// (15 %), so live polling, even at twice its pace (a catch-up), never
// waits for an inventory or a backfill that started first. A tenth (the
// old default) is less than the polls' own share: an inventory filling
// the rest of a window held live polls back.
func DefaultReserve(limit int) int { return limit * 3 / 10 }

// Limiter is the budget of apiURL's host at class, for a Pigment client's
// Limiter and RateWindow, with the gauge pigment_api_budget_remaining
// registered with reg; nil (and a warning logged) when
// PIGMENT_RATE_LIMIT=off. The budget's window is a second longer than the server's,
// so that a sliding window never overfills the server's fixed one despite
// clock and network skew (zero 429s, at 99.7 % of the budget).
func (r RateBudget) Limiter(pool *pgxpool.Pool, apiURL string, class budget.Class, reg prometheus.Registerer,
	log zerolog.Logger) (pigment.Limiter, time.Duration, error) {
	rl := r.RateLimit
	if rl.Requests <= 0 {
		log.Warn().Msg("PIGMENT_RATE_LIMIT=off: no client-side rate limit; the API will answer 429 beyond its budget")
		return nil, 0, nil
	}
	reserve := r.RateReserve
	if reserve < 0 {
		reserve = DefaultReserve(rl.Requests)
	}
	b, err := budget.New(pool, budget.Config{
		Key: budget.ForAPI(apiURL), Limit: rl.Requests, Window: rl.Window + time.Second,
		Reserve: reserve, Class: class,
	})
	if err != nil {
		return nil, 0, fmt.Errorf("rate budget: %w", err)
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pigment_api_budget_remaining", Help: "Requests left in the current rate window, shared by every process calling this API host.",
	}, func() float64 {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		n, err := b.Remaining(ctx)
		if err != nil {
			return -1
		}
		return float64(n)
	}))
	return b, rl.Window, nil
}

// ObserveAPI registers pigment_api_responses_total{status} and
// pigment_api_rate_limited_total with reg and returns the function a
// Pigment client calls with every answer's status (0: a network error or
// a malformed body).
func ObserveAPI(reg prometheus.Registerer) func(status int) {
	responses := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pigment_api_responses_total", Help: "Answers of the Pigment API by HTTP status (0: network error or malformed body).",
	}, []string{"status"})
	throttled := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pigment_api_rate_limited_total", Help: "HTTP 429 answers from the Pigment API.",
	})
	reg.MustRegister(responses, throttled)
	return func(status int) {
		responses.WithLabelValues(strconv.Itoa(status)).Inc()
		if status == http.StatusTooManyRequests {
			throttled.Inc()
		}
	}
}

// RateLimit is "N/duration" (500/5m) or "off".
type RateLimit struct {
	Requests int
	Window   time.Duration
}

// EnvDecode implements envconfig.Decoder.
func (r *RateLimit) EnvDecode(s string) error {
	if s == "off" || s == "0" {
		*r = RateLimit{}
		return nil
	}
	n, w, ok := strings.Cut(s, "/")
	req, err := strconv.Atoi(n)
	win, werr := time.ParseDuration(w)
	if !ok || err != nil || werr != nil || req <= 0 || win <= 0 {
		return fmt.Errorf("%q: want REQUESTS/WINDOW such as 500/5m, or off", s)
	}
	*r = RateLimit{Requests: req, Window: win}
	return nil
}
