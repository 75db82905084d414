package inventory

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pigment-siem/pipeline/internal/pigment"
)

// TestCase is an inline test of the policy: a workspace (and, for drift,
// the one before it) and the findings it must give, exactly.
type TestCase struct {
	Name      string            `yaml:"name"`
	Previous  []TestApplication `yaml:"previous"`
	Workspace []TestApplication `yaml:"workspace"`
	// Exempt adds exemptions to the policy's for this case.
	Exempt []Exemption `yaml:"exempt"`
	Expect []Expected  `yaml:"expect"`
}

// TestApplication is an application of a test workspace. Generate adds
// that many blocks of one type, named Block_1.. (for sizes).
type TestApplication struct {
	ID       string      `yaml:"id"`
	Name     string      `yaml:"name"`
	Blocks   []TestBlock `yaml:"blocks"`
	Generate struct {
		Count int    `yaml:"count"`
		Type  string `yaml:"type"`
	} `yaml:"generate"`
}

// TestBlock is a block of a test workspace. Without dimensions its
// dimensions are not available; Imports names its import configurations.
type TestBlock struct {
	ID         string    `yaml:"id"`
	Name       string    `yaml:"name"`
	Type       string    `yaml:"type"`
	Dimensions *[]string `yaml:"dimensions"`
	Imports    []string  `yaml:"imports"`
}

// Expected is a finding a test expects.
type Expected struct {
	Rule string `yaml:"rule"`
	Key  string `yaml:"key"`
}

func (x Expected) String() string { return x.Rule + " " + x.Key }

// TestResult is the outcome of one test case. Diff lists the expected
// findings not found ("- ") and those found but not expected ("+ ").
type TestResult struct {
	Name string
	Pass bool
	Diff string
}

// RunTests runs every inline test case of p.
func (p *Policy) RunTests() []TestResult {
	out := make([]TestResult, 0, len(p.Tests))
	for _, tc := range p.Tests {
		var prev *Snapshot
		if tc.Previous != nil {
			prev = testSnapshot(tc.Previous)
		}
		cur := testSnapshot(tc.Workspace)
		got := p.Evaluate(cur, Compare(prev, cur), tc.Exempt)
		d := diffFindings(tc.Expect, got)
		out = append(out, TestResult{Name: tc.Name, Pass: d == "", Diff: d})
	}
	return out
}

// testSnapshot builds the snapshot of a test workspace.
func testSnapshot(apps []TestApplication) *Snapshot {
	s := &Snapshot{TakenAt: time.Unix(0, 0).UTC()}
	for _, ta := range apps {
		a := Application{Application: pigment.Application{ID: ta.ID, Name: ta.Name}}
		for _, tb := range ta.Blocks {
			b := Block{Block: pigment.Block{ID: tb.ID, Name: tb.Name, Type: tb.Type}}
			if tb.Dimensions != nil {
				b.Dimensions, b.HasDimensions = *tb.Dimensions, true
			}
			for i, name := range tb.Imports {
				b.Imports = append(b.Imports, pigment.ImportConfiguration{ID: fmt.Sprintf("%s-import-%d", tb.ID, i+1), Name: name})
			}
			a.Blocks = append(a.Blocks, b)
		}
		for i := range ta.Generate.Count {
			a.Blocks = append(a.Blocks, Block{Block: pigment.Block{ID: fmt.Sprintf("gen-%d", i+1), Name: fmt.Sprintf("Block_%d", i+1), Type: ta.Generate.Type}})
		}
		s.Applications = append(s.Applications, a)
	}
	return s
}

// diffFindings compares the expected findings with those found.
func diffFindings(want []Expected, got []Finding) string {
	var lines []string
	found := map[Expected]bool{}
	for _, f := range got {
		found[Expected{f.Rule, f.Key}] = true
	}
	wanted := map[Expected]bool{}
	for _, w := range want {
		wanted[w] = true
		if !found[w] {
			lines = append(lines, "- "+w.String())
		}
	}
	for f := range found {
		if !wanted[f] {
			lines = append(lines, "+ "+f.String())
		}
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}
