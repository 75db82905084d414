package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// svgChart is a Chart laid out for drawing: every coordinate is computed
// here, in Go, and the template only writes them into SVG elements, so
// html/template escapes every label and the layout can be tested without a
// browser. Coordinates are rounded to a tenth of a unit, so the same
// Document always gives the same bytes.
type svgChart struct {
	ID, Title      string
	Table          string // the Table.ID it draws
	Kind           ChartKind
	Width, Height  float64
	Plot           svgRect
	XTitle, YTitle string
	YTicks         []svgTick
	XLabels        []svgLabel
	Series         []svgSeries
	Legend         []svgLegend
	Rows           int // the table's rows: one bar or point per row per series
}

type svgRect struct{ X, Y, W, H float64 }

type svgTick struct {
	Y     float64
	Label string
}

// svgLabel is an x-axis label; Rotate tilts it when the labels are too wide
// for their band.
type svgLabel struct {
	X, Y   float64
	Text   string // shortened to fit
	Full   string // the whole label, as a tooltip
	Rotate bool
}

type svgSeries struct {
	Name, Color string
	Marks       []svgMark
	Points      string // the polyline of a line chart
}

// svgMark is one bar (X, Y, W, H) or one point (X, Y) with its value,
// written above it when there is room.
type svgMark struct {
	X, Y, W, H     float64
	Value, Label   string
	ShowValue      bool
	ValueX, ValueY float64
}

type svgLegend struct {
	X, Y        float64
	Name, Color string
}

// chartPalette is dark enough for white text-free marks on white paper and
// tells series apart in greyscale print too (contrast >= 4.5:1 on white).
var chartPalette = []string{"#1f5fa8", "#b4470c", "#1b7a3d", "#6b2fa8", "#a11d2b", "#0f6b74"}

const (
	chartWidth     = 760.0
	chartHeight    = 280.0
	chartLeft      = 64.0
	chartRight     = 16.0
	chartTop       = 30.0
	chartBottom    = 64.0
	chartLabelMax  = 18 // runes of an x label before it is shortened
	chartCharWidth = 6.2
)

// layoutChart places chart c over table t. It fails when the chart names a
// column the table lacks or a cell is not a number: a picture that
// silently drew zeros would contradict its own table.
func layoutChart(c Chart, t Table) (svgChart, error) {
	if c.Label < 0 || c.Label >= len(t.Columns) {
		return svgChart{}, fmt.Errorf("chart %q: label column %d not in table %q", c.ID, c.Label, t.ID)
	}
	if len(c.Values) == 0 {
		return svgChart{}, fmt.Errorf("chart %q: no value column", c.ID)
	}
	for r, row := range t.Rows {
		if len(row) != len(t.Columns) {
			return svgChart{}, fmt.Errorf("chart %q: row %d of table %q has %d cells for %d columns", c.ID, r+1, t.ID, len(row), len(t.Columns))
		}
	}
	values := make([][]float64, len(c.Values))
	max := 0.0
	for s, col := range c.Values {
		if col < 0 || col >= len(t.Columns) {
			return svgChart{}, fmt.Errorf("chart %q: value column %d not in table %q", c.ID, col, t.ID)
		}
		for r, row := range t.Rows {
			v, err := cellNumber(row, col)
			if err != nil {
				return svgChart{}, fmt.Errorf("chart %q: row %d of table %q: %w", c.ID, r+1, t.ID, err)
			}
			values[s] = append(values[s], v)
			max = math.Max(max, v)
		}
	}
	sc := svgChart{
		ID: c.ID, Title: c.Title, Table: t.ID, Kind: c.Kind, Width: chartWidth, Height: chartHeight,
		Plot:   svgRect{X: chartLeft, Y: chartTop, W: chartWidth - chartLeft - chartRight, H: chartHeight - chartTop - chartBottom},
		XTitle: t.Columns[c.Label], Rows: len(t.Rows),
	}
	top, ticks := niceScale(max)
	for _, v := range ticks {
		sc.YTicks = append(sc.YTicks, svgTick{Y: round1(sc.yOf(v, top)), Label: formatNumber(v)})
	}
	band := sc.Plot.W / float64(max1(len(t.Rows)))
	sc.XLabels = xLabels(t, c.Label, sc.Plot, band)
	names := make([]string, len(c.Values))
	for s, col := range c.Values {
		names[s] = t.Columns[col]
	}
	sc.YTitle = strings.Join(names, ", ")
	for s := range c.Values {
		color := chartPalette[s%len(chartPalette)]
		series := svgSeries{Name: names[s], Color: color}
		if c.Kind == Line {
			series.Marks, series.Points = sc.linePoints(values[s], t, c.Label, c.Values[s], top, band, s%2 == 1)
		} else {
			series.Marks = sc.bars(values[s], t, c.Label, c.Values[s], top, band, s, len(c.Values))
		}
		sc.Series = append(sc.Series, series)
	}
	if len(c.Values) > 1 {
		x := sc.Plot.X
		for _, s := range sc.Series {
			sc.Legend = append(sc.Legend, svgLegend{X: round1(x), Y: 14, Name: s.Name, Color: s.Color})
			x += 24 + chartCharWidth*float64(utf8.RuneCountInString(s.Name))
		}
	}
	return sc, nil
}

