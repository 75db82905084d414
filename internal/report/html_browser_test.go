package report

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// pageCheck is what a headless browser saw of one page: the problems it
// reported (console errors and warnings, exceptions, failed requests,
// requests for anything but the page itself) and the measures of the page
// that the script below took.
type pageCheck struct {
	Problems []string
	Page     pageMeasures
}

type pageMeasures struct {
	Charts []chartMeasures `json:"charts"`
	Banner *bannerMeasures `json:"banner"`
}

type chartMeasures struct {
	ID          string  `json:"id"`
	Width       float64 `json:"width"`
	Height      float64 `json:"height"`
	Series      []int   `json:"series"` // bars or points drawn per series
	SeriesMarks []int   `json:"seriesVisible"`
	TableRows   int     `json:"tableRows"`
	TableBelow  bool    `json:"tableBelow"`
}

type bannerMeasures struct {
	Text     string  `json:"text"`
	Height   float64 `json:"height"`
	Position string  `json:"position"`
	Display  string  `json:"display"`
}

// measureScript reads every chart's size, its bars or points per series,
// its table's rows, and whether the table is laid out below it; and the
// INCOMPLETE banner, when there is one.
const measureScript = `(() => {
  const charts = Array.from(document.querySelectorAll("figure.chart")).map(f => {
    const svg = f.querySelector("svg"), r = svg.getBoundingClientRect();
    const table = document.getElementById("table-" + f.dataset.table);
    const series = Array.from(svg.querySelectorAll("g.series"));
    const marks = g => Array.from(g.querySelectorAll(".bar, .point"));
    return {
      id: f.dataset.chart, width: r.width, height: r.height,
      series: series.map(g => marks(g).length),
      seriesVisible: series.map(g => marks(g).filter(m => {
        const b = m.getBoundingClientRect();
        return b.width > 0 && b.left >= r.left - 1 && b.right <= r.right + 1 && b.top >= r.top - 1 && b.bottom <= r.bottom + 1;
      }).length),
      tableRows: table ? table.querySelectorAll("tbody tr:not(.empty)").length : -1,
      tableBelow: !!table && table.getBoundingClientRect().top >= r.bottom,
    };
  });
  const b = document.getElementById("incomplete-banner");
  let banner = null;
  if (b) {
    const r = b.getBoundingClientRect(), s = getComputedStyle(b);
    banner = {text: b.textContent, height: r.height, position: s.position, display: s.display};
  }
  return {charts, banner};
})()`

// checkInBrowser loads the file at path in a headless browser and returns
// what it saw.
func checkInBrowser(tb testing.TB, browser, path string) pageCheck {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	tab, closeBrowser := newBrowser(ctx, browser)
	defer closeBrowser()
	if err := chromedp.Do(tab, chromedp.Navigate("about:blank")); err != nil {
		tb.Fatalf("start %s: %v", browser, err)
	}
	page := fileURL(path)
	var (
		mu       sync.Mutex
		problems []string
	)
	report := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	err := chromedp.Listen(tab, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				report("console %s: %v", ev.Type, consoleArgs(ev.Args))
			}
		case *runtime.EventExceptionThrown:
			report("exception: %s", ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				report("console %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u := ev.Request.URL; u != page && !strings.HasPrefix(u, page+"#") {
				report("request for %s", u)
			}
		case *network.EventLoadingFailed:
			report("failed request %s: %s", ev.RequestID, ev.ErrorText)
		}
	})
	if err != nil {
		tb.Fatal(err)
	}
	if err := chromedp.Do(tab, chromedp.Navigate(page)); err != nil {
		tb.Fatalf("load %s: %v", path, err)
	}
	measures, err := chromedp.Run(tab, chromedp.Evaluate[pageMeasures](measureScript))
	if err != nil {
		tb.Fatalf("measure %s: %v", path, err)
	}
	mu.Lock()
	defer mu.Unlock()
	return pageCheck{Problems: append([]string(nil), problems...), Page: measures}
}

