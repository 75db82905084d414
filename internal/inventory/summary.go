package inventory

import "time"

// Summary is a snapshot's figures, the inventory KPIs (stored with the
// snapshot; read by the KPIs and the weekly report through
// Store.LatestSummary).
type Summary struct {
	SnapshotID                          int64
	TakenAt                             time.Time
	Applications, Blocks, Metrics       int
	AvgDimensions                       *float64 /* nil = not available */
	LargeApplications, NamingViolations int
}

// summarize computes s's figures; the counts of large applications and
// naming violations are those of findings (exemptions applied).
func summarize(s *Snapshot, findings []Finding) Summary {
	sum := Summary{SnapshotID: s.ID, TakenAt: s.TakenAt, Applications: len(s.Applications)}
	dims, known := 0, 0
	for _, a := range s.Applications {
		sum.Blocks += len(a.Blocks)
		for _, b := range a.Blocks {
			if b.Type != typeMetric {
				continue
			}
			sum.Metrics++
			if b.HasDimensions {
				dims += len(b.Dimensions)
				known++
			}
		}
	}
	// The average of the metrics whose dimensions are known; none known:
	// not available, never 0.
	if known > 0 {
		avg := float64(dims) / float64(known)
		sum.AvgDimensions = &avg
	}
	for _, f := range findings {
		switch f.Rule {
		case RuleLargeApplication:
			sum.LargeApplications++
		case RuleNaming:
			sum.NamingViolations++
		}
	}
	return sum
}
