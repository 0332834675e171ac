package config

import (
	"errors"
	"strings"
	"testing"
)

// header is a valid start for test configurations: HTTP defaults with
// timeouts and a frontend sending to backend "be".
const header = `defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s

frontend fe
    bind 127.0.0.1:18080
    default_backend be

`

// parse parses one configuration text named "t.cfg" and returns the
// configuration and every diagnostic (alerts and warnings).
func parse(t *testing.T, text string) (*Config, []Diag) {
	t.Helper()
	cfg, err := Parse(File{Name: "t.cfg", Data: []byte(text)})
	if err == nil {
		return cfg, cfg.Warnings
	}
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("Parse error %T %v is not an *Error wrapping ErrInvalid", err, err)
	}
	return cfg, e.Diags
}

// mustParse parses a configuration that must have no alerts.
func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := Parse(File{Name: "t.cfg", Data: []byte(text)})
	if err != nil {
		t.Fatalf("unexpected error: %v\n%s", err, text)
	}
	return cfg
}

// backend parses header + "backend be" + body and returns backend be.
func backend(t *testing.T, body string) *Proxy {
	t.Helper()
	cfg := mustParse(t, header+"backend be\n"+body)
	return cfg.Backend("be")
}

// expectDiag parses text and requires a diagnostic of severity sev whose
// message contains msg, at line line.
func expectDiag(t *testing.T, text string, sev Severity, line int, msg string) {
	t.Helper()
	_, diags := parse(t, text)
	for _, d := range diags {
		if d.Severity == sev && strings.Contains(d.Message, msg) {
			if d.Line != line {
				t.Errorf("%q at line %d, want line %d", msg, d.Line, line)
			}
			return
		}
	}
	t.Errorf("no %v containing %q; got:\n%s", sev, msg, dump(diags))
}

// noDiag requires that no diagnostic of severity sev was raised.
func noDiag(t *testing.T, text string, sev Severity) {
	t.Helper()
	_, diags := parse(t, text)
	for _, d := range diags {
		if d.Severity == sev {
			t.Errorf("unexpected %v: %s", sev, d.String())
		}
	}
}

func dump(diags []Diag) string {
	var b strings.Builder
	for i := range diags {
		b.WriteString("  " + diags[i].String() + "\n")
	}
	return b.String()
}

// lineOf returns the 1-based line number of the first line containing s.
func lineOf(text, s string) int {
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// lastLineOf returns the 1-based line number of the last line containing s.
func lastLineOf(text, s string) int {
	n := 0
	for i, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			n = i + 1
		}
	}
	return n
}

// diagCase is one configuration body (after header) and the diagnostic it
// must raise: of severity sev, containing msg, at the last line containing
// line; an empty msg requires that none of severity sev is raised.
type diagCase struct {
	body, line string
	sev        Severity
	msg        string
}

// checkDiags checks every case of tests.
func checkDiags(t *testing.T, tests []diagCase) {
	t.Helper()
	for _, tt := range tests {
		text := header + tt.body
		if tt.msg == "" {
			noDiag(t, text, tt.sev)
			continue
		}
		expectDiag(t, text, tt.sev, lastLineOf(text, tt.line), tt.msg)
	}
}
