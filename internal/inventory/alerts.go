package inventory

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/pigment-siem/pipeline/internal/detect"
)

// alertReserve is kept free below KAFKA_MAX_MESSAGE_BYTES for the key and
// headers of a finding's record.
const alertReserve = 1024

// alertID is the deterministic ID of a finding's alert: a name-based UUID
// (detect's namespace) of its rule, key and the start of its episode (the
// snapshot that opened it; for drift, the snapshot that saw the change).
func alertID(rule, key string, episode time.Time) string {
	return uuid.NewSHA1(detect.Namespace, []byte(rule+"|"+key+"|"+episode.UTC().Format(time.RFC3339Nano))).String()
}

// decide compares the findings with those open before: a state finding
// not open, or open at another severity, opens an episode and is alerted;
// one open and still found keeps its episode and is not; one open and no
// longer found closes. Drift is alerted with the snapshot that saw it.
func decide(snap *Snapshot, findings []Finding, open map[string]OpenFinding, maxBytes int) (Decision, error) {
	d := Decision{Findings: findings, AlertIDs: map[string]string{}}
	found := map[string]bool{}
	for _, f := range findings {
		k := f.Rule + "|" + f.Key
		found[k] = true
		if o, ok := open[k]; ok && o.Severity == f.Severity && !f.transient() {
			d.AlertIDs[k] = o.AlertID
			continue
		}
		episode := snap.TakenAt
		d.AlertIDs[k] = alertID(f.Rule, f.Key, episode)
		if !f.transient() {
			d.Opened = append(d.Opened, f)
		}
		q, err := queue(f, d.AlertIDs[k], episode, snap.TakenAt, maxBytes)
		if err != nil {
			return d, err
		}
		d.Alerts = append(d.Alerts, q)
	}
	for k, o := range open {
		if !found[k] {
			d.Closed = append(d.Closed, Finding{Rule: o.Rule, Key: o.Key, Severity: o.Severity})
		}
	}
	return d, nil
}

// queue renders f's alert in detect's format (detect.Alert): its window is
// the episode's start to the snapshot, its count the finding's figure, its
// evidence the ids of what was found. An alert over the record limit is
// cut to fit (detect.Alert.MarshalFit).
func queue(f Finding, id string, episode, at time.Time, maxBytes int) (Queued, error) {
	a := detect.Alert{ID: id, Rule: f.Rule, Severity: f.Severity, Title: f.Title, Description: f.Description,
		Application: f.Application, Window: detect.Window{Start: episode.UTC(), End: at.UTC()},
		FirstEventTime: episode.UTC(), LastEventTime: at.UTC(), Count: f.Count, Evidence: f.Evidence,
		Runbook: runbooks[f.Rule]}
	b, _, err := a.MarshalFit(max(maxBytes-alertReserve, 4096))
	if err != nil {
		return Queued{}, fmt.Errorf("alert %s %s: %w", f.Rule, f.Key, err)
	}
	return Queued{ID: id, Rule: f.Rule, Severity: f.Severity, RecordKey: f.Key, Payload: b}, nil
}

// runbooks are the first steps for each finding.
var runbooks = map[string]string{
	RuleNaming:           "Rename the block to the convention of its type, or exempt it in the inventory policy.",
	RuleComplexMetric:    "Review the metric's dimensions with its owner: split it or aggregate dimensions it does not need.",
	RuleLargeApplication: "Review the application with its owner: archive unused blocks or split it by domain.",
	RuleDrift:            "Check the import configurations that used the block: they fail or write elsewhere until repointed.",
}
