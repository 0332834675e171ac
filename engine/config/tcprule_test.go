package config

import "testing"

// TestTCPRequest parses `tcp-request connection accept|reject` and checks
// haproxy's messages for what it refuses or warns about.
func TestTCPRequest(t *testing.T) {
	cfg := mustParse(t, header+`backend be
frontend f2
    bind 127.0.0.1:18081
    tcp-request connection accept if { src 10.0.0.0/8 }
    tcp-request connection reject
    default_backend be
`)
	var rules []TCPRule
	for _, px := range cfg.Proxies {
		if px.Name == "f2" {
			rules = px.TCPConnRules
		}
	}
	if len(rules) != 2 || !rules[0].Accept || rules[0].Cond == nil || rules[1].Accept || rules[1].Cond != nil {
		t.Fatalf("rules %+v", rules)
	}
	checkDiags(t, []diagCase{
		{"backend be\nfrontend f2\n    bind :1\n    tcp-request\n", "tcp-request", Alert, "missing argument for 'tcp-request' in frontend 'f2'"},
		{"backend be\nfrontend f2\n    bind :1\n    tcp-request connection foo\n", "tcp-request", Alert, "'tcp-request connection' expects 'accept', 'reject', 'capture', "},
		{"backend be\nfrontend f2\n    bind :1\n    tcp-request connection reject x\n", "tcp-request", Alert, "'tcp-request connection reject' only accepts 'if' or 'unless', in frontend 'f2' (got 'x')"},
		{"backend be\nfrontend f2\n    bind :1\n    tcp-request connection accept if { path /x }\n", "tcp-request", Warning, "anonymous acl will never match in 'tcp-request connection' because it uses keyword 'path' which is incompatible with 'frontend tcp-request connection rule'"},
		{"backend be\n    tcp-request connection reject\n", "tcp-request", Alert, "tcp-request connection is not allowed because backend be is not a frontend"},
		{"backend be\nfrontend f2\n    bind :1\n    tcp-request content reject\n", "tcp-request", Alert, "'tcp-request content' is not supported yet by tether"},
		{"backend be\nfrontend f2\n    bind :1\n    tcp-request connection expect-proxy layer4\n", "tcp-request", Alert, "'tcp-request connection expect-proxy' is not supported yet by tether"},
	})
}
