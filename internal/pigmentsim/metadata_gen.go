package pigmentsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The metadata workspace: the structure the Metadata API serves, generated
// from the seed. Its first applications are the event workspace's (same
// IDs, names and blocks, so events and structure agree), completed to at
// least minMetadataApps with blocks of every type: names that follow the
// description's conventions (Metric ^[A-Z][a-z]+(_[A-Z][a-z]+)*$,
// DimensionList ^[A-Z][a-z]+$) and some that do not, metrics with 1 to 12
// dimensions, a few applications over 200 blocks, import configurations
// and views.

// minMetadataApps is the least number of applications the Metadata API
// serves, whatever Config.Applications is.
const minMetadataApps = 50

// Sizes of the generated applications.
const (
	largeEvery    = 16  // every 16th application (from the 6th) is large
	largeMin      = 201 // a large application has 201 to 320 blocks
	largeSpread   = 120
	growingStart  = 196 // the growing application's blocks at the start
	ordinaryMin   = 8   // other applications have 8 to 47 blocks
	ordinarySpred = 40
)

var (
	metricWords = []string{
		"Revenue", "Cost", "Margin", "Headcount", "Salary", "Bookings", "Churn", "Plan", "Forecast",
		"Actuals", "Budget", "Pipeline", "Quota", "Capacity", "Growth", "Billing", "Spend", "Target",
		"Variance", "Attrition", "Hiring", "Pricing", "Discount", "Volume", "Backlog", "Inventory",
	}
	dimensionWords = []string{
		"Month", "Product", "Region", "Employee", "Country", "Scenario", "Version", "Currency",
		"Channel", "Segment", "Account", "Entity", "Department", "Customer", "Supplier", "Warehouse",
		"Store", "Brand", "Quarter", "Team",
	}
	transactionWords = []string{"Deals", "Invoices", "Orders", "Hires", "Payments", "Shipments", "Tickets", "Contracts"}
	tableWords       = []string{"Summary", "Board", "Bridge", "Review", "Overview", "Tracker"}
	// badMetricNames and badDimensionNames break the conventions.
	badMetricNames    = []string{"revenue_forecast", "RevenueForecast", "Gross Margin %", "FTE_Plan", "Opex_2025", "tmp_calc", "Cost-Per-Hire"}
	badDimensionNames = []string{"Cost_Center", "sales region", "SKU", "Product_Line", "countries", "Legal Entity"}
	importConfigNames = []string{"Workday sync", "Salesforce — Opportunities", "NetSuite GL", "CSV upload", "Snowflake: fct_orders", "SAP S/4 extract"}
	viewNames         = []string{"Default view", "By region", "Board pack", "Mon tableau", "Variance check", "予算ビュー"}
	viewTypes         = []string{"Public", "Public", "Personal"}
)

// metaApp is one application of the metadata workspace.
type metaApp struct {
	id, name            string
	createdAt, modified int64 // Unix nanoseconds
	blocks              []metaBlock
}

// metaBlock is one block with its import configurations and views.
type metaBlock struct {
	id, name, typ string
	dimensions    []string
	imports       []metaItem // no type
	views         []metaItem
}

// metaItem is an import configuration or a view.
type metaItem struct{ id, name, typ string }

// blockGen draws blocks for one application; names are unique in it.
type blockGen struct {
	rng  *rand.Rand
	ns   uuid.UUID
	app  int
	used map[string]bool
}

// newMetaApps builds the metadata workspace's applications at the start.
func newMetaApps(seed int64, ws *workspace, start time.Time) []metaApp {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x6d657461)) // "meta"
	ns := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "pigmentsim/%d", seed))
	n := max(minMetadataApps, len(ws.apps))
	apps := make([]metaApp, n)
	for i := range apps {
		a := &apps[i]
		g := blockGen{rng: rng, ns: ns, app: i, used: map[string]bool{}}
		if i < len(ws.apps) {
			e := &ws.apps[i]
			a.id, a.name, a.createdAt, a.modified = e.id, e.name, e.createdAt.UnixNano(), e.modified.UnixNano()
			for _, b := range e.blocks {
				if g.used[b.name] {
					continue // the event workspace draws names with repeats
				}
				g.used[b.name] = true
				a.blocks = append(a.blocks, g.extras(metaBlock{id: b.id, name: b.name, typ: b.typ, dimensions: b.dimensions}))
			}
		} else {
			a.id = uuid.NewSHA1(ns, fmt.Appendf(nil, "app/%d", i)).String()
			a.name = fmt.Sprintf("%s %d", appNames[i%len(appNames)], i/len(appNames)+1)
			a.createdAt = start.Add(-time.Duration(300+rng.IntN(700)) * 24 * time.Hour).Truncate(time.Second).UnixNano()
			a.modified = start.Add(-time.Duration(rng.IntN(60*24*3600)) * time.Second).Truncate(time.Second).UnixNano()
		}
		size := ordinaryMin + rng.IntN(ordinarySpred)
		switch {
		case i == n-1:
			size = growingStart
		case i%largeEvery == 5:
			size = largeMin + rng.IntN(largeSpread)
		}
		// Keys of their own: the event workspace's blocks kept above are
		// "block/i/j" of their index there, which repeats left gaps in.
		for j := len(a.blocks); j < size; j++ {
			a.blocks = append(a.blocks, g.block(fmt.Sprintf("block/%d/meta/%d", i, j)))
		}
	}
	return apps
}

