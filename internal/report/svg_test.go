package report

import (
	"fmt"
	"strings"
	"testing"
)

// TestNiceScale: the y axis ends at a round value at or above the largest
// one, with ticks a reader can add up.
func TestNiceScale(t *testing.T) {
	want := map[float64]string{ // largest value: top and ticks
		0: "1 [0 1]", 0.3: "1 [0 1]", 3: "3 [0 1 2 3]", 7: "8 [0 2 4 6 8]",
		94: "100 [0 25 50 75 100]", 1185: "1500 [0 500 1000 1500]", 12345: "15000 [0 5000 10000 15000]",
	}
	for max, w := range want {
		if top, ticks := niceScale(max); fmt.Sprint(top, " ", ticks) != w {
			t.Errorf("niceScale(%g) = %g %v, want %s", max, top, ticks, w)
		}
	}
}

// TestLayoutChartMarks: one mark per row per series, every mark inside the
// plot, a bar's top at its value.
func TestLayoutChartMarks(t *testing.T) {
	tb := Table{ID: "t", Columns: []string{"k", "a", "b"}, Rows: [][]string{{"x", "10", "0"}, {"y", "", "5"}, {"z", "7.5 %", "20"}}}
	for _, kind := range []ChartKind{Bars, Line} {
		sc, err := layoutChart(Chart{ID: "c", Kind: kind, Table: "t", Values: []int{1, 2}}, tb)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if len(sc.Series) != 2 {
			t.Fatalf("%s: %d series, want 2", kind, len(sc.Series))
		}
		for _, s := range sc.Series {
			if len(s.Marks) != len(tb.Rows) {
				t.Errorf("%s series %s: %d marks, want %d", kind, s.Name, len(s.Marks), len(tb.Rows))
			}
			for _, m := range s.Marks {
				if m.X < sc.Plot.X || m.X+m.W > sc.Plot.X+sc.Plot.W || m.Y < sc.Plot.Y || m.Y+m.H > sc.Plot.Y+sc.Plot.H {
					t.Errorf("%s series %s: mark %+v outside the plot %+v", kind, s.Name, m, sc.Plot)
				}
			}
		}
		if y0 := sc.Plot.Y + sc.Plot.H; sc.Series[1].Marks[2].Y != sc.Plot.Y || sc.Series[0].Marks[1].Y != y0 {
			t.Errorf("%s: 20 of 20 at y %g (want the top, %g); an empty cell at y %g (want the axis, %g)",
				kind, sc.Series[1].Marks[2].Y, sc.Plot.Y, sc.Series[0].Marks[1].Y, y0)
		}
	}
}

// TestLayoutChartLabels: many long labels are tilted and thinned, short
// ones all written straight; a long one is shortened with its whole text
// kept for the tooltip.
func TestLayoutChartLabels(t *testing.T) {
	long := Table{ID: "t", Columns: []string{"k", "v"}}
	for i := 0; i < 60; i++ {
		long.Rows = append(long.Rows, []string{"application-with-a-long-name-" + strings.Repeat("x", i%5), "1"})
	}
	sc, err := layoutChart(Chart{ID: "c", Table: "t", Values: []int{1}}, long)
	if err != nil {
		t.Fatal(err)
	}
	if l := sc.XLabels[0]; !l.Rotate || len(sc.XLabels) >= 60 || !strings.HasSuffix(l.Text, "…") || l.Full != long.Rows[0][0] {
		t.Errorf("60 long labels: %d written, first %+v; want fewer than 60, tilted, shortened", len(sc.XLabels), l)
	}
	short := Table{ID: "t", Columns: []string{"k", "v"}, Rows: [][]string{{"a", "1"}, {"b", "2"}}}
	sc, err = layoutChart(Chart{ID: "c", Table: "t", Values: []int{1}}, short)
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.XLabels) != 2 || sc.XLabels[0].Rotate {
		t.Errorf("2 short labels: %+v; want both, straight", sc.XLabels)
	}
}
