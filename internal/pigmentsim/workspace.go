package pigmentsim

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pigment-siem/pipeline/internal/jsonenc"
)

// member is one simulated workspace member. The quoted fields hold JSON string
// literals (quotes included, already escaped) so that rendering never escapes.
type member struct {
	id, name, email, accountType string
	country                      int // index into countries: the member's usual country
	ip                           string
	qID, qName, qEmail, qIP      []byte
}

// application is one simulated Pigment application and its blocks.
type application struct {
	id, name            string
	createdAt, modified time.Time
	blocks              []block
	qID, qName          []byte
}

// block is one block (list, metric, table) of an application.
type block struct {
	id, name, typ string
	dimensions    []string
	qID, qName    []byte
}

// workspace is the deterministic directory the simulator draws events from.
// It is immutable once New has attached the plan (if any).
type workspace struct {
	id       string
	members  []member
	apps     []application
	byMember map[string]int // member id -> index
	byApp    map[string]int // application id -> index
	plan     *plan          // Config.Anomalies; nil = off
}

var (
	firstNames = []string{
		"Alice", "Bruno", "Chloé", "Daniel", "Élodie", "François", "Grace", "Hugo",
		"Inès", "Jürgen", "Kenji", "Léa", "Mateo", "Nadia", "Oskar", "Priya",
		"Quentin", "Renée", "Søren", "Tomás", "Ulrike", "Valentina", "Wei", "Zoë",
	}
	lastNames = []string{
		"Martin", "Müller", "Dubois", "García", "Smith", "Schäfer", "Rossi", "Nowak",
		"Lefèvre", "Andersson", "O'Brien", "Núñez", "Kowalski", "Björk", "Chen", "Durand",
	}
	// cjkNames are whole names used for some members (family name first).
	cjkNames = []struct{ name, email string }{
		{"山田 花子", "hanako.yamada"}, {"佐藤 健", "ken.sato"}, {"日本 太郎", "taro.nihon"},
		{"鈴木 一郎", "ichiro.suzuki"}, {"김 민준", "minjun.kim"},
	}
	// accountTypes are Pigment's account types but the Primary Owner, who is
	// member 0 (one per workspace, protected): what members have and what
	// role changes move them between.
	accountTypes = []string{"Workspace Admin", "Security Admin", "Builder", "Standard Member"}
	// accountTypeWeights skews the workspace toward standard members.
	accountTypeWeights = []int{1, 1, 4, 14}
	countries          = []string{"FR", "US", "GB", "DE", "ES", "NL", "JP", "CA", "SG", "BR"}
	// rareCountries are used for the occasional login from an unusual place.
	rareCountries = []string{"RU", "KP", "NG", "VN", "RO", "IR"}

	appNames = []string{
		"Revenue Planning", "Headcount Planning", "OPEX Budget", "S&OP — Supply",
		"Sales Capacity", "Cash Flow Forecast", "Pricing Model", "Budget Zürich",
		"Workforce 2026", "P&L Consolidation", "Marketing Spend", "CapEx Tracker",
		"Territory Design", "Quota Setting", "Scenario \"Stress\" Test", "日本 事業計画",
	}
	blockTypes = []string{"DimensionList", "TransactionList", "Metric", "Table"}
	blockNames = map[string][]string{
		"DimensionList":   {"Month", "Product", "Region", "Employee", "Cost_Center", "Scenario", "Country"},
		"TransactionList": {"Deals", "Invoices", "GL_Entries", "Hires", "Orders"},
		"Metric":          {"Revenue_Actuals", "Revenue_Forecast", "Headcount", "Salary_Cost", "Gross_Margin", "Bookings", "Churn_Rate", "FTE_Plan"},
		"Table":           {"PnL_Summary", "Budget_vs_Actual", "Hiring_Plan", "KPI_Board"},
	}
	dimensionPool = []string{"Month", "Product", "Region", "Employee", "Cost_Center", "Scenario", "Country", "Version"}
)

