package detect

import (
	"time"

	"github.com/google/uuid"
)

// Alert is what detect writes to the alerts topic, as JSON (see the
// package documentation for an example).
type Alert struct {
	// ID is uuid.NewSHA1(Namespace, rule+"|"+key+"|"+periodStart), with
	// periodStart in RFC 3339 UTC: the start of the suppression period
	// holding the step in which a counting rule's count crossed its
	// threshold, the spike rule's window, or a one-event rule's event. A
	// replay, a restart or another arrival order within the lateness
	// produces the same ID.
	ID          string `json:"id"`
	Rule        string `json:"rule"`
	Severity    string `json:"severity"` // low|medium|high|critical
	Title       string `json:"title"`
	Description string `json:"description"`
	Actor       string `json:"actor,omitempty"` // member id
	ActorEmail  string `json:"actorEmail,omitempty"`
	Application string `json:"application,omitempty"` // application id (else name)
	// Window is the counting window (for sliding rules, the first window
	// over the threshold, or the one that alerted again), or for rules
	// deciding on one event the suppression period holding it.
	Window         Window    `json:"window"`
	FirstEventTime time.Time `json:"firstEventTime"`
	LastEventTime  time.Time `json:"lastEventTime"`
	Count          int       `json:"count"`
	Evidence       []string  `json:"evidence"` // event IDs, at most RuleSet.EvidenceCap
	Mitre          string    `json:"mitre,omitempty"`
	Runbook        string    `json:"runbook,omitempty"`
	// Truncated says MarshalFit cut the alert to fit a record: long texts
	// end with "…" and the evidence lost its last IDs (Count is whole).
	Truncated bool `json:"truncated,omitempty"`

	// KPI, Value, Target and Status are set by the inventory's KPI alerts
	// (internal/kpi: rules kpi-target, daily-changes, security-events,
	// kpi-daily) so that a SIEM reads the KPI as fields rather than from
	// the text; absent from detect's alerts. Value and Target are absent
	// when not available (shares are fractions); Status is kpi.Status.
	KPI    string   `json:"kpi,omitempty"`
	Value  *float64 `json:"value,omitempty"`
	Target *float64 `json:"target,omitempty"`
	Status string   `json:"status,omitempty"`

	// Key is what the rule counted by ("actor:<id>", "application:<id>",
	// "workspace", ...): part of ID, used by rule tests, not serialised.
	Key string `json:"-"`
}

// Window is a half-open event-time interval [Start, End).
type Window struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Namespace is the UUID namespace of alert IDs. It never changes: changing
// it would give every replayed alert a new ID.
var Namespace = uuid.MustParse("6f1c3d2a-8b7e-5c4d-9a0f-3e2b1c4d5e6f")

// alertID returns the deterministic ID of an alert.
func alertID(ruleID, key string, periodStart int64) string {
	ts := time.Unix(0, periodStart).UTC().Format(time.RFC3339)
	return uuid.NewSHA1(Namespace, []byte(ruleID+"|"+key+"|"+ts)).String()
}

// newAlert fills the parts of an alert every detector shares.
func newAlert(r *rule, key string, period, win [2]int64, first, last int64) Alert {
	return Alert{
		ID:             alertID(r.ID, key, period[0]),
		Rule:           r.ID,
		Severity:       r.Severity,
		Title:          r.Title,
		Window:         Window{Start: utc(win[0]), End: utc(win[1])},
		FirstEventTime: utc(first),
		LastEventTime:  utc(last),
		Mitre:          r.Mitre,
		Runbook:        r.Runbook,
		Key:            key,
	}
}

func utc(ns int64) time.Time { return time.Unix(0, ns).UTC() }
