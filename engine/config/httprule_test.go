package config

import "testing"

// TestHTTPRules parses http-request and http-response rules: actions,
// formats, conditions, and the rules a named defaults section gives.
func TestHTTPRules(t *testing.T) {
	cfg := mustParse(t, `defaults base
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
    http-request add-header X-Base 1

frontend fe from base
    bind 127.0.0.1:18080
    http-request set-header X-A "a %[src]:%cp %[req.hdr(host)]%[req.fhdr(x)] 100%%" if { path_beg /a }
    http-request del-header x-b -m sub
    http-request deny deny_status 429 unless { method GET }
    http-request allow
    http-response del-header Server
    default_backend be

defaults
    mode http

backend be
    http-response set-header X-R %[res.hdr(x)]%[method]
    http-response deny
`)
	fe, be := cfg.Proxies[0], cfg.Backend("be")
	if len(fe.HTTPRequest) != 5 || fe.HTTPRequest[0].Name != "X-Base" || len(fe.HTTPResponse) != 1 {
		t.Fatalf("frontend rules %+v %+v", fe.HTTPRequest, fe.HTTPResponse)
	}
	set := fe.HTTPRequest[1]
	want := Format{{Kind: FmtText, Text: "a "}, {Kind: FmtSrc}, {Kind: FmtText, Text: ":"}, {Kind: FmtSrcPort},
		{Kind: FmtText, Text: " "}, {Kind: FmtHdr, Text: "host"}, {Kind: FmtFullHdr, Text: "x"}, {Kind: FmtText, Text: " 100%"}}
	if set.Action != RuleSetHeader || set.Name != "X-A" || set.Cond == nil || len(set.Value) != len(want) {
		t.Fatalf("set-header %+v", set)
	}
	for i := range want {
		if set.Value[i] != want[i] {
			t.Errorf("part %d: %+v, want %+v", i, set.Value[i], want[i])
		}
	}
	if d := fe.HTTPRequest[2]; d.Action != RuleDelHeader || d.Match != MatchSub || !d.MatchName([]byte("X-bB-c")) || d.MatchName([]byte("xb")) {
		t.Errorf("del-header %+v", d)
	}
	if d := fe.HTTPRequest[3]; d.Action != RuleDeny || d.Status != 429 || !d.Cond.Unless {
		t.Errorf("deny %+v", d)
	}
	if len(be.HTTPRequest) != 0 || len(be.HTTPResponse) != 2 || be.HTTPResponse[1].Status != 502 {
		t.Errorf("backend rules %+v %+v", be.HTTPRequest, be.HTTPResponse)
	}
}

