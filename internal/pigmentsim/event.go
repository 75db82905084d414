package pigmentsim

import (
	"encoding/json"
	"math"
	"time"
)

// ev is the compact stored form of one event (24 bytes): everything else is
// derived from the seed and seq when the event is rendered.
type ev struct {
	ingest int64  // ingestionTimestamp, Unix nanoseconds
	seq    uint32 // generated: event number; injected: injectedFlag | index into store.inj
	lagMs  uint32 // eventTimestamp = ingest - lagMs
	lateMs uint32 // visible at ingest + lateMs
}

const injectedFlag = 1 << 31

func (e ev) injected() bool { return e.seq&injectedFlag != 0 }

// Injected is an exact event added by a test with Sim.Inject.
type Injected struct {
	ID            string // eventId; empty gets a deterministic UUID
	Type          string // eventType, rendered as given in both shapes
	ActorID       string // a member ID from the workspace renders that member; others render as-is
	ApplicationID string // an application ID from the workspace renders its name; empty = none
	EventTime     time.Time
	IngestionTime time.Time
	VisibleAt     time.Time      // zero (or before IngestionTime) = IngestionTime
	Payload       map[string]any // metadata (described) or payload (public); must marshal to JSON, else {}
	Shape         string         // its envelope: ShapeDescribed, ShapePublic, or empty for the Sim's
}

// injected is the stored form of an Injected event.
type injected struct {
	Injected
	visible int64
	payload []byte // pre-rendered JSON object
}

func newInjected(in Injected) injected {
	if in.EventTime.IsZero() {
		in.EventTime = in.IngestionTime
	}
	vis := in.VisibleAt
	if vis.Before(in.IngestionTime) {
		vis = in.IngestionTime
	}
	p, err := json.Marshal(in.Payload)
	if err != nil || in.Payload == nil {
		p = []byte("{}")
	}
	return injected{Injected: in, visible: vis.UnixNano(), payload: p}
}

// stream is a splitmix64 generator: cheap, seedable, and good enough for
// simulated activity.
type stream uint64

func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

func (s *stream) next() uint64 {
	*s += 0x9e3779b97f4a7c15
	return mix64(uint64(*s))
}

// intn returns a value in [0, n).
func (s *stream) intn(n int) int { return int((s.next() >> 32) * uint64(n) >> 32) }

// float returns a value in [0, 1).
func (s *stream) float() float64 { return float64(s.next()>>11) / (1 << 53) }

// Streams of one generated event: its ID, its timing, and its content.
const (
	streamID      = 1 << 62
	streamTime    = 2 << 62
	streamContent = 3 << 62
	streamGap     = 1 << 61
)

func eventStream(seed int64, seq uint32, which uint64) stream {
	return stream(mix64(mix64(uint64(seed)) ^ uint64(seq) ^ which))
}

// uuid draws a version-4 UUID as two halves.
func (s *stream) uuid() (hi, lo uint64) {
	hi, lo = s.next(), s.next()
	hi = hi&^(0xf<<12) | 4<<12
	lo = lo&^(3<<62) | 2<<62
	return hi, lo
}

// uuidString draws a version-4 UUID in its canonical form.
func (r *stream) uuidString() string {
	hi, lo := r.uuid()
	return string(appendUUID(nil, hi, lo))
}

// genID returns the eventId of generated event seq as a version-4 UUID.
func genID(seed int64, seq uint32) (hi, lo uint64) {
	r := eventStream(seed, seq, streamID)
	return r.uuid()
}

// timing draws the lag and late-visibility delay of generated event seq.
func (c *Config) timing(seq uint32) (lagMs, lateMs uint32) {
	r := eventStream(c.Seed, seq, streamTime)
	lag := c.LagMin + time.Duration(r.float()*float64(c.LagMax-c.LagMin))
	lagMs = uint32(lag / time.Millisecond)
	if c.LateFraction > 0 && r.float() < c.LateFraction {
		lateMs = uint32(r.float() * float64(c.LateMax/time.Millisecond))
	}
	return lagMs, lateMs
}

// interval draws the time between live event seq and the one before it,
// exponentially distributed with mean 1/rate.
func interval(seed int64, seq uint32, rate float64) time.Duration {
	r := eventStream(seed, seq, streamGap)
	u := 1 - r.float() // (0, 1]
	d := time.Duration(-math.Log(u) / rate * float64(time.Second))
	return max(d, time.Millisecond)
}

// draw holds the content choices of one generated event.
type draw struct {
	kind, actor, target, app, blk int
	failed, unusual               bool
	ipv4                          uint32
	country                       string
	r                             stream // the rest of the content stream
}

// drawEvent derives the content of generated event seq, whose event time is
// at (Unix ns). Actors are skewed: a few members produce most of the
// activity. With a plan (Config.Anomalies), the plan then adjusts the draw.
func (w *workspace) drawEvent(seed int64, seq uint32, at int64) draw {
	r := eventStream(seed, seq, streamContent)
	d := draw{kind: pickKind(r.intn(kindTotal))}
	u := r.float()
	d.actor = int(u * u * float64(len(w.members)))
	d.target = r.intn(len(w.members))
	d.app = r.intn(len(w.apps))
	d.blk = r.intn(len(w.apps[d.app].blocks))
	m := &w.members[d.actor]
	d.country = countries[m.country]
	switch x := r.intn(1000); {
	case x < 15: // an unusual place: a rare country and an unknown address
		d.unusual, d.country = true, rareCountries[r.intn(len(rareCountries))]
	case x < 45: // travelling
		d.unusual, d.country = true, countries[r.intn(len(countries))]
	}
	d.ipv4 = uint32(r.next())
	d.failed = kinds[d.kind].cat == catLogin && r.intn(100) < 6
	d.r = r
	if w.plan != nil {
		w.plan.adjust(w, &d, seq, at)
	}
	return d
}

func (d *draw) appendIP(b []byte, m *member) []byte {
	if d.unusual {
		return appendIPv4(b, d.ipv4)
	}
	return append(b, m.qIP...)
}

// genIDString returns the eventId of generated event seq as a string.
func genIDString(seed int64, seq uint32) string {
	hi, lo := genID(seed, seq)
	return string(appendUUID(make([]byte, 0, 36), hi, lo))
}
