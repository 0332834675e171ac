package config

import (
	"strings"
	"testing"
)

func TestCondExpr(t *testing.T) {
	t.Setenv("TETHER_DEFINED", "")
	tests := []struct {
		expr string
		want bool
	}{
		{"", false},
		{"0", false},
		{"1", true},
		{"2", true},
		{"!0", true},
		{"! 1", false},
		{"1 && 0", false},
		{"1 && 0 || 1", true},
		{"0 || 1 && 0", false},
		{"!(0 || 0) && 1", true},
		{"(1)", true},
		{"defined(TETHER_DEFINED)", true},
		{"defined(TETHER_NOT_DEFINED_ANYWHERE)", false},
		{"defined(TETHER_DEFINED)&&streq(a,a)", true},
		{"streq(a b,a b)", true},
		{"streq( a,a)", false},
		{"strneq(a,b)", true},
		{"feature(OPENSSL)", false},
		{"version_atleast(2.6)", true},
		{"version_atleast(2.6.12)", true},
		{"version_atleast(2.6.13)", false},
		{"version_atleast(2.4-dev19)", true},
		{"version_before(2.6.13)", true},
		{"version_before(2.6.12)", false},
		{"version_before(3.0)", true},
		{"version_before(x)", false},
	}
	for _, tt := range tests {
		e := condExpr{s: tt.expr}
		if got := e.eval(); got != tt.want || e.err != "" {
			t.Errorf("%q = %v (%s), want %v", tt.expr, got, e.err, tt.want)
		}
	}
	bad := []struct {
		expr string
		pos  int
		msg  string
	}{
		{"bogus(x)", 0, "unparsable conditional expression 'bogus(x)'"},
		{"1 &&", 2, "unparsable conditional expression '&&'"},
		{"!", 0, "unparsable conditional expression '!'"},
		{"(1", 0, "expected ')' after conditional expression '(1'"},
		{"1x", 1, "unexpected character 'x' at the end of conditional expression '1x'"},
		{"1 x", 2, "unexpected character 'x' at the end of conditional expression '1 x'"},
		{"streq(a)", 7, "missing arguments (got 1/2) of predicate 'streq'"},
		{"defined(HOME,x)", 8, "expected ')' before ',x)' in argument 1 of predicate 'defined'"},
		{"defined(HOME", 8, "expected ')' in argument list of predicate 'defined'"},
	}
	for _, tt := range bad {
		e := condExpr{s: tt.expr}
		e.eval()
		if e.errPos != tt.pos || !strings.HasPrefix(e.err, tt.msg) {
			t.Errorf("%q: error %d %q, want %d %q", tt.expr, e.errPos, e.err, tt.pos, tt.msg)
		}
	}
}

func TestConditionalBlocks(t *testing.T) {
	text := `.if 0
defaults
    mode tcp
.elif 1
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
.else
    this line is skipped
.endif

frontend fe
    bind 127.0.0.1:18080
.if streq(a,b)
    bind 127.0.0.1:18081
    .if 1
    bind 127.0.0.1:18082
    .else
    bind 127.0.0.1:18083
    .endif
    .alert "not reached"
.else
    bind 127.0.0.1:18084
.endif
    .warning "inside fe"
    default_backend be
backend be
`
	cfg, diags := parse(t, text)
	var binds []string
	for _, b := range cfg.Proxies[0].Binds {
		binds = append(binds, b.Name)
	}
	if strings.Join(binds, " ") != "127.0.0.1:18080 127.0.0.1:18084" {
		t.Errorf("binds %v", binds)
	}
	if cfg.Proxies[0].Mode != ModeHTTP {
		t.Error("the .elif branch was not taken")
	}
	if len(diags) != 1 || diags[0].Severity != Warning || diags[0].Message != "'inside fe'." || diags[0].Line != lineOf(text, "inside fe") {
		t.Errorf("diags:\n%s", dump(diags))
	}
}

func TestConditionalBlockErrors(t *testing.T) {
	tests := []struct {
		text string
		line string
		sev  Severity
		msg  string
	}{
		{".if 1\n", ".if 1", Alert, "non-terminated '.if' block."},
		{".endif\n", ".endif", Alert, "lone '.endif' with no matching '.if'."},
		{".else\n", ".else", Alert, "lone '.else' with no matching '.if'."},
		{".elif 1\n", ".elif", Alert, "lone '.elif' with no matching '.if'."},
		{".if 1\n.else\n.else\n.endif\n", "", Alert, "'.else' after '.else' is not permitted."},
		{".if 1\n.else\n.elif 1\n.endif\n", ".elif", Alert, "'.elif' after '.else' is not permitted."},
		{".if 1\n.endif x\n", ".endif", Alert, "Unexpected argument 'x' for '.endif'."},
		{".if bogus(x)\n.endif\n", ".if", Alert, "unparsable conditional expression 'bogus(x)' in '.if' at position 1"},
		{".if 1 x\n.endif\n", ".if", Alert, "unexpected character 'x' at the end of conditional expression '1 x' in '.if' at position 3"},
		{".alert \"stop\"\n", ".alert", Alert, "'stop'."},
		{".alert\n", ".alert", Alert, "''."},
		{".warning a b\n", ".warning", Alert, "Unexpected argument 'b' for '.warning'. Use quotes if the message should contain spaces."},
		{".foo\n", ".foo", Alert, "unknown directive '.foo'."},
		{".if 0\n    bind \"x\n.endif\n", "bind", Alert, "unmatched quote at position 10"},
	}
	for _, tt := range tests {
		line := lineOf(tt.text, tt.line)
		if tt.line == "" {
			line = 3
		}
		expectDiag(t, tt.text, tt.sev, line, tt.msg)
	}
	// Conditions in skipped blocks are not evaluated.
	noDiag(t, ".if 0\n.if bogus\n.endif\n.endif\n.if 1\n.elif bogus\n.endif\n", Alert)
	noDiag(t, ".if 0\n.alert \"x\"\n.foo\n.endif\n", Alert)
}
