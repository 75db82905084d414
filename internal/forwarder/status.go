package forwarder

import (
	"sync/atomic"
	"time"
)

// Status is what the forwarders of a process report on /healthz: whether
// delivery is moving. It is safe for concurrent use; a nil *Status records
// nothing. Unlike metrics it needs no Prometheus to read: an operator's
// curl tells whether the sink is being retried and since when records last
// got through.
type Status struct {
	lastCommit atomic.Int64 // unix nanoseconds of the last committed batch
	committed  atomic.Int64 // records committed (delivered or dead-lettered)
	retrying   atomic.Int64 // batches waiting to be sent again
	fresh      atomic.Pointer[Freshness]
}

// Freshness is how old the events of the last batch the sink confirmed
// were, at confirmation.
type Freshness struct {
	ConfirmedAt  time.Time `json:"confirmed_at"`
	Records      int       `json:"records"` // events counted (alerts have no ingestion time)
	IngestionAge AgeRange  `json:"ingestion_age_seconds"`
	EventAge     AgeRange  `json:"event_age_seconds"` // zero when no event had an eventTimestamp
}

// StatusReport is a Status at one moment, as /healthz shows it.
type StatusReport struct {
	LastCommit       *time.Time `json:"last_commit"` // nil until the first commit
	RecordsCommitted int64      `json:"records_committed"`
	RetryingBatches  int64      `json:"retrying_batches"` // > 0: the sink answers retry or is down
	// Freshness is that of the last confirmed batch of events; nil until one.
	Freshness *Freshness `json:"freshness"`
}

// Report returns the current status.
func (s *Status) Report() StatusReport {
	if s == nil {
		return StatusReport{}
	}
	r := StatusReport{RecordsCommitted: s.committed.Load(), RetryingBatches: s.retrying.Load(), Freshness: s.fresh.Load()}
	if ns := s.lastCommit.Load(); ns != 0 {
		t := time.Unix(0, ns).UTC()
		r.LastCommit = &t
	}
	return r
}

func (s *Status) commit(records int) {
	if s != nil {
		s.committed.Add(int64(records))
		s.lastCommit.Store(time.Now().UnixNano())
	}
}

func (s *Status) retry(delta int64) {
	if s != nil {
		s.retrying.Add(delta)
	}
}

func (s *Status) confirmed(f Freshness) {
	if s != nil {
		s.fresh.Store(&f)
	}
}
