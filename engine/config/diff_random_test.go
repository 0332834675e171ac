package config_test

import (
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Line pools of the random differential test: valid lines, lines HAProxy
// refuses, and lines that are valid only in some sections.
var (
	randomBackendLines = []string{
		"cookie SRV insert indirect nocache", "cookie SRV prefix", "cookie SRV rewrite", "cookie SRV insert preserve",
		"cookie SRV indirect", "cookie SRV insert domain .a.com maxidle 1h", "cookie SRV insert attr x=1", "cookie",
		"cookie SRV insert maxlife 0", "cookie SRV postonly", "cookie SRV insert secure httponly dynamic",
		"cookie SRV insert maxidle 5x", "cookie SRV insert domain a/b", "cookie SRV insert attr a;b",
		"cookie SRV insert domain .x.y domain z", "cookie SRV insert maxlife 1d maxidle 1m",
		"dynamic-cookie-key k", "dynamic-cookie-key", "balance roundrobin", "balance leastconn", "balance uri",
		"balance url_param id", "balance hdr(host)", "balance hdr", "balance source", "balance random", "balance first",
		"option redispatch", "option redispatch 1", "option persist", "no option persist", "option foo",
		"option httpchk", "option httpchk GET /", "option httpchk GET / HTTP/1.1 x", "http-check expect status 200",
		"http-check expect status 2xx", "http-check send meth GET", "option forwardfor", "option http-server-close",
		"option httpclose", "option checkcache", "retries 2", "retries", "timeout server 10s", "timeout server 5q",
		"timeout server 1sx", "timeout connect 1s", "timeout queue 5s", "timeout check 2s", "timeout tunnel 1h",
		"timeout http-request 5s", "timeout http-keep-alive 1s", "timeout client 1s",
		"server s1 127.0.0.1:19001", "server s2 127.0.0.1:19002 cookie b check", "server s3 127.0.0.1:19003 weight 10 backup",
		"server s1 127.0.0.1:19009", "server s1 127.0.0.1:99999", "server s6 127.0.0.1:19006 weight 257",
		"server s7 127.0.0.1:19007 inter 0", "server s8 127.0.0.1:19008 cookie", "server s4 h.invalid:80 init-addr none",
		"server s5 127.0.0.1", "server-template w 3 127.0.0.1:19010", "server-template w 2-4 127.0.0.1:19010",
		"server-template t 0 127.0.0.1:1", "server-template x 1-2 127.0.0.1:19011 cookie c",
		"default-server inter 1s rise 1 fall 1", "acl a path_beg /a", "acl a path -m found", "acl a method -i get",
		"acl b hdr(host) -i x.com", "acl c src 300.1.1.1", "acl d path_reg [", "acl e hdr_dom(host)",
		"use-server s1 if a", "use-server s2 if b", "use-server s1 if !a b", "use-server s1 unless a", "use-server s1",
		"use-server s9 if TRUE", "force-persist if a", "force-persist", "ignore-persist if { path_end .css }",
		"force-persist if b || a", "maxconn 10", "capture cookie X len 10", "option httplog", "option dontlognull",
		"log global", "no log", "mode http", "default_backend be", "use_backend be if a",
	}
	randomFrontendLines = []string{
		"bind 127.0.0.1:18081", "bind :18082", "maxconn 100", "capture cookie X len 10", "option httplog",
		"option dontlognull", "option forwardfor", "default_backend be", "default_backend b2",
		"use_backend be if { path /x }", "use_backend b2 if a", "acl a path /x", "timeout client 5s",
		"timeout server 5s", "cookie X insert", "option redispatch", "balance roundrobin", "log global",
		"option http-keep-alive", "mode http",
	}
	randomDefaultsLines = []string{
		"cookie D insert", "balance leastconn", "option redispatch", "default-server inter 3s", "retries 5",
		"option httpchk", "http-check expect status 200", "option forwardfor", "maxconn 10", "default_backend be",
		"timeout check 1s", "option persist", "dynamic-cookie-key dk", "log global", "option httplog",
	}
)

// randomConfig builds one configuration from the pools.
func randomConfig(r *rand.Rand) string {
	pick := func(pool []string, lo, hi int) []string {
		n := lo + r.IntN(hi-lo+1)
		var out []string
		for _, i := range r.Perm(len(pool))[:n] {
			out = append(out, "    "+pool[i])
		}
		return out
	}
	lines := []string{"defaults", "    mode http", "    timeout client 5s", "    timeout server 5s", "    timeout connect 2s"}
	lines = append(lines, pick(randomDefaultsLines, 0, 3)...)
	lines = append(lines, "", "frontend fe", "    bind 127.0.0.1:18080", "    default_backend be")
	lines = append(lines, pick(randomFrontendLines, 0, 4)...)
	lines = append(lines, "", "backend be")
	lines = append(lines, pick(randomBackendLines, 1, 6)...)
	if r.IntN(2) == 0 {
		lines = append(lines, "", "backend b2")
		lines = append(lines, pick(randomBackendLines, 1, 5)...)
	}
	if r.IntN(3) == 0 {
		lines = append(lines, "", "listen li", "    bind 127.0.0.1:18090")
		lines = append(lines, pick(randomBackendLines, 1, 5)...)
	}
	return strings.Join(lines, "\n") + "\n"
}

// TestDiffRandom checks that tether -c and haproxy -c agree on random
// combinations of supported keywords, valid and invalid, with a fixed seed.
func TestDiffRandom(t *testing.T) {
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy is not on PATH; install haproxy 2.6 to run the random differential check")
	}
	n := 120
	if testing.Short() {
		n = 20
	}
	tether := tetherBinary(t)
	dir := t.TempDir()
	r := rand.New(rand.NewPCG(2026, 11))
	accepted := 0
	for i := range n {
		text := randomConfig(r)
		path := filepath.Join(dir, "r"+strconv.Itoa(i)+".cfg")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		got, out := exitCode(t, tether, "-c", "-f", path)
		want, hout := exitCode(t, haproxy, "-c", "-f", path)
		if got != want {
			t.Errorf("config %d: tether -c exit %d, haproxy -c exit %d\n%s\nhaproxy:\n%s\ntether:\n%s", i, got, want, text, hout, out)
		}
		if want == 0 {
			accepted++
		}
	}
	if accepted == 0 || accepted == n {
		t.Errorf("%d of %d configurations valid: the pools no longer mix valid and invalid cases", accepted, n)
	}
}
