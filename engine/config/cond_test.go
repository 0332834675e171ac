package config

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

// testRequest implements Request over byte slices prepared once, as the
// engine does over its scanned head.
type testRequest struct {
	method, url, path, query []byte
	names, values            [][]byte
	src                      netip.Addr
}

func newRequest(method, url string, src string, headers ...string) *testRequest {
	r := &testRequest{method: []byte(method), url: []byte(url), src: netip.MustParseAddr(src)}
	target := r.url
	if i := bytes.Index(target, []byte("://")); i >= 0 {
		target = target[i+3:]
		if j := bytes.IndexByte(target, '/'); j >= 0 {
			target = target[j:]
		} else {
			target = nil
		}
	}
	r.path = target
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		r.path, r.query = target[:i], target[i+1:]
	}
	for _, h := range headers {
		name, value, _ := strings.Cut(h, ":")
		r.names = append(r.names, []byte(name))
		r.values = append(r.values, []byte(strings.TrimSpace(value)))
	}
	return r
}

func (r *testRequest) Method() []byte                    { return r.method }
func (r *testRequest) URL() []byte                       { return r.url }
func (r *testRequest) Path() []byte                      { return r.path }
func (r *testRequest) Query() []byte                     { return r.query }
func (r *testRequest) NumHeaders() int                   { return len(r.names) }
func (r *testRequest) Header(i int) (name, value []byte) { return r.names[i], r.values[i] }
func (r *testRequest) Src() netip.Addr                   { return r.src }

// useServerCond compiles `use-server s1 <cond>` with the given acl lines
// and returns the condition.
func useServerCond(t *testing.T, acls, cond string) *Cond {
	t.Helper()
	be := backend(t, acls+"    use-server s1 "+cond+"\n    server s1 127.0.0.1:1\n")
	return be.UseServers[0].Cond
}

