// Package detect runs streaming detection rules over Pigment audit events
// and produces alerts. It is pure: events in, alerts out; no Kafka, no
// Postgres, no clock (time comes from the events and from the watermark the
// caller passes to Advance).
//
// # Use
//
//	rs, err := detect.LoadRules(detect.DefaultRules()) // or a team's rules.yaml
//	e, err := detect.NewEngine(rs)
//	for each record: ev, _ := event.Parse(raw, event.KindEvent)
//	    alerts := e.Process(&ev)                          // decided at once
//	    alerts = append(alerts, e.Advance(watermark)...)  // decided when the watermark passes
//	state, _ := e.MarshalState() // save with the consumed offsets, in one transaction
//
// # Rules
//
// The default rules (rules.yaml, embedded; its header documents every
// field) are: off-hours, unusual-location, bulk-deletion, activity-spike,
// privilege-escalation, security-config, sensitive-access, broad-access,
// failed-logins, high-churn, inactive-members, deactivated-activity and
// export-burst. Each names a detector, its event types (open strings:
// unknown types only feed rules whose types match them, like the spike
// rule's "*"), severity, window, suppression, thresholds, MITRE technique,
// runbook and inline tests, which RunTests (and `detect test`) runs.
//
// # Time
//
// Everything is in event time. The watermark passed to Advance is the time
// before which every event is in (detect: extract's completeBefore minus
// the lateness); Advance decides what it has passed.
//
// The counting rules (threshold: bulk-deletion, export-burst, high-churn;
// distinct: broad-access; failed-logins) slide: "more than N in an hour"
// means any hour, to within a step of a twelfth of the window (5 minutes
// for 1h, 2 hours for 24h; steps are aligned on the Unix epoch). Every
// window of twelve consecutive steps is judged: more than N events within
// 55 minutes always alert, and an alert always counts more than N within
// one window of twelve steps (60 minutes). Process only counts an event in
// its step; a window is decided once the watermark passes its last step,
// windows of one key in order, so every window is judged on counts no
// later event can change (slide.go). A window over the threshold after one
// that was not alerts; while windows stay over, the run alerts again only
// in a step that feeds it, at least one suppression period after its last
// alert: a burst is one alert, a spree one per suppression period. An
// alert thus comes at most one step plus the lateness after its crossing,
// and usually at once: when the watermark is already inside the
// suppression period and the last window it passed was not over, a count
// (or set of applications, which only grow) crossing in that period can
// only begin a run of that period, so Process raises its alert with the
// period's ID (atOnce) and the watermark's decision is suppressed. A share
// of failed logins may still fall, so failed-logins always wait.
//
// The spike rule's windows are tumbling (its baseline is a mean of past
// windows), aligned on their size since the Unix epoch, or for whole days
// on local midnight in the rule's time zone (a DST day lasts 23 or 25
// hours), and decided when the watermark passes their end. The rules
// judging by the member's history (known) decide whether a use is new once
// the watermark passes it, and broad-access then counts the application in
// the step of that use (novelty.go). Inactive members
// are reported from Advance once the watermark passes last login +
// inactivity. Activity after deactivation is judged from Advance once the
// watermark passes the end of the activity's minute, against the member's
// status history in event time (deactivated from, reactivated from), so a
// reactivation arriving before the deactivation it ends, or activity before
// the deactivation, decides the same as in event order. The member
// deactivated is the event's target (event.Event.Target*, by
// actor.Target), matched on the actor's id or email. An event whose step or window (for rules deciding on one
// event: whose suppression period) is already passed is late: it is
// counted in Stats.Late and reopens nothing. An event with
// no time, or one before 1700 or from 2200 on, is counted in Stats.Untimed;
// one dated more than RuleSet.MaxFuture after the caller's bound (SetBound:
// detect passes the record's Kafka timestamp) in Stats.Future; neither
// enters a window, so state stays bounded whatever the timestamps.
//
// # Alert IDs, suppression, replay
//
// One alert per rule and key per suppression period (a multiple of the
// window, aligned like tumbling windows). An alert's ID is
// uuid.NewSHA1(Namespace, rule+"|"+key+"|"+periodStart) with periodStart in
// RFC 3339 UTC: for a counting rule, the period holding the step in which
// its count crossed (on final counts: whatever the arrival order within
// the lateness, the same step, hence the same ID; the count and evidence
// are those seen when decided); for the spike rule, the period holding its window; for rules
// deciding on one event, the period holding it. Event IDs are remembered (a 64-bit hash per event, in
// a compact open-addressing set per hour of event time, kept for the
// longest window plus two hours) so a replayed event is not counted twice
// (Stats.Duplicates). Two distinct IDs of one hour share a hash with
// probability about n^2/2^65 for n events in that hour (below 3e-8 for a
// million events an hour); such a false positive can only make one event
// count as a duplicate, lowering one count by one. Tests show that the
// simulator's stream in ingestion order, shuffled within the lateness, or
// processed twice, gives the same alert IDs, that bursts of every counting
// rule across a clock boundary do oldest first, newest first and shuffled,
// and that the deactivation rule does oldest first, newest first and newest
// first per poll window. Counts and evidence of an alert decided at once
// (one-event rules) reflect the events seen when it was decided. Location
// history is kept in processing order: reordering an actor's logins across a
// suppression period boundary may change which period alerts.
//
// # Alert JSON
//
//	{"id":"<uuid>","rule":"bulk-deletion","severity":"high","title":"Bulk deletion",
//	 "description":"11 events of BlockDeleted/... by ana@acme.example between ... and ..., more than 10",
//	 "actor":"<member id>","actorEmail":"ana@acme.example","application":"<app id>",
//	 "window":{"start":"2025-06-10T10:00:00Z","end":"2025-06-10T11:00:00Z"},
//	 "firstEventTime":"2025-06-10T10:00:00Z","lastEventTime":"2025-06-10T10:10:00Z",
//	 "count":11,"evidence":["<eventId>",...],"mitre":"T1485","runbook":"Check with ..."}
//
// actor, actorEmail, application, mitre and runbook are omitted when empty;
// evidence holds at most RuleSet.EvidenceCap (20) event IDs. An alert cut by
// Alert.MarshalFit to fit a record carries "truncated":true (absent
// otherwise).
//
// # State and memory
//
// MarshalState encodes the whole state (encoding/gob, versioned, sorted);
// UnmarshalState restores it; a test shows that stopping mid-stream and
// resuming from the saved state gives the same alerts as an uninterrupted
// run. State is bounded: windows and suppression records are dropped when
// the watermark passes their end; counting steps once they leave the last
// window decided (slides left empty are dropped hourly); event IDs after
// the longest window; the deactivation rule's held activity once judged
// (two events at most per actor and minute while held) and status changes
// older than the longest window plus the lateness (the last of them kept if
// a deactivation; 16 per member at most); spike baselines
// when they decay below 0.01; actors with history are capped at MaxActors.
// Memory is about
//
//	620 B x actors with login history (5 countries, 10 networks of 24 B, last login)
//	+ ~300 B x counting keys active within the last window (rule x scope x key)
//	  + ~120 B x step holding events (at most 12 in the window, plus those
//	  not yet passed by the watermark: the lateness, or events dated ahead)
//	  + ~40 B per evidence ID (at most evidenceCap per step)
//	  + broad-access: 16 B per application per step (at most threshold+1)
//	+ ~300 B x open spike windows
//	+ 8 to 16 B x events within the longest window (24h by default) for replay detection
//	+ ~100 B x events held (steady state: those within the lateness) + ~80 B x suppression records
//	+ ~100 B x status changes kept (members deactivated or reactivated)
//	+ ~300 B x actors and applications active within the last hour (a per-key cache)
//	+ at most 4096 closed windows kept for reuse (~1.5 MB)
//	+ per member and rule with a known period, up to 64 items of ~60 B (novelty.go)
//
// Measured with 100,000 distinct actors (TestStateMemory): 245 MB (2.5 KB per
// actor) while their windows are open, 56 MB (590 B per actor) after; the
// saved state is 9 MB.
//
// # Speed
//
// Process looks an event's actor and application up once (a per-key cache
// holds their current windows and slides, history and held activity), checks
// replays in the hour's hash set, and, for an event that raises nothing,
// rarely allocates: steps and windows keep evidence IDs in a byte arena and
// are recycled. Advance decides only the slides that may be over their
// threshold (their steps together hold more than it); the others wait for
// an event, or the hourly sweep that drops them. BenchmarkEngine reports events/s, events per CPU-second (run
// with -cpu 1 for the per-core figure), allocations per event and the alert
// rate.
//
// An Engine is not safe for concurrent use.
package detect
