// Package report builds the weekly reliability check and the monthly
// compliance audit from the archive (forward SINK=postgres), and writes them
// as a directory an auditor can keep: report.json, one CSV per table,
// report.html, and manifest.sha256 over all of them.
//
// A Document is the whole report as data: every renderer (JSON, CSV, HTML,
// PDF) reads the same Document, so what the pictures show is what the tables
// hold. A Document has no maps: its JSON is the same bytes for the same
// archive and the same generation time (--as-of).
package report

import "time"

// Kind names a report: "weekly" or "monthly".
type Kind string

// The kinds of report.
const (
	Weekly  Kind = "weekly"
	Monthly Kind = "monthly"
)

// Document is one report.
type Document struct {
	Kind        Kind      `json:"kind"`
	Title       string    `json:"title"`
	Workspace   string    `json:"workspace"`
	Period      Period    `json:"period"`
	GeneratedAt time.Time `json:"generatedAt"`
	Version     string    `json:"version"` // the product's version
	// Parameters are the command line and settings that made the report,
	// in a fixed order.
	Parameters []Field `json:"parameters"`
	// Complete is false when the completeness check failed and the report
	// was written anyway (--allow-incomplete); Incomplete says why, and
	// every page of the HTML says INCOMPLETE.
	Complete   bool      `json:"complete"`
	Incomplete []string  `json:"incomplete,omitempty"`
	Coverage   Coverage  `json:"coverage"`
	Sections   []Section `json:"sections"`
	// SignOff asks for a reviewer's name, decision, date and signature at
	// the end of the HTML (the monthly audit); `report attest` records it.
	SignOff bool `json:"signOff"`
}

// Field is one named value, in the order it is shown.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Coverage is what the report can prove it covers: extract's runs and
// watermark for the period, and how far the archive consumed the topics.
//
// What report.json holds of it depends only on the run history up to the
// run that closed the period and on the archive, so a rerun gives the same
// bytes while extract and forward keep running. What the check saw live
// (the checkpoint now, the topics' end offsets now) is not in the JSON:
// report logs it, and report.html shows the topics.
type Coverage struct {
	// Watermark is the watermark the run that closed the period left, and
	// CompleteBefore that run's start, before which every event ingested
	// is in the topic (the live values while no run closed the period).
	Watermark      *time.Time `json:"watermark,omitempty"`
	CompleteBefore *time.Time `json:"completeBefore,omitempty"`
	Runs           []Run      `json:"runs"`        // extract runs that covered the period, the closing one last
	Events         int64      `json:"events"`      // archived events in the period
	Alerts         int64      `json:"alerts"`      // archived alerts in the period
	DeadLetters    int64      `json:"deadLetters"` // dead letters counted in the period

	// Live state at the check, which changes from one run to the next.
	LiveWatermark      *time.Time      `json:"-"` // extract's live watermark
	LiveCompleteBefore *time.Time      `json:"-"` // checkpoint.Store.CompleteBefore now
	Topics             []TopicProgress `json:"-"` // archive consumption per topic, against the ends now
}

// Run is one extract run, as in its run history.
type Run struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Started  time.Time  `json:"started"`
	Finished *time.Time `json:"finished,omitempty"`
	Status   string     `json:"status"`
	Events   int64      `json:"events"`
}

// TopicProgress is how far the archive consumed one topic: per partition,
// the next offset it holds everything before, against the topic's end.
type TopicProgress struct {
	Topic      string              `json:"topic"`
	Group      string              `json:"group"` // the consumer group that archives it
	Partitions []PartitionProgress `json:"partitions"`
}

// PartitionProgress is one partition of TopicProgress.
type PartitionProgress struct {
	Partition int   `json:"partition"`
	Archived  int64 `json:"archived"` // next offset not yet archived
	End       int64 `json:"end"`      // the topic's end offset when checked
}

// Severity of a finding, as in the seed's weekly check.
type Severity string

// The severities, mildest first.
const (
	Info     Severity = "info"
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Section is one part of a report: its key figures, its findings, its
// tables, and charts drawn from those tables.
type Section struct {
	ID    string `json:"id"` // stable, lower-case, used in file names
	Title string `json:"title"`
	// Summary is one or two sentences saying what the section found.
	Summary string `json:"summary,omitempty"`
	// Records is how many archived records the section counted, stated so
	// a reader can check it against the topic.
	Records  int64     `json:"records"`
	Figures  []Figure  `json:"figures,omitempty"`
	Findings []Finding `json:"findings,omitempty"`
	Tables   []Table   `json:"tables,omitempty"`
	Charts   []Chart   `json:"charts,omitempty"`
	// Pending is set, with a sentence, for a section whose source does not
	// exist yet (the inventory before it is built): its place is kept.
	Pending string `json:"pending,omitempty"`
}

// Figure is one key number, with its target where it has one.
type Figure struct {
	Name   string   `json:"name"`
	Value  string   `json:"value"`
	Target string   `json:"target,omitempty"` // e.g. "< 5 %"
	Status Severity `json:"status,omitempty"` // set when judged against the target
}

// Finding is one thing a reviewer must look at.
type Finding struct {
	Severity Severity `json:"severity"`
	Title    string   `json:"title"`
	Detail   string   `json:"detail,omitempty"`
}

// Table is rows of text: the CSV file ID.csv and a table in the HTML.
// Cells are already formatted (times RFC 3339 UTC, counts in decimal).
type Table struct {
	ID      string     `json:"id"` // unique in the Document; the CSV's name
	Title   string     `json:"title"`
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
}

// ChartKind is how a chart is drawn.
type ChartKind string

// The kinds of chart.
const (
	Bars ChartKind = "bar"  // one bar per row
	Line ChartKind = "line" // rows in order along x (days, hours)
)

// Chart draws columns of one of the section's tables: Label is the column
// of the x labels, Values the numeric columns drawn (one series each).
type Chart struct {
	ID     string    `json:"id"`
	Title  string    `json:"title"`
	Kind   ChartKind `json:"kind"`
	Table  string    `json:"table"` // Table.ID in the same section
	Label  int       `json:"label"`
	Values []int     `json:"values"`
}
