package config

import "testing"

// TestLogFormat parses `log-format` lines: variables, flags and %o,
// samples, inheritance from defaults, and haproxy's messages.
func TestLogFormat(t *testing.T) {
	cfg := mustParse(t, `defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
    log-format "%ci %{+Q}r 100%%"

frontend fe
    bind 127.0.0.1:18080
    log-format %{+Q,+X}o%b\ %[src]\ %{-Q}s
    default_backend be

frontend inherits
    bind 127.0.0.1:18081
    default_backend be

frontend httplog
    bind 127.0.0.1:18082
    option httplog
    default_backend be

backend be
`)
	want := LogFormat{
		{Var: LogBackend, Quote: true, Hex: true}, {Var: LogText, Text: " "},
		{Var: LogSampleExpr, Sample: FormatPart{Kind: FmtSrc}, Quote: true, Hex: true}, {Var: LogText, Text: " "},
		{Var: LogServer, Hex: true},
	}
	if got := cfg.Proxies[0].LogFormat; len(got) != len(want) {
		t.Fatalf("%+v", got)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("part %d: %+v, want %+v", i, got[i], want[i])
			}
		}
	}
	inh := cfg.Proxies[1].LogFormat
	if len(inh) != 4 || inh[0].Var != LogClientIP || inh[2].Var != LogRequest || !inh[2].Quote || inh[3].Text != " 100%" {
		t.Errorf("inherited %+v", inh)
	}
	if hl := cfg.Proxies[2]; hl.LogFormat != nil || !hl.Options.HTTPLog {
		t.Errorf("option httplog after an inherited log-format: %+v", hl.LogFormat)
	}
	checkDiags(t, []diagCase{
		{"backend b\n    log-format\n", "log-format", Alert, "log-format expects an argument."},
		{"backend b\nfrontend f2\n    bind :1\n    log-format a b\n", "log-format", Alert, "log-format expects only one argument, don't forget to escape spaces!"},
		{"backend b\nfrontend f2\n    bind :1\n    log-format %zz\n", "log-format", Alert, "failed to parse log-format : no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'."},
		{"backend b\nfrontend f2\n    bind :1\n    log-format %{\n", "log-format", Alert, "failed to parse log-format : truncated line after ''."},
		{"backend b\nfrontend f2\n    bind :1\n    log-format \"%ci %\"\n", "log-format", Alert, "failed to parse log-format : truncated line after '%'."},
		{"backend b\nfrontend f2\n    bind :1\n    log-format %[req.hdr(host)]\n", "log-format", Alert, "may not be reliably used here because it needs 'HTTP request headers' which is not available here."},
		{"backend b\n    log-format %ci\n", "log-format", Warning, "backend 'b' : 'log-format' directive is ignored in backends."},
	})
}
