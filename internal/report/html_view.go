package report

import (
	"fmt"
	"html/template"
	"sort"
	"strconv"
	"strings"
	"time"
)

// htmlView is the Document as the template reads it: times formatted,
// findings ordered by severity, each table preceded by the charts drawn
// from it. Building it is where a Document that cannot be drawn (a chart
// naming a missing table) is refused, before a byte is written.
type htmlView struct {
	*Document
	CSS      template.CSS
	Sections []htmlSection
	Topics   []htmlTopicRow
	// PageBanner is the reasons of the INCOMPLETE line printed in every
	// page's top margin, shortened to what two lines of it hold.
	PageBanner string
}

type htmlSection struct {
	Section
	Anchor   string
	Findings []Finding // critical first, then warning, then info
	Blocks   []htmlBlock
	Counts   []int // findings per severity: critical, warning, info
}

// htmlBlock is one table with the charts drawn from it above it.
type htmlBlock struct {
	Table  Table
	Charts []svgChart
	Num    []bool // columns whose every cell is a number, right-aligned
}

// htmlTopicRow is one partition of the archive's progress, with how far
// behind the topic's end it was.
type htmlTopicRow struct {
	Topic                 string
	Partition             int
	Archived, End, Behind int64
}

func newHTMLView(d *Document) (*htmlView, error) {
	v := &htmlView{Document: d, CSS: template.CSS(reportCSS)}
	for i, s := range d.Sections {
		hs, err := newHTMLSection(s, i)
		if err != nil {
			return nil, fmt.Errorf("section %q: %w", s.ID, err)
		}
		v.Sections = append(v.Sections, hs)
	}
	if !d.Complete {
		v.PageBanner = strings.Join(d.Incomplete, "; ")
		if r := []rune(v.PageBanner); len(r) > pageBannerMax {
			v.PageBanner = string(r[:pageBannerMax]) + "… (all reasons on the first page)"
		}
	}
	for _, t := range d.Coverage.Topics {
		for _, p := range t.Partitions {
			v.Topics = append(v.Topics, htmlTopicRow{
				Topic: t.Topic, Partition: p.Partition, Archived: p.Archived, End: p.End, Behind: p.End - p.Archived,
			})
		}
	}
	return v, nil
}

// pageBannerMax is how many runes of reasons fit in two lines of the
// printed page's top margin.
const pageBannerMax = 160

// numericColumns marks the columns whose cells are all numbers (and not
// all empty), so the page aligns them right, as figures are read.
func numericColumns(t Table) []bool {
	num := make([]bool, len(t.Columns))
	for c := range t.Columns {
		any := false
		num[c] = len(t.Rows) > 0
		for _, row := range t.Rows {
			if c >= len(row) {
				num[c] = false
				break
			}
			if _, err := cellNumber(row, c); err != nil {
				num[c] = false
				break
			}
			any = any || strings.TrimSpace(row[c]) != ""
		}
		num[c] = num[c] && any
	}
	return num
}

func newHTMLSection(s Section, i int) (htmlSection, error) {
	hs := htmlSection{Section: s, Anchor: "s" + strconv.Itoa(i+1) + "-" + s.ID, Counts: make([]int, 3)}
	hs.Findings = append([]Finding(nil), s.Findings...)
	sort.SliceStable(hs.Findings, func(a, b int) bool {
		return severityRank(hs.Findings[a].Severity) < severityRank(hs.Findings[b].Severity)
	})
	for _, f := range hs.Findings {
		hs.Counts[severityRank(f.Severity)]++
	}
	tables := make(map[string]int, len(s.Tables))
	for i, t := range s.Tables {
		tables[t.ID] = i
		hs.Blocks = append(hs.Blocks, htmlBlock{Table: t, Num: numericColumns(t)})
	}
	for _, c := range s.Charts {
		i, ok := tables[c.Table]
		if !ok {
			return htmlSection{}, fmt.Errorf("chart %q draws table %q, which the section lacks", c.ID, c.Table)
		}
		sc, err := layoutChart(c, s.Tables[i])
		if err != nil {
			return htmlSection{}, err
		}
		hs.Blocks[i].Charts = append(hs.Blocks[i].Charts, sc)
	}
	return hs, nil
}

// severityRank orders findings for a reviewer: critical first. An unknown
// severity is ranked with info rather than hidden.
func severityRank(s Severity) int {
	switch s {
	case Critical:
		return 0
	case Warning:
		return 1
	default:
		return 2
	}
}

// htmlFuncs are the template's helpers; none depends on the clock or the
// locale, so the same Document renders to the same bytes.
var htmlFuncs = template.FuncMap{
	"utc": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"utcp": func(t *time.Time) string {
		if t == nil {
			return "none"
		}
		return t.UTC().Format(time.RFC3339)
	},
	"day":     func(t time.Time) string { return t.UTC().Format("2006-01-02") },
	"lastDay": func(t time.Time) string { return t.UTC().Add(-time.Nanosecond).Format("2006-01-02") },
	"sevClass": func(s Severity) string {
		switch s {
		case Critical, Warning, Info:
			return "sev-" + string(s)
		default:
			return "sev-none"
		}
	},
	"add": func(a, b int) int { return a + b },
}
