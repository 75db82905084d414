package main

import (
	"strings"
	"testing"
)

// TestConfigRules: every rule names its variable; serve needs
// MCP_DATABASE_URL and says what it must be.
func TestConfigRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"MCP_MAX_ROWS": "0"}, []string{"serve"}, "MCP_MAX_ROWS must be 1 to 10000"},
		{map[string]string{"MCP_MAX_DAYS": "100000"}, []string{"serve"}, "MCP_MAX_DAYS"},
		{map[string]string{"MCP_TLS_CERT_FILE": "c.pem"}, []string{"serve"}, "MCP_TLS_CERT_FILE and MCP_TLS_KEY_FILE go together"},
		{map[string]string{}, []string{"serve"}, "MCP_DATABASE_URL is required by serve"},
		{map[string]string{"MCP_DATABASE_URL": "postgres://u:s3cret@127.0.0.1:1/x"}, []string{"serve"}, "127.0.0.1:1"},
	} {
		_, err := runCmd(t, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%v with %v: %v; want an error saying %q, without the password", tc.args, tc.env, err, tc.want)
		}
	}
}
