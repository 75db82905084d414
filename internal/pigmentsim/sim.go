// Package pigmentsim is a local simulator of Pigment's Audit Logs and
// Metadata APIs, faithful to the parts that make the real API hard to consume:
// pages by ingestion time (newest first by default), keyset cursors pinned to
// a snapshot, events that are ingested late and become visible out of order,
// a fixed-window rate limit shared by every endpoint, a 180-day lookback, and
// injectable faults (5xx, slow answers, truncated bodies).
//
// It serves both known response shapes: "described" (the product
// specification: actor{memberId,email,name}/target/metadata,
// pagination.nextCursor) and "public" (Pigment's public documentation:
// actor.user{id,email,name}/context/payload, nextEventsCursor).
//
// Activity is deterministic for a given seed and clock: a backlog is generated
// at New and live events are materialised lazily, up to the clock, when a
// request arrives. Events are stored as 24-byte structs and rendered to JSON
// on demand with an append-based encoder, so millions of events fit in memory.
package pigmentsim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// DefaultMetadataAPIKey is Config.MetadataAPIKey's default.
const DefaultMetadataAPIKey = "sim-metadata-key"

// Shapes and orders accepted by Config.
const (
	ShapeDescribed = "described"
	ShapePublic    = "public"
	OrderDesc      = "desc"
	OrderAsc       = "asc"
)

// Config configures a Sim. Zero values take the documented defaults.
type Config struct {
	Seed   int64  // deterministic workspace and activity
	APIKey string // required bearer token of the Audit Logs API; anything else -> 401 {"error":"unauthorized"}
	// MetadataAPIKey is the bearer token of the Metadata API (default
	// DefaultMetadataAPIKey); it must differ from APIKey: neither works on
	// the other's endpoints.
	MetadataAPIKey string
	// MetadataChangeEvery is how often the structure changes (default 6h):
	// at start + k*MetadataChangeEvery a block is renamed, deleted, or the
	// last application grows, in turn (see MetadataChange).
	MetadataChangeEvery time.Duration
	Members             int           // default 50
	Applications        int           // default 12 (each with 3 to 8 blocks in events); the Metadata API serves at least 50
	Rate                float64       // live events per second of (simulated) time; 0 = none
	History             time.Duration // backlog ending at the start time, spread over this duration (0 = none)
	HistoryEvents       int           // number of events in the backlog
	LagMin              time.Duration // ingestionTimestamp - eventTimestamp is uniform in [LagMin, LagMax];
	LagMax              time.Duration // both zero = 2s..5m
	LateFraction        float64       // share of events visible only at ingestion + [0, LateMax]; 0 = 0.02, negative = none
	LateMax             time.Duration // default 90s
	Shape               string        // ShapeDescribed (default) or ShapePublic
	Order               string        // OrderDesc (default, newest first by ingestionTimestamp) or OrderAsc
	PageSize            int           // default 1000
	RateLimit           int           // requests per RateWindow to /api/*, all callers together; 0 = off
	RateWindow          time.Duration // fixed windows aligned on multiples of RateWindow; default 5m
	RetryAfter          bool          // send Retry-After with 429 (the real API is not documented to)
	Lookback            time.Duration // default 180 days; older ingestedSince -> 400
	CursorTTL           time.Duration // cursors older than this -> 400 invalid cursor; 0 = never expire
	FaultRate           float64       // share of /api/* requests answered 500, 502 or 503
	SlowRate            float64       // share of /api/* requests delayed by SlowDelay (real time)
	SlowDelay           time.Duration
	TruncateRate        float64          // share of 200 answers whose body is cut in the middle
	Clock               func() time.Time // default time.Now; tests pass a fake clock
	// Anomalies plants the documented anomalies (see AnomalyOffHoursLogin and
	// the following constants) in the backlog, confines the backlog to weekday
	// business hours and keeps control members ordinary; Planted and
	// ControlActors give the ground truth. Needs Members >= 20. Off (false)
	// changes nothing.
	Anomalies bool
	// Scenario "" is the generated activity above; ScenarioLabelled replaces
	// the backlog (History, HistoryEvents) with the labelled scenario: three
	// weekdays of office work with planted anomalies, near misses and
	// control members (Labels, ControlActors). It needs Members >= 100 and
	// Applications >= 30, and excludes Anomalies.
	Scenario string
}

const maxMembers = 1 << 16

