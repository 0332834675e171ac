package config

import "testing"

// TestVarDiagnostics: set-var, set-var-fmt, unset-var, var() and
// unique-id-format are refused with haproxy 2.6's messages (haproxy -c).
func TestVarDiagnostics(t *testing.T) {
	tests := []diagCase{
		{"backend be\n    http-request set-var(foo.x) str(a)\n", "http-request", Alert, "error detected in backend 'be' while parsing 'http-request set-var(foo.x)' rule : invalid variable name 'foo.x'. A variable name must be start by its scope. The scope can be 'proc', 'sess', 'txn', 'req', 'res' or 'check'."},
		{"backend be\n    http-request set-var(txn) str(a)\n", "http-request", Alert, "invalid variable name 'txn'. A variable name must be start by its scope."},
		{"backend be\n    http-request set-var(txn.x)\n", "http-request", Alert, "while parsing 'http-request set-var(txn.x)' rule : missing fetch method."},
		{"backend be\n    http-request set-var(txn.x-y) str(a)\n", "http-request", Alert, "while parsing 'http-request set-var(txn.x-y)' rule : invalid syntax at char '-y)'."},
		{"backend be\n    http-request set-var(txn.x-y,ifset) str(a)\n", "http-request", Alert, "rule : invalid syntax at char '-y,ifset)'."},
		{"backend be\n    http-request set-header X %[var(txn.x-y)]\n", "http-request", Alert, "while parsing 'http-request set-header' rule : failed to parse sample expression <var(txn.x-y)]> : invalid args in fetch method 'var' : invalid syntax at char '-y'."},
		{"backend be\n    acl a var(txn.x-y) -m found\n", "acl", Alert, "invalid args in fetch method 'var' : invalid syntax at char '-y' in ACL expression 'var(txn.x-y)'."},
		{"backend be\n    http-request set-var(txn.x) nosuch\n", "http-request", Alert, "while parsing 'http-request set-var(txn.x)' rule : unknown fetch method 'nosuch'."},
		{"backend be\n    http-request set-var(txn.x) src,ipmask(24)\n", "http-request", Alert, "converter 'ipmask(24)' is not supported yet by tether"},
		{"backend be\n    http-request set-var(txn.x,foo) str(a)\n", "http-request", Alert, "rule : unknown condition \"foo\"."},
		{"backend be\n    http-request set-var(txn.x,ifset) str(a)\n", "http-request", Alert, "'http-request set-var(txn.x,ifset)' conditions are not supported yet by tether"},
		{"backend be\n    http-request unset-var(txn.x) foo\n", "http-request", Alert, "'http-request unset-var(txn.x)' expects either 'if' or 'unless' followed by a condition but found 'foo'."},
		{"backend be\n    http-response set-var(txn.x) path\n", "http-response", Alert, "sample fetch <path]> may not be reliably used here because it needs 'HTTP request headers' which is not available here."},
		{"backend be\n    acl a var(txn.x) foo\n", "acl", Alert, "matching method must be specified first (using '-m') when using a sample fetch of this type ('var')."},
		{"backend be\n    http-request set-header X %[var(nope)]\n", "http-request", Alert, "invalid variable name 'nope'."},
		{"backend be\nfrontend f2\n    bind :1\n    unique-id-format\n", "unique-id-format", Alert, "unique-id-format expects an argument."},
		{"backend be\nfrontend f2\n    bind :1\n    unique-id-format a b\n", "unique-id-format", Alert, "unique-id-format expects only one argument, don't forget to escape spaces!"},
		{"backend be\nfrontend f2\n    bind :1\n    unique-id-format %zz\n", "unique-id-format", Alert, "failed to parse unique-id : no such format variable 'zz'. If you wanted to emit the '%' character verbatim, you need to use '%%'."},
		{"backend be\nfrontend f2\n    bind :1\n    unique-id-format %[res.hdr(x)]\n", "unique-id-format", Alert, "failed to parse unique-id : sample fetch <res.hdr(x)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here."},
		{"backend be\nfrontend f2\n    bind :1\n    unique-id-header\n", "unique-id-header", Alert, "unique-id-header expects an argument."},
		{"backend be\n    http-request set-var(txn.a) req.hdr(host),lower,upper\n    http-request set-var-fmt(sess.b) %[src]:%[var(txn.a)]\n    http-request set-var-fmt(proc.c)\n    http-request unset-var(req.d) if { var(txn.a,x) -m str x }\n    http-response set-var(res.e) res.fhdr(server)\n", "", Alert, ""},
		{"backend be\nfrontend f2\n    bind :1\n    unique-id-format %{+X}o\\ %ci:%cp_%fi:%fp_%Ts_%rt:%pid_%[req.hdr(x)]\n    unique-id-header X-ID ignored\n    log-format \"%ID %[unique-id] %[var(txn.a),upper]\"\n", "", Alert, ""},
	}
	checkDiags(t, tests)
}