func consoleArgs(args []*runtime.RemoteObject) string {
	var parts []string
	for _, a := range args {
		if a.Value != nil {
			parts = append(parts, string(a.Value))
		} else {
			parts = append(parts, a.Description)
		}
	}
	return strings.Join(parts, " ")
}

// TestHTMLInBrowser: report.html loads in a real headless Chromium with no
// console error and no request but itself; every chart has a size, one
// bar or point per row of its table for each series, inside the chart,
// with the table below it; the INCOMPLETE banner shows when incomplete.
func TestHTMLInBrowser(t *testing.T) {
	browser := mustBrowser(t)
	for _, tc := range sampleCases() {
		t.Run(tc.name, func(t *testing.T) {
			seen := checkInBrowser(t, browser, mustWriteHTML(t, tc.doc))
			for _, p := range seen.Problems {
				t.Errorf("browser: %s", p)
			}
			want := 0
			for _, s := range tc.doc.Sections {
				want += len(s.Charts)
			}
			if len(seen.Page.Charts) != want {
				t.Errorf("page has %d charts, want %d", len(seen.Page.Charts), want)
			}
			for _, c := range seen.Page.Charts {
				checkChart(t, c)
			}
			checkBanner(t, tc.doc, seen.Page.Banner)
		})
	}
}

func checkChart(t *testing.T, c chartMeasures) {
	t.Helper()
	if c.Width <= 0 || c.Height <= 0 {
		t.Errorf("chart %s is %gx%g", c.ID, c.Width, c.Height)
	}
	if c.TableRows <= 0 || !c.TableBelow {
		t.Errorf("chart %s: table of %d rows, below it: %v", c.ID, c.TableRows, c.TableBelow)
	}
	if len(c.Series) == 0 {
		t.Errorf("chart %s draws no series", c.ID)
	}
	for i, n := range c.Series {
		if n != c.TableRows || c.SeriesMarks[i] != c.TableRows {
			t.Errorf("chart %s series %d: %d marks, %d of them drawn inside the chart; want %d, as the table's rows", c.ID, i, n, c.SeriesMarks[i], c.TableRows)
		}
	}
}

func checkBanner(t *testing.T, d *Document, b *bannerMeasures) {
	t.Helper()
	if d.Complete {
		if b != nil {
			t.Errorf("complete report shows a banner: %q", b.Text)
		}
		return
	}
	if b == nil {
		t.Fatal("incomplete report shows no INCOMPLETE banner")
	}
	if b.Height <= 0 || b.Display == "none" || b.Position != "fixed" {
		t.Errorf("banner: height %g, display %s, position %s; want a visible fixed banner", b.Height, b.Display, b.Position)
	}
	for _, want := range append([]string{"INCOMPLETE"}, d.Incomplete...) {
		if !strings.Contains(b.Text, want) {
			t.Errorf("banner %q does not say %q", b.Text, want)
		}
	}
}

// TestBrowserCheckSeesProblems: the check above is only worth its silence
// if it speaks up: a page that fetches a missing file and logs an error is
// reported, and a chart with a bar missing is counted short.
func TestBrowserCheckSeesProblems(t *testing.T) {
	browser := mustBrowser(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.html")
	bad := `<!DOCTYPE html><html><body>
<img src="missing.png" alt="">
<script>console.error("planted error")</script>
<figure class="chart" data-chart="c" data-table="t"><svg width="100" height="50"><g class="series"><rect class="bar" x="1" y="1" width="5" height="5"/></g></svg></figure>
<table id="table-t"><tbody><tr><td>a</td></tr><tr><td>b</td></tr></tbody></table>
</body></html>`
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	seen := checkInBrowser(t, browser, path)
	all := strings.Join(seen.Problems, "\n")
	missing := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "missing.png"))}).String()
	for _, want := range []string{"planted error", "request for " + missing, "failed request"} {
		if !strings.Contains(all, want) {
			t.Errorf("browser check did not report %q; it reported:\n%s", want, all)
		}
	}
	if len(seen.Page.Charts) != 1 || seen.Page.Charts[0].Series[0] != 1 || seen.Page.Charts[0].TableRows != 2 {
		t.Errorf("measures of the bad page: %+v", seen.Page.Charts)
	}
}