// block draws a new block of any type, named with key's ID.
func (g *blockGen) block(key string) metaBlock {
	b := metaBlock{id: uuid.NewSHA1(g.ns, []byte(key)).String()}
	switch r := g.rng.IntN(10); {
	case r < 5:
		b.typ = "Metric"
	case r < 7:
		b.typ = "DimensionList"
	case r < 8:
		b.typ = "TransactionList"
	default:
		b.typ = "Table"
	}
	b.name = g.name(b.typ)
	switch b.typ {
	case "Metric":
		b.dimensions = g.dimensions()
	case "Table":
		b.dimensions = g.pick(dimensionWords, 1+g.rng.IntN(3))
	}
	return g.extras(b)
}

// metric draws a new Metric with a conforming name and 1 to 8 dimensions:
// the blocks a growing application gains.
func (g *blockGen) metric(key string) metaBlock {
	b := metaBlock{id: uuid.NewSHA1(g.ns, []byte(key)).String(), typ: "Metric"}
	b.name = g.unique(func() string { return g.words(metricWords, 2+g.rng.IntN(2)) })
	b.dimensions = g.pick(dimensionWords, 1+g.rng.IntN(8))
	return b
}

// name draws a name unique in the application; about one in ten Metric and
// DimensionList names breaks the convention.
func (g *blockGen) name(typ string) string {
	bad := g.rng.IntN(10) == 0
	return g.unique(func() string {
		switch {
		case typ == "Metric" && bad:
			return badMetricNames[g.rng.IntN(len(badMetricNames))]
		case typ == "Metric":
			return g.words(metricWords, 1+g.rng.IntN(3))
		case typ == "DimensionList" && bad:
			return badDimensionNames[g.rng.IntN(len(badDimensionNames))]
		case typ == "DimensionList":
			return dimensionWords[g.rng.IntN(len(dimensionWords))]
		case typ == "TransactionList":
			return transactionWords[g.rng.IntN(len(transactionWords))]
		}
		return g.words(metricWords, 1) + "_" + tableWords[g.rng.IntN(len(tableWords))]
	})
}

// unique draws names until one is new in the application, then lengthens
// a conforming one if the draws keep colliding.
func (g *blockGen) unique(draw func() string) string {
	name := draw()
	for try := 0; g.used[name]; try++ {
		if try < 8 {
			name = draw()
			continue
		}
		name += "_" + metricWords[g.rng.IntN(len(metricWords))]
	}
	g.used[name] = true
	return name
}

// words joins n distinct words of list with '_'.
func (g *blockGen) words(list []string, n int) string {
	return strings.Join(g.pick(list, n), "_")
}

// pick returns n distinct words of list.
func (g *blockGen) pick(list []string, n int) []string {
	out := make([]string, 0, n)
	for _, i := range g.rng.Perm(len(list))[:n] {
		out = append(out, list[i])
	}
	return out
}

// dimensions draws a Metric's dimensions: mostly 1 to 7, one in twenty 9 to
// 12 (over-dimensioned).
func (g *blockGen) dimensions() []string {
	n := 1 + g.rng.IntN(7)
	if g.rng.IntN(20) == 0 {
		n = 9 + g.rng.IntN(4)
	}
	return g.pick(dimensionWords, n)
}

// extras draws b's import configurations (lists mostly have some, a few
// metrics) and views (metrics and tables).
func (g *blockGen) extras(b metaBlock) metaBlock {
	nImports := 0
	switch b.typ {
	case "DimensionList", "TransactionList":
		nImports = []int{0, 1, 1, 1, 2}[g.rng.IntN(5)]
	case "Metric":
		if g.rng.IntN(10) == 0 {
			nImports = 1
		}
	}
	for k := range nImports {
		b.imports = append(b.imports, metaItem{
			id:   uuid.NewSHA1(g.ns, fmt.Appendf(nil, "import/%s/%d", b.id, k)).String(),
			name: importConfigNames[g.rng.IntN(len(importConfigNames))],
		})
	}
	if b.typ == "Metric" || b.typ == "Table" {
		for k := range g.rng.IntN(4) {
			b.views = append(b.views, metaItem{
				id:   uuid.NewSHA1(g.ns, fmt.Appendf(nil, "view/%s/%d", b.id, k)).String(),
				name: viewNames[g.rng.IntN(len(viewNames))],
				typ:  viewTypes[g.rng.IntN(len(viewTypes))],
			})
		}
	}
	return b
}