// TestVarRules: the rules, formats and conditions reading and writing
// variables compile to what the engine evaluates.
func TestVarRules(t *testing.T) {
	be := backend(t, "    http-request set-var(txn.a) req.hdr(host),lower\n"+
		"    http-request set-var-fmt(res.b) x%[var(sess.c,dflt)]\n"+
		"    http-request unset-var(proc.d) if { var(req.e) -m beg ab }\n")
	rs := be.HTTPRequest
	if len(rs) != 3 {
		t.Fatalf("%d rules", len(rs))
	}
	if r := rs[0]; r.Action != RuleSetVar || r.Var != (VarRef{ScopeTxn, "a"}) || len(r.Value) != 1 ||
		r.Value[0] != (FormatPart{Kind: FmtHdr, Text: "host", Conv: ConvLower}) {
		t.Errorf("set-var: %+v", r)
	}
	if r := rs[1]; r.Action != RuleSetVarFmt || r.Var != (VarRef{ScopeRes, "b"}) || len(r.Value) != 2 ||
		r.Value[1] != (FormatPart{Kind: FmtVar, Var: VarRef{ScopeSess, "c"}, Text: "dflt", HasDefault: true}) {
		t.Errorf("set-var-fmt: %+v", r)
	}
	r := rs[2]
	if r.Action != RuleUnsetVar || r.Var.String() != "proc.d" || r.Cond == nil {
		t.Fatalf("unset-var: %+v", r)
	}
	e := r.Cond.Suites[0][0].ACL.Exprs[0]
	if e.Fetch != FetchVar || e.Var != (VarRef{ScopeReq, "e"}) || e.Match != MatchBeg || e.Patterns[0] != "ab" {
		t.Errorf("var() expression: %+v", e)
	}
}

// varRequest is a Request with variables.
type varRequest struct {
	testRequest
	vars map[VarRef]string
}

func (r *varRequest) Var(v VarRef) ([]byte, bool) {
	s, ok := r.vars[v]
	return []byte(s), ok
}

// TestVarCond: var() matches the variable's value, its default when it
// is not set, and nothing without either or on a Request without
// variables.
func TestVarCond(t *testing.T) {
	r := &varRequest{vars: map[VarRef]string{{ScopeTxn, "a"}: "Hello"}}
	for _, tt := range []struct {
		cond string
		r    Request
		want bool
	}{
		{"{ var(txn.a) -m str Hello }", r, true},
		{"{ var(txn.a) -m str hello }", r, false},
		{"{ var(txn.a) -m str -i hello }", r, true},
		{"{ var(txn.a) -m found }", r, true},
		{"{ var(req.a) -m found }", r, false},
		{"{ var(txn.b,dd) -m str dd }", r, true},
		{"{ var(txn.b) -m str dd }", r, false},
		{"{ var(txn.a) -m reg ^H.l }", r, true},
		{"{ var(txn.a) -m found }", &r.testRequest, false},
	} {
		be := backend(t, "    http-request deny if "+tt.cond+"\n")
		if got := be.HTTPRequest[0].Cond.Eval(tt.r); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.cond, got, tt.want)
		}
	}
}
