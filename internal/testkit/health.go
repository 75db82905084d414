package testkit

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Health is a /healthz answer: its HTTP status and decoded body.
type Health struct {
	Status  int
	OK      bool           `json:"ok"`
	Details map[string]any `json:"details"`
}

// GetHealth reads http://addr/healthz; Status is 0 when it cannot be read.
func GetHealth(addr string) Health {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/healthz", nil)
	if err != nil {
		return Health{}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Health{}
	}
	defer resp.Body.Close()
	var h Health
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return Health{}
	}
	h.Status = resp.StatusCode
	return h
}

// Gauge scrapes http://addr/metrics and returns the value of the first
// sample whose name and labels start with series (e.g.
// `pigment_detect_lag` or `x{checkpoint="live"}`); ok is false when
// there is none or the scrape fails.
func Gauge(addr, series string) (v float64, ok bool) {
	vs, ok := Gauges(addr, series)
	if !ok {
		return 0, false
	}
	return vs[0], true
}

// Gauges is Gauge for several series read from one scrape, so values a
// program updates together are compared as of the same moment; ok is false
// when one of them is missing or the scrape fails.
func Gauges(addr string, series ...string) (vs []float64, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	vs = make([]float64, len(series))
	found := make([]bool, len(series))
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 16<<20))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for i, s := range series {
			if found[i] || !strings.HasPrefix(line, s) {
				continue
			}
			rest := line[len(s):]
			if !strings.HasPrefix(rest, " ") && !strings.HasPrefix(rest, "{") && !strings.HasSuffix(s, "}") {
				continue // a longer name
			}
			f := strings.Fields(line)
			if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
				vs[i], found[i] = v, true
			}
		}
	}
	for _, f := range found {
		if !f {
			return nil, false
		}
	}
	return vs, true
}