// yOf is the y coordinate of value v on a scale from 0 to top.
func (sc svgChart) yOf(v, top float64) float64 {
	return sc.Plot.Y + sc.Plot.H - v/top*sc.Plot.H
}

func (sc svgChart) bars(vals []float64, t Table, label, col int, top, band float64, s, n int) []svgMark {
	w := band * 0.8 / float64(n)
	marks := make([]svgMark, len(vals))
	for r, v := range vals {
		x := sc.Plot.X + band*float64(r) + band*0.1 + w*float64(s)
		y := round1(sc.yOf(v, top)) // rounded first, so y + h is the axis exactly
		text := strings.TrimSpace(t.Rows[r][col])
		marks[r] = svgMark{
			X: round1(x), Y: y, W: round1(w), H: round1(sc.Plot.Y + sc.Plot.H - y),
			Value: text, Label: t.Rows[r][label],
			ShowValue: textWidth(text) <= w+4,
			ValueX:    round1(x + w/2), ValueY: round1(y - 4),
		}
	}
	return marks
}

// linePoints places a line's points; below writes the values under the
// points rather than above, so two series' labels do not sit on each other.
func (sc svgChart) linePoints(vals []float64, t Table, label, col int, top, band float64, below bool) ([]svgMark, string) {
	dy := -7.0
	if below {
		dy = 15
	}
	marks := make([]svgMark, len(vals))
	pts := make([]string, len(vals))
	for r, v := range vals {
		x, y := round1(sc.Plot.X+band*(float64(r)+0.5)), round1(sc.yOf(v, top))
		vy := y + dy
		if vy > sc.Plot.Y+sc.Plot.H-2 { // under the axis: above the point instead
			vy = y - 7
		}
		text := strings.TrimSpace(t.Rows[r][col])
		marks[r] = svgMark{
			X: x, Y: y, Value: text, Label: t.Rows[r][label],
			ShowValue: textWidth(text) <= band-2,
			ValueX:    x, ValueY: round1(vy),
		}
		pts[r] = formatNumber(x) + "," + formatNumber(y)
	}
	return marks, strings.Join(pts, " ")
}

// xLabels writes every row's label when they fit in their band, tilted
// when they are wider than it, and every k-th one when even tilted labels
// would overlap (24 hours or 31 days fit; the table below has them all).
func xLabels(t Table, col int, plot svgRect, band float64) []svgLabel {
	widest := 0.0
	for _, row := range t.Rows {
		widest = math.Max(widest, textWidth(shorten(row[col])))
	}
	rotate := widest > band-4
	step := 1
	if rotate {
		step = int(math.Ceil(14 / band)) // tilted labels need ~14 units each
	}
	var out []svgLabel
	for r := 0; r < len(t.Rows); r += step {
		x := plot.X + band*(float64(r)+0.5)
		out = append(out, svgLabel{
			X: round1(x), Y: round1(plot.Y + plot.H + 16),
			Text: shorten(t.Rows[r][col]), Full: t.Rows[r][col], Rotate: rotate,
		})
	}
	return out
}

// niceScale rounds max up to 1, 2, 2.5 or 5 times a power of ten and
// returns it with five evenly spaced ticks from zero.
func niceScale(max float64) (float64, []float64) {
	if max <= 0 {
		max = 1
	}
	raw := max / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag * 10
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	if max < 4 && step < 1 { // counts: no fractional ticks below 4
		step = 1
	}
	top := step * math.Ceil(max/step)
	var ticks []float64
	for v := 0.0; v <= top+step/2; v += step {
		ticks = append(ticks, v)
	}
	return top, ticks
}

// cellNumber reads a table cell as a number: an empty cell is zero, a
// trailing percent sign is allowed ("12.5 %").
func cellNumber(row []string, col int) (float64, error) {
	s := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(row[col]), "%"))
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
		return 0, fmt.Errorf("column %d: %q is not a count", col, row[col])
	}
	return v, nil
}

func shorten(s string) string {
	if utf8.RuneCountInString(s) <= chartLabelMax {
		return s
	}
	return string([]rune(s)[:chartLabelMax-1]) + "…"
}

func textWidth(s string) float64 { return chartCharWidth * float64(utf8.RuneCountInString(s)) }

func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func max1(n int) int {
	if n < 1 {
		return 1
	}
	return n
}