// withDefaults returns a copy of c with defaults applied, or an error naming
// the first invalid field.
func (c Config) withDefaults() (Config, error) {
	if c.APIKey == "" {
		return c, errors.New("Config.APIKey is required")
	}
	c.MetadataAPIKey = cmpOr(c.MetadataAPIKey, DefaultMetadataAPIKey)
	if c.MetadataAPIKey == c.APIKey {
		return c, errors.New("Config.MetadataAPIKey must differ from Config.APIKey")
	}
	c.MetadataChangeEvery = cmpOr(c.MetadataChangeEvery, 6*time.Hour)
	c.Members = cmpOr(c.Members, 50)
	c.Applications = cmpOr(c.Applications, 12)
	if c.LagMin == 0 && c.LagMax == 0 {
		c.LagMin, c.LagMax = 2*time.Second, 5*time.Minute
	}
	c.LateFraction = cmpOr(c.LateFraction, 0.02)
	c.LateFraction = max(c.LateFraction, 0)
	c.LateMax = cmpOr(c.LateMax, 90*time.Second)
	c.Shape = cmpOr(c.Shape, ShapeDescribed)
	c.Order = cmpOr(c.Order, OrderDesc)
	c.PageSize = cmpOr(c.PageSize, 1000)
	c.RateWindow = cmpOr(c.RateWindow, 5*time.Minute)
	c.Lookback = cmpOr(c.Lookback, 180*24*time.Hour)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	switch {
	case c.Members < 1 || c.Members > maxMembers:
		return c, fmt.Errorf("Config.Members %d: want 1..%d", c.Members, maxMembers)
	case c.Applications < 1 || c.Applications > maxMembers:
		return c, fmt.Errorf("Config.Applications %d: want 1..%d", c.Applications, maxMembers)
	case c.Rate < 0:
		return c, fmt.Errorf("Config.Rate %v: want >= 0", c.Rate)
	case c.History < 0 || c.HistoryEvents < 0 || c.HistoryEvents >= injectedFlag:
		return c, fmt.Errorf("Config.History %v with HistoryEvents %d: want non-negative, fewer than 2^31 events", c.History, c.HistoryEvents)
	case c.LagMin < 0 || c.LagMax < c.LagMin || c.LagMax > 24*time.Hour:
		return c, fmt.Errorf("Config.LagMin %v, LagMax %v: want 0 <= LagMin <= LagMax <= 24h", c.LagMin, c.LagMax)
	case c.LateFraction > 1 || c.LateMax < 0 || c.LateMax > 24*time.Hour:
		return c, fmt.Errorf("Config.LateFraction %v, LateMax %v: want a share <= 1 and 0 <= LateMax <= 24h", c.LateFraction, c.LateMax)
	case c.Shape != ShapeDescribed && c.Shape != ShapePublic:
		return c, fmt.Errorf("Config.Shape %q: want %q or %q", c.Shape, ShapeDescribed, ShapePublic)
	case c.Order != OrderDesc && c.Order != OrderAsc:
		return c, fmt.Errorf("Config.Order %q: want %q or %q", c.Order, OrderDesc, OrderAsc)
	case c.Anomalies && c.Members < minAnomalyMembers:
		return c, fmt.Errorf("Config.Members %d: Anomalies needs at least %d", c.Members, minAnomalyMembers)
	case c.Scenario != "" && c.Scenario != ScenarioLabelled:
		return c, fmt.Errorf("Config.Scenario %q: want empty or %q", c.Scenario, ScenarioLabelled)
	case c.Scenario == ScenarioLabelled && (c.Anomalies || c.Members < labelledMinMembers || c.Applications < labelledMinApps):
		return c, fmt.Errorf("Config.Scenario %q: needs Members >= %d, Applications >= %d and no Anomalies", c.Scenario, labelledMinMembers, labelledMinApps)
	case c.PageSize < 1:
		return c, fmt.Errorf("Config.PageSize %d: want >= 1", c.PageSize)
	case c.MetadataChangeEvery < 0:
		return c, fmt.Errorf("Config.MetadataChangeEvery %v: want positive", c.MetadataChangeEvery)
	case c.RateLimit < 0 || c.RateWindow < 0 || c.Lookback < 0 || c.CursorTTL < 0 || c.SlowDelay < 0:
		return c, errors.New("Config.RateLimit, RateWindow, Lookback, CursorTTL and SlowDelay must not be negative")
	}
	if err := checkShares(c.FaultRate, c.SlowRate, c.TruncateRate); err != nil {
		return c, err
	}
	if c.Scenario == ScenarioLabelled {
		c.History, c.HistoryEvents = 0, 0
	}
	return c, nil
}

