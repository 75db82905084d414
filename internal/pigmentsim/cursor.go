package pigmentsim

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// cursor is the decoded form of the opaque pagination token. It pins the
// snapshot time of the first page and the ingestedSince of the run, and holds
// a keyset position (the last served event), never an offset: pages stay
// consistent while new events arrive.
type cursor struct {
	Snapshot int64  `json:"s"` // Unix ns of the first page's snapshot
	Since    int64  `json:"q"` // Unix ns of the run's ingestedSince
	Ingest   int64  `json:"t"` // last served event's ingestionTimestamp
	ID       string `json:"i"` // last served event's eventId
	Order    string `json:"o"`
	Sum      string `json:"k"` // checksum: tampered or foreign cursors are rejected
}

var errInvalidCursor = errors.New("invalid cursor")

// sum binds the cursor fields to the simulator's seed.
func (c cursor) sum(seed int64) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d|%d|%d|%d|%s|%s", seed, c.Snapshot, c.Since, c.Ingest, c.ID, c.Order)
	return strconv.FormatUint(h.Sum64(), 36)
}

func (c cursor) encode(seed int64) string {
	b := append(make([]byte, 0, 160), `{"s":`...)
	b = strconv.AppendInt(b, c.Snapshot, 10)
	b = append(b, `,"q":`...)
	b = strconv.AppendInt(b, c.Since, 10)
	b = append(b, `,"t":`...)
	b = strconv.AppendInt(b, c.Ingest, 10)
	b = append(b, `,"i":`...)
	b = jsonenc.AppendString(b, c.ID)
	b = append(b, `,"o":`...)
	b = jsonenc.AppendString(b, c.Order)
	b = append(b, `,"k":`...)
	b = jsonenc.AppendString(b, c.sum(seed))
	b = append(b, '}')
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeCursor parses a token produced by encode with the same seed. Any
// error wraps errInvalidCursor.
func decodeCursor(tok string, seed int64) (cursor, error) {
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return c, fmt.Errorf("%w: %w", errInvalidCursor, err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("%w: %w", errInvalidCursor, err)
	}
	if c.ID == "" || c.Sum != c.sum(seed) {
		return c, fmt.Errorf("%w: checksum mismatch", errInvalidCursor)
	}
	return c, nil
}