func TestCondEval(t *testing.T) {
	req := newRequest("GET", "/api/v2/Items.JPG?sid=abc&x=1;empty=&x=3&bare&flag?q=4", "10.1.2.3",
		"Host: www.Example.com:8080",
		"Cookie: a=1; SRV=s2 ; b=2",
		"Cookie: other=x",
		"X-List: one, two ,three",
		"Accept: text/html")
	tests := []struct {
		acls string
		cond string
		want bool
	}{
		{"", "if TRUE", true},
		{"", "if FALSE", false},
		{"", "unless FALSE", true},
		{"", "if", false},
		{"", "unless", true},
		{"", "if METH_GET", true},
		{"", "if METH_POST", false},
		{"", "if HTTP_URL_SLASH", true},
		{"", "if HTTP_URL_ABS", false},
		{"", "if LOCALHOST", false},
		{"", "if { path /api/v2/Items.JPG }", true},
		{"", "if { path /api }", false},
		{"", "if { path_beg /api/ /static/ }", true},
		{"", "if { path_end .jpg }", false},
		{"", "if { path_end -i .jpg }", true},
		{"", "if { path_sub /v2/ }", true},
		{"", "if { path_reg ^/api/v[0-9]+/ }", true},
		{"", "if { path_reg -i items\\.jpg$ }", true},
		{"", "if { path_reg items\\.jpg$ }", false},
		{"", "if { path -m beg /api }", true},
		{"", "if { url /api/v2/Items.JPG?sid=abc&x=1;empty=&x=3&bare&flag?q=4 }", true},
		{"", "if { url_param(x) 3 }", true},
		{"", "if { url_beg /api }", true},
		{"", "if { url_param(sid) abc }", true},
		{"", "if { url_param(x) 2 }", false},
		{"", "if { url_param(nope) -m found }", false},
		{"", "if { url_param(empty) -m found }", true},
		{"", "if { urlp(empty) -- }", false},
		{"", "if { url_param abc }", true},
		{"", "if { urlp_beg(sid) ab }", true},
		{"", "if { urlp_reg(x) ^[0-9]$ }", true},
		{"", "if { url_param(bare) -m found }", false}, // no '=': no value, as HAProxy reads it
		{"", "if { urlp(q) 4 }", true},                 // '?' ends a parameter too
		{"", "if { urlp(flag?q) 4 }", false},
		{"", "if { method GET HEAD }", true},
		{"", "if { method get }", false},
		{"", "if { method -i get }", true},
		{"", "if { hdr(host) www.Example.com:8080 }", true},
		{"", "if { hdr(HOST) -i www.example.com:8080 }", true},
		{"", "if { req.hdr(x-list) two }", true},
		{"", "if { hdr(x-list) one,\\ two }", false},
		{"", "if { hdr_beg(host) www. }", true},
		{"", "if { hdr_end(host) :8080 }", true},
		{"", "if { hdr_sub(accept) html }", true},
		{"", "if { hdr_reg(host) ^www\\. }", true},
		{"", "if { hdr_dom(host) -i example.com }", true},
		{"", "if { hdr_dom(host) -i example }", true},
		{"", "if { hdr_dom(host) -i ample.com }", false},
		{"", "if { hdr_dom(host) example.com }", false},
		{"", "if { hdr(x-missing) -m found }", false},
		{"", "if { hdr(accept) -m found }", true},
		{"", "if { hdr text/html }", true},
		{"", "if { req.cook(SRV) s2 }", true},
		{"", "if { cook(SRV) -m found }", true},
		{"", "if { cook(other) x }", true},
		{"", "if { cook(srv) s2 }", false},
		{"", "if { cook(a) 2 }", false},
		{"", "if { cook x }", true},
		{"", "if { req.cook y }", false},
		{"", "if { src 10.0.0.0/8 }", true},
		{"", "if { src 10.1.2.3 }", true},
		{"", "if { src 192.168.0.0/16 ::1 }", false},
		{"", "if { src 10.0.0.0/255.0.0.0 }", true},
		{"", "if { src -m found }", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if api", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if api post", false},
		{"    acl api path_beg /api\n    acl post method POST\n", "if api !post", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if api ! post", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if post || api", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if post or !api", false},
		{"    acl api path_beg /api\n    acl post method POST\n", "unless post or !api", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if || api", true},
		{"    acl api path_beg /api\n    acl post method POST\n", "if post ||", false},
		{"    acl api path_beg /api\n    acl post method POST\n", "if !api { src 10.0.0.0/8 } || post", false},
		{"    acl api path_beg /api\n    acl post method POST\n", "if api { src 10.0.0.0/8 } || post", true},
		{"    acl x path /nope\n    acl x src 10.0.0.0/8\n", "if x", true},
		{"    acl x path /nope\n    acl x src 11.0.0.0/8\n", "if x", false},
	}
	for _, tt := range tests {
		c := useServerCond(t, tt.acls, tt.cond)
		if got := c.Eval(req); got != tt.want {
			t.Errorf("%q %q = %v, want %v", strings.TrimSpace(tt.acls), tt.cond, got, tt.want)
		}
	}
}

func TestCondAbsoluteURL(t *testing.T) {
	req := newRequest("GET", "http://example.com/x?y=1", "::ffff:127.0.0.1")
	for cond, want := range map[string]bool{
		"if HTTP_URL_ABS":       true,
		"if HTTP_URL_SLASH":     false,
		"if { path /x }":        true,
		"if { url_param(y) 1 }": true,
		"if LOCALHOST":          true,
	} {
		if got := useServerCond(t, "", cond).Eval(req); got != want {
			t.Errorf("%q = %v, want %v", cond, got, want)
		}
	}
}

// TestCondLaterACLLines: an ACL line after a rule that uses the name still
// adds to the ACL, as HAProxy's rules point at the ACL itself.
func TestCondLaterACLLines(t *testing.T) {
	be := backend(t, "    acl x path /a\n    use-server s1 if x\n    acl x path /b\n    server s1 127.0.0.1:1\n")
	if !be.UseServers[0].Cond.Eval(newRequest("GET", "/b", "127.0.0.1")) {
		t.Error("second acl line not seen by the rule")
	}
}

func TestCondErrors(t *testing.T) {
	tests := []struct {
		lines string
		sev   Severity
		msg   string
	}{
		{"acl a foo_bar x", Alert, "error detected while parsing ACL 'a' : unknown fetch method 'foo_bar' in ACL expression 'foo_bar'."},
		{"acl a", Alert, "error detected while parsing ACL 'a' : missing fetch method in ACL expression ''."},
		{"acl a path -m bogus x", Alert, "error detected while parsing ACL 'a' : unknown matching method 'bogus' when parsing ACL expression."},
		{"acl a path -m len 3", Alert, "matching method 'len' is not supported yet by tether"},
		{"acl a path_reg (x", Alert, "error detected while parsing ACL 'a' : regex '(x' is invalid (error=missing closing ))."},
		{"acl a path_reg ^/(?=x)", Alert, "regex '^/(?=x)' is invalid (error=invalid or unsupported Perl syntax)."},
		{"acl a path_reg (a)\\1", Alert, "regex '(a)\\1' is invalid (error=invalid escape sequence)."},
		{"acl a src 1.2.3.4/33", Alert, "'1.2.3.4/33' is not a valid IPv4 or IPv6 address."},
		{"acl a src abc", Alert, "'abc' is not a valid IPv4 or IPv6 address."},
		{"acl a{ path x", Alert, "character '{' is not permitted in acl name 'a{'."},
		{"acl a/b path x", Alert, "character '/' is not permitted in acl name 'a/b'."},
		{"acl a path -f /nonexist", Alert, "ACL flag '-f' is not supported yet by tether"},
		{"acl a path_dir x", Alert, "fetch method 'path_dir' is not supported yet by tether"},
		{"acl a hdr(host,1) x", Alert, "occurrence and other extra arguments are not supported yet by tether"},
		{"acl a url_param(x", Alert, "unknown fetch method 'url_param(x' in ACL expression 'url_param(x'."},
		{"acl a url_param(x,;) y", Alert, "occurrence and other extra arguments are not supported yet by tether"},
		{"acl a path(x) y", Alert, "end of arguments expected"},
		{"acl a path -x y", Alert, "'-x' is not a valid ACL option."},
		{"acl a path_beg", Warning, "parsing acl keyword 'path_beg' : no pattern to match against were provided, so this ACL will never match."},
		{"use-server s1 if { path /x", Alert, "error detected while parsing switching rule : missing closing '}' in condition."},
		{"use-server s1 if a || b", Alert, "error detected while parsing switching rule : no such ACL : 'a'."},
		{"use-server s1 if { path /x } garbage", Alert, "no such ACL : 'garbage'."},
		{"use-server s1 if { nope }", Alert, "unknown fetch method 'nope'"},
		{"use-server s1", Alert, "'use-server' requires either 'if' or 'unless' followed by a condition."},
		{"use-server s1 when TRUE", Alert, "'use-server' requires either 'if' or 'unless' followed by a condition."},
		{"force-persist", Alert, "'force-persist' requires either 'if' or 'unless' followed by a condition."},
		{"ignore-persist foo", Alert, "'ignore-persist' requires either 'if' or 'unless' followed by a condition."},
		{"force-persist if nope", Alert, "error detected while parsing a 'force-persist' rule : no such ACL : 'nope'."},
		{"use-server s9 if TRUE", Alert, "backend 'be' : unable to find server 's9' referenced in a 'use-server' rule."},
	}
	for _, tt := range tests {
		text := header + "backend be\n    server s1 127.0.0.1:1\n    " + tt.lines + "\n"
		expectDiag(t, text, tt.sev, lineOf(text, tt.lines), tt.msg)
	}
}

func TestPersistRules(t *testing.T) {
	be := backend(t, "    acl admin path_beg /admin\n    force-persist if admin\n    ignore-persist unless { cook(SRV) -m found }\n")
	if len(be.PersistRules) != 2 || !be.PersistRules[0].Force || be.PersistRules[1].Force || !be.PersistRules[1].Cond.Unless {
		t.Fatalf("rules %+v", be.PersistRules)
	}
	req := newRequest("GET", "/admin/x", "127.0.0.1")
	if !be.PersistRules[0].Cond.Eval(req) || !be.PersistRules[1].Cond.Eval(req) {
		t.Error("rules do not hold for /admin without a cookie")
	}
}

func TestUseServerResolved(t *testing.T) {
	be := backend(t, "    use-server s2 if { path_beg /us }\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n")
	if be.UseServers[0].Server != be.Servers[1] {
		t.Errorf("use-server resolved to %+v", be.UseServers[0].Server)
	}
}

// TestCondEvalAllocs proves the evaluation allocates nothing, regexes
// included.
func TestCondEvalAllocs(t *testing.T) {
	be := backend(t, `    acl api path_beg -i /API
    acl img path_end .jpg .png
    acl re path_reg ^/api/v[0-9]+/
    acl host hdr_dom(host) -i example.com
    acl ck req.cook(SRV) -m found
    acl net src 10.0.0.0/8 192.168.0.0/16
    acl sid url_param(sid) abc
    use-server s1 if api img || re host ck || !net sid || { hdr(x-list) three } { method -i post }
    server s1 127.0.0.1:1
`)
	c := be.UseServers[0].Cond
	req := newRequest("POST", "/api/v2/x.gif?a=1&sid=abd", "172.16.0.1",
		"Host: www.example.org", "Cookie: a=1; b=2", "X-List: one, two, three")
	if !c.Eval(req) {
		t.Fatal("condition does not hold")
	}
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector (sync.Pool drops at random)")
	}
	if n := testing.AllocsPerRun(200, func() { c.Eval(req) }); n != 0 {
		t.Errorf("Eval allocates %v times per run", n)
	}
}