// newWorkspace builds members, applications and blocks from seed. The same
// seed always gives the same workspace.
func newWorkspace(seed int64, nMembers, nApps int, start time.Time) *workspace {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15))
	ns := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "pigmentsim/%d", seed))
	w := &workspace{
		id:       uuid.NewSHA1(ns, []byte("workspace")).String(),
		byMember: make(map[string]int, nMembers),
		byApp:    make(map[string]int, nApps),
	}
	usedEmail := map[string]int{}
	for i := range nMembers {
		var name, local string
		if rng.IntN(8) == 0 {
			c := cjkNames[rng.IntN(len(cjkNames))]
			name, local = c.name, c.email
		} else {
			f, l := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
			name, local = f+" "+l, asciiFold(f)+"."+asciiFold(l)
		}
		if n := usedEmail[local]; n > 0 {
			usedEmail[local] = n + 1
			local = fmt.Sprintf("%s%d", local, n+1)
		} else {
			usedEmail[local] = 1
		}
		m := member{
			id:          uuid.NewSHA1(ns, fmt.Appendf(nil, "member/%d", i)).String(),
			name:        name,
			email:       local + "@acme-corp.example",
			accountType: accountTypes[weighted(rng, accountTypeWeights)],
			country:     rng.IntN(len(countries)),
			ip:          fmt.Sprintf("%d.%d.%d.%d", 80+rng.IntN(120), rng.IntN(256), rng.IntN(256), 1+rng.IntN(254)),
		}
		if i == 0 {
			m.accountType = "Primary Owner"
		}
		m.qID, m.qName, m.qEmail = jsonenc.AppendString(nil, m.id), jsonenc.AppendString(nil, m.name), jsonenc.AppendString(nil, m.email)
		m.qIP = jsonenc.AppendString(nil, m.ip)
		w.byMember[m.id] = i
		w.members = append(w.members, m)
	}
	for i := range nApps {
		name := appNames[i%len(appNames)]
		if i >= len(appNames) {
			name = fmt.Sprintf("%s %d", name, i/len(appNames)+1)
		}
		created := start.Add(-time.Duration(400+rng.IntN(600)) * 24 * time.Hour).Truncate(time.Second)
		a := application{
			id:        uuid.NewSHA1(ns, fmt.Appendf(nil, "app/%d", i)).String(),
			name:      name,
			createdAt: created.UTC(),
			modified:  start.Add(-time.Duration(rng.IntN(30*24*3600)) * time.Second).Truncate(time.Second).UTC(),
		}
		for j := range 3 + rng.IntN(6) {
			typ := blockTypes[rng.IntN(len(blockTypes))]
			names := blockNames[typ]
			b := block{
				id:   uuid.NewSHA1(ns, fmt.Appendf(nil, "block/%d/%d", i, j)).String(),
				name: names[rng.IntN(len(names))],
				typ:  typ,
			}
			if typ == "Metric" || typ == "Table" {
				for _, d := range rng.Perm(len(dimensionPool))[:1+rng.IntN(4)] {
					b.dimensions = append(b.dimensions, dimensionPool[d])
				}
			}
			b.qID, b.qName = jsonenc.AppendString(nil, b.id), jsonenc.AppendString(nil, b.name)
			a.blocks = append(a.blocks, b)
		}
		a.qID, a.qName = jsonenc.AppendString(nil, a.id), jsonenc.AppendString(nil, a.name)
		w.byApp[a.id] = i
		w.apps = append(w.apps, a)
	}
	return w
}

// weighted picks an index with probability proportional to weights.
func weighted(rng *rand.Rand, weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// asciiFold lowercases s and maps the accented letters used in names to ASCII,
// for email local parts.
func asciiFold(s string) string {
	r := strings.NewReplacer(
		"é", "e", "è", "e", "É", "e", "ü", "ue", "ä", "ae", "ö", "oe", "ø", "o", "Ø", "o",
		"á", "a", "ú", "u", "ñ", "n", "ë", "e", "ç", "c", "'", "",
	)
	return strings.ToLower(r.Replace(s))
}
