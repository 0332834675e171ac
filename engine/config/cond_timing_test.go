package config

import "testing"

// BenchmarkCondEval measures one evaluation of a mixed condition: string,
// case-insensitive, regex, header, cookie and address matchers.
func BenchmarkCondEval(b *testing.B) {
	cfg, err := Parse(File{Name: "b.cfg", Data: []byte(header + `backend be
    acl api path_beg -i /API
    acl re path_reg ^/api/v[0-9]+/
    acl host hdr_dom(host) -i example.com
    acl ck req.cook(SRV) -m found
    acl net src 10.0.0.0/8 192.168.0.0/16
    use-server s1 if api re host ck || !net
    server s1 127.0.0.1:1
`)})
	if err != nil {
		b.Fatal(err)
	}
	c := cfg.Backend("be").UseServers[0].Cond
	req := newRequest("GET", "/api/v2/items?x=1", "10.1.2.3",
		"Host: www.example.com", "Accept: */*", "Cookie: a=1; SRV=s1", "User-Agent: bench")
	if !c.Eval(req) {
		b.Fatal("condition does not hold")
	}
	b.ReportAllocs()
	for b.Loop() {
		c.Eval(req)
	}
}
