package syslogtest_test

import (
	"strings"
	"testing"

	"github.com/pigment-siem/pipeline/internal/sinks/syslogtest"
)

func TestParseAcceptsValidMessages(t *testing.T) {
	for _, msg := range []string{
		`<134>1 2024-05-01T12:34:56.789Z host pigment - user.login [pigment@32473 eventId="e1" actor="a\"b\\c\]d"] {"k":"日本"}`,
		`<0>1 - - - - - -`,
		`<191>1 2024-05-01T14:34:56.123456+02:00 h a 1 m [timeQuality tzKnown="1"][x@1.2 a="" b="\n"]`,
		`<13>1 2024-05-01T12:34:56Z h a - - - ` + "\ufeffBOM then text",
	} {
		if _, err := syslogtest.Parse([]byte(msg)); err != nil {
			t.Errorf("Parse(%q) = %v, want nil", msg, err)
		}
	}
}

func TestParseRejectsInvalidMessages(t *testing.T) {
	tests := []struct{ msg, wantErr string }{
		{`134>1 - - - - - -`, "PRI"},
		{`<192>1 - - - - - -`, "PRI"},
		{`<013>1 - - - - - -`, "PRI"},
		{`<13>2 - - - - - -`, "VERSION"},
		{`<13> - - - - - -`, "VERSION"},
		{`<13>1 2024-05-01 12:34:56Z h a - - -`, "TIMESTAMP"},
		{`<13>1 2024-05-01T12:34:56.1234567Z h a - - -`, "fraction"},
		{`<13>1 2024-05-01t12:34:56Z h a - - -`, "TIMESTAMP"},
		{`<13>1 2024-13-01T12:34:56Z h a - - -`, "TIMESTAMP"},
		{`<13>1 - h ` + strings.Repeat("a", 49) + ` - - -`, "APP-NAME"},
		{`<13>1 - h a - ` + strings.Repeat("m", 33) + ` -`, "MSGID"},
		{`<13>1 - h a - -`, "MSGID"},
		{`<13>1 - h a - - [x@1 a="1"`, "']'"},
		{`<13>1 - h a - - [x@1 a="b]c"]`, "unescaped ']'"},
		{`<13>1 - h a - - [x@1 a="b"c"]`, "']'"},
		{`<13>1 - h a - - [x@1 a=1]`, "NAME=\"VALUE\""},
		{`<13>1 - h a - - [x@1][x@1]`, "repeated"},
		{`<13>1 - h a - - [custom a="1"]`, "IANA"},
		{`<13>1 - h a - - [x@y a="1"]`, "enterprise"},
		{`<13>1 - h a - - -msg`, "NILVALUE"},
		{`<13>1 - h a - - [x@1]msg`, "SP between"},
		{"<13>1 - h a - - - \xff\xfe", "UTF-8"},
		{"<13>1 - h a - - [x@1 a=\"\xff\"]", "UTF-8"},
	}
	for _, tt := range tests {
		_, err := syslogtest.Parse([]byte(tt.msg))
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("Parse(%q) = %v, want an error about %s", tt.msg, err, tt.wantErr)
		}
	}
}