func checkShares(fault, slow, truncate float64) error {
	for _, v := range []float64{fault, slow, truncate} {
		if v < 0 || v > 1 {
			return fmt.Errorf("fault, slow and truncate rates must be within [0, 1], got %v", v)
		}
	}
	return nil
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Stats counts what the simulator did. Requests counts every HTTP request,
// Served the events returned in 200 pages (truncated ones included).
type Stats struct {
	Requests, Served, RateLimited, Faults, Slowed, Truncated, Unauthorized int64
}

// Sim is a simulated Pigment workspace and its HTTP API. All methods are
// safe for concurrent use.
type Sim struct {
	cfg   Config
	start time.Time
	ws    *workspace
	meta  *metadata
	rd    renderer
	st    *store
	plan  *plan     // nil unless cfg.Anomalies
	plant []Planted // ground truth of the planted anomalies
	lab   *labelled // nil unless cfg.Scenario is ScenarioLabelled

	mu          sync.Mutex // guards the fields below
	window      int64      // current rate-limit window number
	windowCount int
	fault       float64
	slow        float64
	truncate    float64
	rng         *rand.Rand

	requests, served, rateLimited, faults, slowed, truncated, unauthorized atomic.Int64
}

// New builds the workspace and the backlog. The start time is cfg.Clock() at
// the call; the backlog ends there. A backlog of 2 million events takes about
// 0.1 s to generate and 48 MB.
func New(cfg Config) (*Sim, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("pigmentsim: %w", err)
	}
	start := c.Clock()
	ws := newWorkspace(c.Seed, c.Members, c.Applications, start)
	var p *plan
	if c.Anomalies {
		p = newPlan(&c, ws, start)
		ws.members[p.actor[AnomalyPrivilegeEscalation]].accountType = "Standard Member"
		ws.plan = p
	}
	s := &Sim{
		cfg:      c,
		start:    start,
		ws:       ws,
		meta:     newMetadata(c.Seed, ws, start, c.MetadataChangeEvery),
		rd:       renderer{w: ws, seed: c.Seed, public: c.Shape == ShapePublic, qWS: jsonenc.AppendString(nil, ws.id)},
		fault:    c.FaultRate,
		slow:     c.SlowRate,
		truncate: c.TruncateRate,
		rng:      rand.New(rand.NewPCG(uint64(c.Seed), 0x51ed)),
	}
	s.st = newStore(&s.cfg, start, p)
	if p != nil {
		s.plan = p
		s.plant = s.plantAnomalies(p)
	}
	if c.Scenario == ScenarioLabelled {
		s.lab = s.plantLabelled()
	}
	return s, nil
}

// Planted returns the ground truth of the planted anomalies (Config.Anomalies),
// in planting order, one per kind; nil when Anomalies is off. All their
// events are in the backlog, visible at the start.
func (s *Sim) Planted() []Planted {
	if s.plan == nil {
		return nil
	}
	out := slices.Clone(s.plant)
	for i := range out {
		out[i].EventIDs = slices.Clone(out[i].EventIDs)
	}
	return out
}

// ControlActors returns the member IDs of the control members
// (Config.Anomalies): they only log in successfully from their usual place,
// access applications and modify blocks and data in two applications,
// during weekday business hours (09:00-18:00 UTC), and must raise no alert.
// With ScenarioLabelled, the labelled scenario's control members. Nil
// otherwise.
func (s *Sim) ControlActors() []string {
	if s.lab != nil {
		return slices.Clone(s.lab.controls)
	}
	if s.plan == nil {
		return nil
	}
	ids := make([]string, len(s.plan.control))
	for i, m := range s.plan.control {
		ids[i] = s.ws.members[m].id
	}
	return ids
}

// Config returns the effective configuration, defaults applied.
func (s *Sim) Config() Config { return s.cfg }

// Inject adds exact events, for tests. They are served like generated ones;
// an event whose VisibleAt is before the snapshot of a cursor already in use
// and whose ingestion time falls inside its range breaks that cursor's
// consistency, as it would on a real server.
func (s *Sim) Inject(events ...Injected) {
	for _, e := range events {
		s.st.addInjected(e)
	}
}

// Advance materialises live events up to Clock(). Requests do this
// themselves; Advance is only needed to observe the store without a request.
func (s *Sim) Advance() { s.Count() }

// VisibleIDs returns the ground truth at now: the IDs of all events visible
// at now with ingestionTimestamp >= now-Lookback, by ascending ingestion time.
func (s *Sim) VisibleIDs(now time.Time) []string {
	return s.st.visibleIDs(now, now.Add(-s.cfg.Lookback).UnixNano())
}

// VisibleSince returns, by eventId, when each event visible at now became
// visible at the API (its ingestion, or later for an event visible late),
// for those that became visible at or after from: what a freshness
// measurement starts its clock at.
func (s *Sim) VisibleSince(from, now time.Time) map[string]time.Time {
	out := map[string]time.Time{}
	s.st.eachVisible(now, now.Add(-s.cfg.Lookback).UnixNano(), func(e ev, v int64) {
		if v >= from.UnixNano() {
			out[s.st.id(e)] = time.Unix(0, v).UTC()
		}
	})
	return out
}

// Count returns the number of events materialised up to Clock(), visible
// or not, injected ones included.
func (s *Sim) Count() int { return s.st.count(s.cfg.Clock()) }

// Stats returns a snapshot of the counters.
func (s *Sim) Stats() Stats {
	return Stats{
		Requests:     s.requests.Load(),
		Served:       s.served.Load(),
		RateLimited:  s.rateLimited.Load(),
		Faults:       s.faults.Load(),
		Slowed:       s.slowed.Load(),
		Truncated:    s.truncated.Load(),
		Unauthorized: s.unauthorized.Load(),
	}
}

// SetFaults changes the fault, slow and truncate rates at run time. Values
// are clamped to [0, 1].
func (s *Sim) SetFaults(fault, slow, truncate float64) {
	clamp := func(v float64) float64 { return min(max(v, 0), 1) }
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fault, s.slow, s.truncate = clamp(fault), clamp(slow), clamp(truncate)
}