// TestHTTPRuleDiagnostics checks the alerts and warnings of http-request
// and http-response lines against haproxy 2.6's messages.
func TestHTTPRuleDiagnostics(t *testing.T) {
	tests := []diagCase{
		{"backend be\n    http-request add-header X\n", "http-request", Alert, "error detected in backend 'be' while parsing 'http-request add-header' rule : expects exactly 2 arguments."},
		{"backend be\n    http-request del-header\n", "http-request", Alert, "while parsing 'http-request del-header' rule : expects at least 1 argument."},
		{"backend be\n    http-request del-header X -m foo\n", "http-request", Alert, "-m with unsupported matching method 'foo'."},
		{"backend be\n    http-request deny deny_status 999\n", "http-request", Alert, "Unexpected status code '999'."},
		{"backend be\n    http-request foo\n", "http-request", Alert, "'http-request' expects 'wait-for-handshake', 'ot-group',"},
		{"backend be\n    http-request\n", "http-request", Alert, "but got '' (missing argument)."},
		{"backend be\n    http-request allow x\n", "http-request", Alert, "'http-request allow' expects either 'if' or 'unless' followed by a condition but found 'x'."},
		{"backend be\n    http-request add-header X a b\n", "http-request", Alert, "'http-request add-header' expects either 'if' or 'unless' followed by a condition but found 'b'."},
		{"backend be\n    http-request add-header X %[src\n", "http-request", Alert, "missing ']' after 'src'."},
		{"backend be\n    http-request add-header X %[res.hdr(a)]\n", "http-request", Alert, "sample fetch <res.hdr(a)]> may not be reliably used here because it needs 'HTTP response headers' which is not available here."},
		{"backend be\n    http-response add-header X %[path]\n", "http-response", Alert, "sample fetch <path]> may not be reliably used here because it needs 'HTTP request headers' which is not available here."},
		{"backend be\n    http-request add-header X %[src,ipmask(24)]\n", "http-request", Alert, "converters in '%[src,ipmask(24)]' are not supported yet by tether"},
		{"backend be\n    http-request add-header X %[ssl_fc]\n", "http-request", Alert, "'%[ssl_fc]' is not supported yet by tether"},
		{"backend be\n    http-request add-header X %{+Q}o\n", "http-request", Alert, "in a log-format string is not supported yet by tether"},
		{"backend be\n    http-request set-log-level silent\n", "http-request", Alert, "'http-request set-log-level' is not supported yet by tether"},
		{"backend be\n    http-response set-log-level silent\n", "http-response", Alert, "'http-response set-log-level' is not supported yet by tether"},
		{"backend be\n    http-request deny content-type text/plain\n", "http-request", Alert, "'content-type' on 'http-request deny' is not supported yet by tether"},
		{"backend be\n    http-response add-header X 1 if { path /x }\n", "http-response", Warning, "anonymous acl will never match because it uses keyword 'path' which is incompatible with 'backend http-response header rule'"},
		{"backend be\n    acl p req.hdr(a) x\n    http-response add-header X 1 if p\n", "http-response", Warning, "acl 'p' will never match because it only involves keywords that are incompatible with 'backend http-response header rule'"},
		{"backend be\n    http-request replace-header X\n", "http-request", Alert, "while parsing 'http-request replace-header' rule : expects exactly 3 arguments."},
		{"backend be\n    http-request replace-value X a\n", "http-request", Alert, "while parsing 'http-request replace-value' rule : expects exactly 3 arguments."},
		{"backend be\n    http-request replace-path\n", "http-request", Alert, "expects exactly 2 arguments <match-regex> and <replace-format>."},
		{"backend be\n    http-request set-path\n", "http-request", Alert, "while parsing 'http-request set-path' rule : expects exactly 1 argument <format>."},
		{"backend be\n    http-request replace-header X ( y\n", "http-request", Alert, "regex '(' is invalid"},
		{"backend be\n    http-request set-status 200\n", "http-request", Alert, "but got 'set-status'."},
		{"backend be\n    http-response set-path /x\n", "http-response", Alert, "but got 'set-path'."},
		{"backend be\n    http-response set-status\n", "http-response", Alert, "expects 1 argument: <status>; or 3 arguments: <status> reason <fmt>."},
		{"backend be\n    http-response set-status 99\n", "http-response", Alert, "expects an integer status code between 100 and 999."},
		{"backend be\n    http-response set-status 200 foo\n", "http-response", Alert, "'http-response set-status' expects either 'if' or 'unless' followed by a condition but found 'foo'."},
		{"backend be\n    http-request return status 199\n", "http-request", Alert, "Unexpected status code '199'."},
		{"backend be\n    http-request return foo\n", "http-request", Alert, "'http-request return' expects either 'if' or 'unless' followed by a condition but found 'foo'."},
		{"backend be\n    http-request return status 200 string\n", "http-request", Alert, "'string' expects <str> as argument."},
		{"backend be\n    http-request return content-type\n", "http-request", Alert, "'content-type' expects <ctype> as argument."},
		{"backend be\n    http-request return string x\n", "http-request", Alert, "a content type must be defined when non-empty payload is configured."},
		{"backend be\n    http-request return status 204 string x content-type text/plain\n", "http-request", Alert, "No body expected for 204 responses."},
		{"backend be\n    http-request return hdr X\n", "http-request", Alert, "'hdr' expects <name> and <value> as arguments."},
		{"backend be\n    http-request return status 404 file /nonexistent\n", "http-request", Alert, "error opening file '/nonexistent'."},
		{"backend be\n    http-request return hdr content-length 5 content-type a string x\n", "http-request", Warning, "header 'content-length' always ignored by the http reply."},
		{"backend be\n    http-request return errorfile /x\n", "http-request", Alert, "'errorfile' is not supported yet by tether"},
		{"backend be\nfrontend f2\n    bind :1\n    http-request capture\n", "http-request capture", Alert, "while parsing 'http-request capture' rule : expects <expression> [ 'len' <length> | id <idx> ]."},
		{"backend be\nfrontend f2\n    bind :1\n    http-request capture src len x\n", "http-request capture", Alert, "length must be > 0."},
		{"backend be\nfrontend f2\n    bind :1\n    http-request capture foo len 5\n", "http-request capture", Alert, "'%[foo]' is not supported yet by tether"},
		{"backend be\n    http-request capture src len 5\n", "http-request capture", Alert, "error detected in backend 'be' while parsing 'http-request capture' rule : proxy 'be' has no frontend capability."},
		{"backend be\nfrontend f2\n    bind :1\n    http-request capture src id 0\n", "http-request capture", Alert, "'id' in 'http-request capture' is not supported yet by tether"},
		{"backend be\n    http-response reject\n", "http-response", Alert, "but got 'reject'."},
		{"backend be\n    http-response tarpit\n", "http-response", Alert, "but got 'tarpit'."},
		{"backend be\n    http-request tarpit deny_status 999\n", "http-request", Alert, "while parsing 'http-request tarpit' rule : Unexpected status code '999'."},
		{"backend be\n    http-request reject x\n", "http-request", Alert, "'http-request reject' expects either 'if' or 'unless' followed by a condition but found 'x'."},
		{"backend be\n    timeout tarpit 2s\n    http-request tarpit deny_status 429\n    http-request silent-drop\n    http-response silent-drop\n", "", Alert, ""},
		{"backend be\n    http-response add-header X 1 if { method GET } { src 10.0.0.0/8 }\n", "", Warning, ""},
	}
	checkDiags(t, tests)
	rulesDefaults := "defaults d\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 2s\n    http-request deny\n"
	expectDiag(t, "defaults\n    mode http\n    http-request deny\n", Alert, 3, "'http-request' not allowed in anonymous 'defaults' section.")
	expectDiag(t, rulesDefaults+"listen l from d\n    bind :1\n", Alert, 7, "a listen section cannot inherit from a defaults section defining TCP/HTTP rules.")
	expectDiag(t, rulesDefaults+"frontend f from d\n    bind :1\n    default_backend b\nbackend b from d\n", Alert, 10,
		"frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at t.cfg:1).")
}
