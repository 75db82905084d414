package main

import (
	"context"
	"fmt"
	"io"

	"github.com/pigment-siem/pipeline/internal/envcfg"
	"github.com/pigment-siem/pipeline/internal/sinks"
	"github.com/pigment-siem/pipeline/siem/kibana"
)

// Kibana is where forward setup imports the saved objects of siem/kibana
// (the data view and the dashboards); unset, it imports nothing.
type Kibana struct {
	KibanaURL        string `env:"KIBANA_URL"`
	KibanaAPIKey     string `env:"KIBANA_API_KEY"`
	KibanaAPIKeyFile string `env:"KIBANA_API_KEY_FILE"`
}

// checkKibana reads the key from its file and checks the Kibana settings.
func (c *Config) checkKibana(p *envcfg.Problems) {
	p.Add(envcfg.Secret(&c.KibanaAPIKey, c.KibanaAPIKeyFile, "KIBANA_API_KEY"))
	if c.KibanaURL == "" {
		return
	}
	p.Check(c.Sink != "elastic", "KIBANA_URL is for SINK=elastic (the dashboards read its data stream)")
	p.Check(c.KibanaAPIKey == "", "KIBANA_API_KEY (or KIBANA_API_KEY_FILE) is required with KIBANA_URL")
}

// setupKibana imports the saved objects when KIBANA_URL is set. Importing
// again overwrites them (same ids). Any object Kibana refuses fails setup,
// each named with Kibana's reason.
func (a *app) setupKibana(ctx context.Context, out io.Writer) error {
	if a.cfg.KibanaURL == "" {
		return nil
	}
	tlsCfg, err := a.sinkTLS()
	if err != nil {
		return err
	}
	k, err := sinks.NewKibana(sinks.KibanaConfig{URL: a.cfg.KibanaURL, APIKey: a.cfg.KibanaAPIKey,
		TLS: tlsCfg, Timeout: a.cfg.SinkTimeout, Logger: a.log})
	if err != nil {
		return err
	}
	res, err := k.Import(ctx, kibana.FileName, kibana.SavedObjects())
	if err != nil {
		return fmt.Errorf("import the Kibana saved objects: %w", err)
	}
	fmt.Fprintf(out, "Kibana saved objects imported: %d (data view %s on %s, 4 dashboards)\n",
		res.SuccessCount, kibana.DataViewID, kibana.DataViewPattern)
	return nil
}
