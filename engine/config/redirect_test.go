package config

import "testing"

// TestRedirect parses `redirect` lines and `http-request redirect` rules:
// kinds, codes, options, the `!{ ssl_fc }` idiom (never TLS in tether),
// and haproxy's alerts and ordering warnings.
func TestRedirect(t *testing.T) {
	cfg := mustParse(t, header+`backend be
    http-request redirect location http://%[hdr(host)]/x code 301 ignore-empty if { path /a }
    redirect scheme https if !{ ssl_fc }
    redirect prefix /p drop-query append-slash set-cookie S=1 code 308
    redirect location / clear-cookie U= unless { ssl_fc }
`)
	be := cfg.Backend("be")
	if len(be.HTTPRequest) != 1 || len(be.Redirects) != 3 {
		t.Fatalf("rules %+v, redirects %+v", be.HTTPRequest, be.Redirects)
	}
	rd := be.HTTPRequest[0].Redirect
	if be.HTTPRequest[0].Action != RuleRedirect || rd.Kind != RedirLocation || rd.Code != 301 || !rd.IgnoreEmpty || len(rd.Value) != 3 || rd.Value[1].Kind != FmtHdr {
		t.Errorf("http-request redirect %+v", rd)
	}
	req := newRequest("GET", "/", "127.0.0.1")
	if s := be.Redirects[0]; s.Redirect.Kind != RedirScheme || s.Redirect.Code != 302 || !s.Holds(req) {
		t.Errorf("redirect scheme %+v holds %v", s.Redirect, s.Holds(req))
	}
	if p := be.Redirects[1].Redirect; p.Kind != RedirPrefix || p.Code != 308 || !p.DropQuery || !p.AppendSlash || p.Cookie != "S=1" || p.ClearCookie {
		t.Errorf("redirect prefix %+v", p)
	}
	if l := be.Redirects[2]; !l.Redirect.ClearCookie || l.Redirect.Cookie != "U=" || !l.Holds(req) {
		t.Errorf("redirect location %+v", l.Redirect)
	}
	tests := []diagCase{
		{"backend be\n    redirect foo /x\n", "redirect", Alert, "error detected in backend 'be' while parsing redirect rule : expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was 'foo')."},
		{"backend be\n    redirect location\n", "redirect", Alert, "missing argument for 'location'."},
		{"backend be\n    redirect location /x code 300\n", "redirect", Alert, "'code': unsupported HTTP code '300' (must be one of 301, 302, 303, 307 or 308)."},
		{"backend be\n    redirect location /x code\n", "redirect", Alert, "missing argument for 'code'."},
		{"backend be\n    redirect\n", "redirect", Alert, "redirection type expected ('prefix', 'location', or 'scheme')."},
		{"backend be\n    redirect location /x set-cookie\n", "redirect", Alert, "missing argument for 'set-cookie'."},
		{"backend be\n    http-request redirect location /x ignore-empty x\n", "http-request", Alert, "while parsing 'http-request redirect' rule : expects 'code', "},
		{"backend be\n    http-response redirect location /x\n", "http-response", Alert, "'http-response redirect' is not supported yet by tether"},
		{"backend be\n    redirect location /x\n    http-request deny\n", "http-request", Warning, "a 'http-request' rule placed after a 'redirect' rule will still be processed before."},
		{"backend be\nfrontend f2\n    bind :1\n    use_backend be if TRUE\n    redirect location /x\n", "redirect", Warning, "a 'redirect' rule placed after a 'use_backend' rule will still be processed before."},
		{"backend be\nfrontend f2\n    bind :1\n    use_backend be if TRUE\n    http-request deny\n", "http-request deny", Warning, "a 'http-request' rule placed after a 'use_backend' rule will still be processed before."},
	}
	checkDiags(t, tests)
}
