package daemon_test

import (
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/daemon"
)

func TestSettingsValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		s    daemon.Settings
		want string // a variable the error names; "" for valid
	}{
		{daemon.Settings{LogLevel: "info", LogFormat: "json"}, ""},
		{daemon.Settings{LogLevel: "debug", LogFormat: "console"}, ""},
		{daemon.Settings{LogLevel: "loud", LogFormat: "json"}, "LOG_LEVEL"},
		{daemon.Settings{LogLevel: "", LogFormat: "json"}, "LOG_LEVEL"},
		{daemon.Settings{LogLevel: "info", LogFormat: "xml"}, "LOG_FORMAT"},
	} {
		err := tc.s.Validate()
		if (err != nil) != (tc.want != "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v.Validate() = %v, want an error naming %q (none if empty)", tc.s, err, tc.want)
		}
	}
}
