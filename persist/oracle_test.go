package persist

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The differential harness runs the real HAProxy 2.6 in front of small
// origin servers and checks that the persist functions predict what the
// client and the servers see. A case is a backend configuration (the
// `cookie` line is rendered from Options, the rest is a free fragment),
// server lines, runtime commands, and requests; the expectations come from
// persist itself, through the same run helper the unit tests use. Timing
// dependent dates are handled by accepting a prediction for any second
// between just before the request and just after the response; which
// server load balancing picks is taken from what happened. For each
// request the harness compares the status, the set-cookie and
// cache-control fields the client gets, the server that answered, the
// Cookie fields it received and the %tsc cookie letters of the log.
// TestOracleProxy replays the same cases through another binary.

// oracleServer is one server line of a case.
type oracleServer struct {
	name   string
	cookie string // explicit cookie value, "" for none
	dead   bool   // nothing listens on its port
	state  State  // applied with `set server ... state` before the requests
}

// oracleRequest is one request of a case.
type oracleRequest struct {
	method  string
	path    string           // request path; a unique suffix is added
	headers []string         // extra request fields, e.g. to trigger force-persist
	cookies []string         // Cookie field values
	flags   Flags            // what the fragment's rules decide for this request
	use     bool             // the fragment's use-server rule matches
	useSrv  int              // the server it names
	status  int              // status the origin replies with (0: 200)
	fields  []string         // fields the origin adds to its response
	cli     []string         // runtime API commands sent before the request
	change  func(b *Backend) // what the commands change, for the prediction
}

// oracleCase is one backend configuration and its requests.
type oracleCase struct {
	name       string
	opts       Options
	key        string   // dynamic-cookie-key
	fragment   []string // more backend lines (option persist, rules, ...)
	persist    bool     // the fragment has `option persist`
	redispatch bool     // the fragment has `option redispatch`
	servers    []oracleServer
	requests   []oracleRequest
}

func oracleCases() []oracleCase {
	two := []oracleServer{{name: "s1", cookie: "a"}, {name: "s2", cookie: "b"}}
	insInd := Options{Name: "SRV", Mode: Insert, Indirect: true, NoCache: true}
	reqs := func(cookies ...[]string) []oracleRequest {
		var r []oracleRequest
		for _, c := range cookies {
			r = append(r, oracleRequest{cookies: c})
		}
		return r
	}
	tokenizer := reqs(nil, ck("SRV=b"), ck("a=1; SRV=b; c=2"), ck("SRV=zz"), ck("SRV="), ck(`SRV="b"`),
		ck("SRV=b|abc"), ck("srv=a"), ck("SRV = a ; x = y"), ck("$Version=1; SRV=a; $Path=/; x=1"),
		ck("SRV=a, x=1"), ck(`x="a;b"; SRV=a`), ck("a=1;SRV=b;c=2"), ck("a=1   ;   SRV=b   ;   c=2"),
		ck("SRV=b; c=2"), ck("a=1; SRV=b"), ck("x=1, SRV=a; y=2"), ck("x=1; SRV=a, y=2"), ck("a=1", "SRV=a"),
		ck("SRV=a; SRV=b"), ck("SRV=zz; SRV=b"), ck("SRV=zz; x=1", "SRV=b"), ck("x=1; SRV=a;;y=2"),
		ck("SRV=a; flag; y=2"), ck("$Version=1; SRV=a"), ck("x = 1;  y =2 ; z= 3"), ck("SRV=a; SRV=b; x=1"),
		ck(`x="a\";b"; SRV=b; y=1`), ck("x=1; SRV=a;"), ck("SRV=a;"), ck(";SRV=a; x=1"), ck("x=1;;SRV=b"))
	for _, d := range deletionSpacing {
		tokenizer = append(tokenizer, oracleRequest{cookies: d.in})
	}
	withServerCookie := []oracleRequest{
		{fields: ck("Set-Cookie: SRV=xyz; Path=/")},
		{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=xyz; Path=/")},
		{fields: ck("Set-Cookie: x=1", "Set-Cookie: SRV = xyz ; Path=/", "Set-Cookie: y=2")},
		{cookies: ck("SRV=b"), fields: ck("Set-Cookie: a=1, SRV=xyz", "Set-Cookie: a=1; SRV=xyz", "Set-Cookie: SRV")},
	}
	nocache := []oracleRequest{
		{}, {fields: ck("ETag: \"x\"")}, {fields: ck("Last-Modified: Sat, 21 Nov 2026 00:00:00 GMT", "Cache-Control: public")},
		{fields: ck("Cache-Control: public")}, {fields: ck("Cache-Control: max-age=60")},
		{fields: ck("Expires: Sun, 22 Nov 2026 00:00:00 GMT")}, {fields: ck("Cache-Control: private, max-age=60")},
		{fields: ck(`Cache-Control: no-cache="set-cookie", max-age=60`)}, {fields: ck("Cache-Control: max-age=0")},
		{fields: ck("Cache-Control: max-age=0", "Cache-Control: s-maxage=10")},
		{fields: ck(`Cache-Control: private="x", max-age=60`)},
		{fields: ck("Cache-Control: max-age=60", "Pragma: no-cache")},
		{status: 302, fields: ck("Cache-Control: max-age=60", "Location: /x")},
		{status: 404, fields: ck("Cache-Control: max-age=60")}, {status: 204, fields: ck("Cache-Control: max-age=60")},
		{status: 500, fields: ck("Cache-Control: max-age=60")}, {method: "HEAD", fields: ck("Cache-Control: max-age=60")},
		{method: "POST", fields: ck("Cache-Control: max-age=60")}, {method: "POST", fields: ck("Cache-Control: public, max-age=60")},
		{method: "OPTIONS", fields: ck("Cache-Control: max-age=60")}, {method: "PUT", fields: ck("Cache-Control: public", "ETag: \"e\"")},
		{status: 304, fields: ck("ETag: \"x\"")}, {fields: ck("Cache-Control: MAX-AGE=60, PRIVATE")},
		{status: 101, headers: ck("connection: upgrade", "upgrade: test"), fields: ck("connection: upgrade", "upgrade: test", "Set-Cookie: SRV=x", "Cache-Control: public, max-age=9")},
		{status: 101, cookies: ck("SRV=a"), headers: ck("connection: upgrade", "upgrade: test"), fields: ck("connection: upgrade", "upgrade: test", "Set-Cookie: SRV = x")},
		{fields: ck("Cache-Control: private", "Cache-Control: public", "ETag: \"x\"")},
		{fields: ck("Pragma: x", "Pragma: no-cache", "ETag: \"x\"")},
	}
	r := rand.New(rand.NewPCG(oracleSeed, 3))
	random := func(name string) []oracleRequest { return randomRequests(r, name, 150) }
	return []oracleCase{
		{name: "random insert indirect", opts: insInd, servers: two, requests: random("SRV")},
		{name: "random insert", opts: Options{Name: "SRV", Mode: Insert}, servers: two, requests: random("SRV")},
		{name: "random rewrite", opts: Options{Name: "SRV", Mode: Rewrite}, servers: two, requests: random("SRV")},
		{name: "random prefix", opts: Options{Name: "SRV", Mode: Prefix}, servers: two, requests: random("SRV")},
		{name: "random prefix indirect", opts: Options{Name: "SRV", Mode: Prefix, Indirect: true}, servers: two, requests: random("SRV")},
		{name: "random passive indirect", opts: Options{Name: "SRV", Indirect: true}, servers: two, requests: random("SRV")},
		{name: "random dates", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 1800, MaxLife: 3600}, servers: two, requests: random("SRV")},
		{name: "random preserve", opts: Options{Name: "SRV", Mode: Insert, Preserve: true, NoCache: true}, servers: two, requests: random("SRV")},
		{name: "random rules", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 900}, servers: two,
			fragment: []string{"ignore-persist if { path_beg /static }", "use-server s2 if { path_beg /us }"},
			requests: func() []oracleRequest {
				q := random("SRV")
				for i := range q {
					switch i % 3 {
					case 1:
						q[i].path, q[i].flags = "/static", IgnorePersist
					case 2:
						q[i].path, q[i].use, q[i].useSrv = "/us", true, 1
					}
				}
				return q
			}()},
		{name: "random maxidle", opts: Options{Name: "SRV", Mode: Insert, MaxIdle: 1800}, servers: two, requests: random("SRV")},
		{name: "random maxlife prefix", opts: Options{Name: "SRV", Mode: Prefix, MaxLife: 1800}, servers: two, requests: random("SRV")},
		{name: "random maint", opts: insInd, servers: []oracleServer{{name: "s1", cookie: "a", state: Maint}, {name: "s2", cookie: "b"}, {name: "s3", cookie: "b"}},
			requests: random("SRV")},
		{name: "random maint persist", opts: insInd, persist: true, fragment: []string{"option persist"},
			servers: []oracleServer{{name: "s1", cookie: "a", state: Maint}, {name: "s2", cookie: "b", state: Drain}}, requests: random("SRV")},
		{name: "insert indirect nocache", opts: insInd, servers: two, requests: append(append(tokenizer, withServerCookie...), nocache...)},
		{name: "insert", opts: Options{Name: "SRV", Mode: Insert}, servers: two, requests: append(tokenizer, withServerCookie...)},
		{name: "passive", opts: Options{Name: "SRV"}, servers: two, requests: append(reqs(ck("SRV=b; x = 1"), ck("SRV=zz")), withServerCookie...)},
		{name: "passive indirect", opts: Options{Name: "SRV", Indirect: true}, servers: two, requests: append(reqs(ck("SRV=b; x = 1"), ck("SRV=zz")), withServerCookie...)},
		{name: "rewrite", opts: Options{Name: "SRV", Mode: Rewrite}, servers: two, requests: append(reqs(nil, ck("SRV=b")), withServerCookie...)},
		{name: "prefix", opts: Options{Name: "JSESSIONID", Mode: Prefix}, servers: two, requests: []oracleRequest{
			{fields: ck("Set-Cookie: JSESSIONID=abc123; Path=/")},
			{cookies: ck("x=1; JSESSIONID=b~abc123; y=2")}, {cookies: ck("JSESSIONID=b~")},
			{cookies: ck("JSESSIONID=zz~abc")}, {cookies: ck("JSESSIONID=abc")}, {cookies: ck("JSESSIONID=b")},
			{cookies: ck("JSESSIONID = b~abc ; y=2")}, {cookies: ck("JSESSIONID=b~abc~def")}, {cookies: ck("JSESSIONID=~abc")},
			{cookies: ck("JSESSIONID=a~1; JSESSIONID=b~2")},
			{cookies: ck("JSESSIONID=b~x"), fields: ck("Set-Cookie: JSESSIONID = y")},
		}},
		{name: "prefix indirect", opts: Options{Name: "JSESSIONID", Mode: Prefix, Indirect: true}, servers: two, requests: []oracleRequest{
			{cookies: ck("JSESSIONID=a~x"), fields: ck("Set-Cookie: JSESSIONID=y")},
			{fields: ck("Set-Cookie: JSESSIONID=y")},
		}},
		{name: "dates", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 1800, MaxLife: 8 * 3600}, servers: two, requests: datedRequests()},
		{name: "maxidle", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 1800}, servers: two, requests: datedRequests()},
		{name: "maxlife", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, MaxLife: 8 * 3600}, servers: two, requests: datedRequests()},
		{name: "undated", opts: Options{Name: "SRV", Mode: Insert, Indirect: true}, servers: two, requests: datedRequests()},
		{name: "attributes postonly", servers: two, opts: Options{Name: "SRV", Mode: Insert, Indirect: true, PostOnly: true, HTTPOnly: true, Secure: true,
			Domains: []string{".example.com", "foo.example.org"}, Attrs: []string{"SameSite=Strict", "Partitioned"}},
			requests: []oracleRequest{{}, {method: "POST"}, {method: "PUT"}, {method: "POST", cookies: ck("SRV=b")},
				{fields: ck("Set-Cookie: SRV=x")}, {method: "POST", fields: ck("Set-Cookie: SRV=x")}}},
		{name: "dates attributes", servers: two, opts: Options{Name: "SRV", Mode: Insert, Indirect: true, NoCache: true, MaxIdle: 600,
			Domains: []string{".example.com"}, HTTPOnly: true, Secure: true, Attrs: []string{"SameSite=None"}}, requests: datedRequests()},
		{name: "insert postonly nocache", servers: two, opts: Options{Name: "SRV", Mode: Insert, PostOnly: true, NoCache: true},
			requests: func() []oracleRequest {
				var r []oracleRequest
				for _, q := range nocache {
					q.method = "POST"
					r = append(r, q)
				}
				return append(r, nocache...)
			}()},
		{name: "preserve", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, Preserve: true}, servers: two, requests: []oracleRequest{
			{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=logout; Max-Age=0")},
			{fields: ck("Set-Cookie: SRV=logout; Max-Age=0")}, {}, {cookies: ck("SRV=b")},
		}},
		{name: "indirect preserve", opts: Options{Name: "SRV", Indirect: true, Preserve: true}, servers: two, requests: []oracleRequest{
			{cookies: ck("SRV=a"), fields: ck("Set-Cookie: SRV=x")}, {fields: ck("Set-Cookie: SRV=x")},
		}},
		{name: "maint", opts: insInd, servers: []oracleServer{{name: "s1", cookie: "a", state: Maint}, {name: "s2", cookie: "b"}},
			fragment: []string{"force-persist if { req.hdr(x-force) -m found }"},
			requests: []oracleRequest{{cookies: ck("SRV=a")}, {cookies: ck("SRV=a"), headers: ck("x-force: 1"), flags: ForcePersist}}},
		{name: "maint persist", opts: insInd, persist: true, fragment: []string{"option persist"},
			servers: []oracleServer{{name: "s1", cookie: "a", state: Maint}, {name: "s2", cookie: "b"}}, requests: reqs(ck("SRV=a"), ck("SRV=b"))},
		{name: "drain", opts: insInd, servers: []oracleServer{{name: "s1", cookie: "a", state: Drain}, {name: "s2", cookie: "b"}},
			requests: reqs(ck("SRV=a"), nil, nil)},
		{name: "rules", opts: insInd, servers: two, fragment: []string{"ignore-persist if { path_beg /static }", "use-server s2 if { path_beg /us }"},
			requests: []oracleRequest{
				{path: "/static", flags: IgnorePersist, cookies: ck("SRV=a; y=1"), fields: ck("Set-Cookie: SRV=srvset")},
				{path: "/static", flags: IgnorePersist, fields: ck("Set-Cookie: SRV = srvset")},
				{path: "/us", use: true, useSrv: 1, cookies: ck("SRV=a; x=1")},
				{path: "/us", use: true, useSrv: 1, fields: ck("Set-Cookie: SRV=x")},
			}},
		{name: "rules dates", opts: Options{Name: "SRV", Mode: Insert, Indirect: true, MaxIdle: 600, MaxLife: 3600}, servers: two, fragment: []string{"ignore-persist if { path_beg /static }", "use-server s2 if { path_beg /us }"},
			requests: []oracleRequest{
				{path: "/static", flags: IgnorePersist, cookies: ck("SRV=a; y=1"), fields: ck("Set-Cookie: SRV=srvset")},
				{path: "/static", flags: IgnorePersist, fields: ck("Set-Cookie: SRV = srvset")},
				{path: "/us", use: true, useSrv: 1, cookies: ck("SRV=a; x=1")},
				{path: "/us", use: true, useSrv: 1, fields: ck("Set-Cookie: SRV=x")},
			}},
		{name: "dead no redispatch", opts: insInd, fragment: []string{"retries 1", "timeout connect 200ms"},
			servers: []oracleServer{{name: "s1", cookie: "a", dead: true}, {name: "s2", cookie: "b"}}, requests: reqs(ck("SRV=a"))},
		{name: "dead redispatch", opts: insInd, redispatch: true, fragment: []string{"retries 1", "option redispatch", "timeout connect 200ms"},
			servers: []oracleServer{{name: "s1", cookie: "a", dead: true}, {name: "s2", cookie: "b"}}, requests: reqs(ck("SRV=a"))},
		{name: "server without cookie", opts: Options{Name: "SRV", Mode: Insert, HTTPOnly: true, Attrs: []string{"SameSite=Lax"}},
			servers: []oracleServer{{name: "s1", cookie: "a"}, {name: "s2"}}, requests: reqs(nil, nil, ck("SRV=a"))},
		{name: "shared", opts: insInd, servers: []oracleServer{{name: "s1", cookie: "a"}, {name: "s2", cookie: "a"}, {name: "s3", cookie: "c"}},
			requests: reqs(ck("SRV=a"), ck("SRV=a"))},
		{name: "dynamic", opts: Options{Name: "SRVID", Mode: Insert, Dynamic: true}, key: "mysecretphrase",
			servers: []oracleServer{{name: "s1"}, {name: "s2"}}, requests: []oracleRequest{
				{}, {},
				{cli: ck("disable dynamic-cookie backend b"), change: func(b *Backend) { b.Options.Dynamic = false }},
				{}, {cookies: ck("SRVID=x")},
				{cli: ck("enable dynamic-cookie backend b"), change: func(b *Backend) { b.Options.Dynamic = true }},
				{}, {},
				{cli: ck("set dynamic-cookie-key backend b newkey"), change: func(b *Backend) { b.Key = "newkey" }},
				{}, {},
			}},
		{name: "health", opts: insInd, servers: two, requests: []oracleRequest{
			{cli: ck("set server b/s1 health down"), change: func(b *Backend) { b.Servers[0].State = Down }, cookies: ck("SRV=a")},
			{cli: ck("set server b/s1 health stopping"), change: func(b *Backend) { b.Servers[0].State = Drain }, cookies: ck("SRV=a")},
			{cli: ck("set server b/s1 health up", "set server b/s2 state maint"), change: func(b *Backend) {
				b.Servers[0].State, b.Servers[1].State = Ready, Maint
			}, cookies: ck("SRV=b")},
			{cli: ck("set server b/s1 state drain"), change: func(b *Backend) { b.Servers[0].State = Drain }, cookies: ck("SRV=b")},
			{cookies: ck("SRV=a")},
			{},
		}},
		{name: "rewrite without server cookie", opts: Options{Name: "SRV", Mode: Rewrite}, servers: []oracleServer{{name: "s1", cookie: "a"}, {name: "s2"}},
			requests: []oracleRequest{{fields: ck("Set-Cookie: SRV=xyz")}, {fields: ck("Set-Cookie: SRV=xyz")}}},
	}
}

// datedRequests exercise maxidle and maxlife; cookies are built relative
// to the time the case runs.
func datedRequests() []oracleRequest {
	n := time.Now().Unix()
	e := func(off int64) string { return enc(n + off) }
	return []oracleRequest{
		{}, {cookies: ck("SRV=b|" + e(60) + "|" + e(60))}, {cookies: ck("SRV=b|" + e(-100) + "|" + e(-100))},
		{cookies: ck("SRV=b|" + e(-1900) + "|" + e(-1900))}, {cookies: ck("SRV=b|" + e(-60) + "|" + e(-9*3600))},
		{cookies: ck("SRV=b|" + e(86500) + "|" + e(0))}, {cookies: ck("SRV=b|" + e(3600) + "|" + e(0))},
		{cookies: ck("SRV=b|" + e(0) + "|" + e(86500))}, {cookies: ck("SRV=b")}, {cookies: ck("SRV=b|" + e(-100))},
		{cookies: ck("SRV=b|AAAAA|" + e(-100))}, {cookies: ck("SRV=b|-----|.....")}, {cookies: ck("SRV=b||" + e(-100))},
		{cookies: ck("SRV=|" + e(60))}, {cookies: ck("SRV=b|garbage|xyz")}, {cookies: ck("SRV=b|" + e(60) + "|" + e(-100))},
		{cookies: ck("SRV=b|" + e(60))}, {cookies: ck("SRV=b|"+e(-100)+"|"+e(-100), "SRV=a")},
		{cookies: ck("SRV=b|" + e(-3000) + "; SRV=a")}, {cookies: ck("SRV=b|/////|/////")},
		{cookies: ck("SRV=a; SRV=b|" + e(-3000) + "|" + e(-3000))}, {cookies: ck("SRV=a|"+e(-3000), "SRV=b")},
		{cookies: ck("SRV=a|"+e(-100), "x=1; SRV=b|"+e(60)+"|"+e(-100))},
	}
}

// oracleSeed seeds the random requests. It is logged so that a failure can
// be replayed with TETHER_ORACLE_SEED=<seed>.
var oracleSeed = func() uint64 {
	if v, err := strconv.ParseUint(os.Getenv("TETHER_ORACLE_SEED"), 10, 64); err == nil {
		return v
	}
	return rand.Uint64()
}()

func TestOracle(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	runOracleCases(t, bin)
}

// TestOracleProxy runs the same cases through another proxy that takes
// HAProxy's configuration and flags (-db -f), such as the tether binary,
// named by TETHER_BIN. It needs the features the cases use: the
// `cookie` options, force-persist, ignore-persist, use-server, option
// persist and redispatch, dynamic cookies, `option httplog` lines to stdout
// (raw), and a stats socket with `set server`, `enable|disable
// dynamic-cookie` and `set dynamic-cookie-key`.
func TestOracleProxy(t *testing.T) {
	bin := os.Getenv("TETHER_BIN")
	if bin == "" {
		t.Skip("TETHER_BIN not set (make test sets it to bin/tether): no proxy binary to replay the cases through")
	}
	runOracleCases(t, bin)
}

func runOracleCases(t *testing.T, bin string) {
	if testing.Short() {
		t.Skip("differential tests skipped in -short mode")
	}
	t.Logf("seed %d", oracleSeed)
	for _, c := range oracleCases() {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) { runOracleCase(t, bin, c) })
	}
}

// origin is a minimal HTTP/1.1 server that names itself in x-srv, echoes
// the Cookie fields it received in x-got-cookie (quoted, so that
// trailing blanks survive) and replies with the
// status and fields asked for in x-status and x-reply (base64 of lines).
type origin struct {
	name string
	ln   net.Listener
	wg   sync.WaitGroup
}

func startOrigin(t *testing.T, name string) *origin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{name: name, ln: ln}
	o.wg.Add(1)
	go o.serve()
	t.Cleanup(func() { ln.Close(); o.wg.Wait() })
	return o
}

func (o *origin) serve() {
	defer o.wg.Done()
	for {
		c, err := o.ln.Accept()
		if err != nil {
			return
		}
		o.wg.Add(1)
		go func() {
			defer o.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			o.handle(c)
		}()
	}
}

func (o *origin) handle(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		method, _, _ := strings.Cut(line, " ")
		status, reply := "200", ""
		var cookies []string
		for {
			l, err := r.ReadString('\n')
			if err != nil {
				return
			}
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				break
			}
			name, value, _ := strings.Cut(l, ":")
			value = strings.TrimLeft(value, " \t")
			switch strings.ToLower(name) {
			case "cookie":
				cookies = append(cookies, value)
			case "x-status":
				status = value
			case "x-reply":
				b, _ := base64.StdEncoding.DecodeString(value)
				reply = string(b)
			}
		}
		var w bytes.Buffer
		fmt.Fprintf(&w, "HTTP/1.1 %s X\r\nx-srv: %s\r\n", status, o.name)
		for _, ck := range cookies {
			fmt.Fprintf(&w, "x-got-cookie: %s\r\n", strconv.Quote(ck))
		}
		for _, l := range strings.Split(reply, "\n") {
			if l != "" {
				w.WriteString(l + "\r\n")
			}
		}
		if status == "101" {
			// Switch to a tunnel that the origin closes at once.
			w.WriteString("\r\n")
			_, _ = c.Write(w.Bytes())
			return
		}
		if method != "HEAD" && status != "204" && status != "304" {
			w.WriteString("content-length: 2\r\n\r\nok")
		} else {
			w.WriteString("content-length: 0\r\n\r\n")
		}
		if _, err := c.Write(w.Bytes()); err != nil {
			return
		}
	}
}

// freePort returns a port nothing listens on.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// cookieLine renders Options as HAProxy's `cookie` keyword.
func cookieLine(o Options) string {
	w := []string{"cookie", o.Name}
	if o.Mode != Passive {
		w = append(w, o.Mode.String())
	}
	for _, f := range []struct {
		on   bool
		word string
	}{{o.Indirect, "indirect"}, {o.NoCache, "nocache"}, {o.PostOnly, "postonly"}, {o.Preserve, "preserve"},
		{o.HTTPOnly, "httponly"}, {o.Secure, "secure"}, {o.Dynamic, "dynamic"}} {
		if f.on {
			w = append(w, f.word)
		}
	}
	for _, d := range o.Domains {
		w = append(w, "domain", d)
	}
	if o.MaxIdle != 0 {
		w = append(w, "maxidle", fmt.Sprint(o.MaxIdle))
	}
	if o.MaxLife != 0 {
		w = append(w, "maxlife", fmt.Sprint(o.MaxLife))
	}
	for _, a := range o.Attrs {
		w = append(w, "attr", `"`+a+`"`)
	}
	return strings.Join(w, " ")
}

// haproxyProc is a running haproxy with its log lines.
type haproxyProc struct {
	cmd  *exec.Cmd
	logs chan string // stdout: the access log
	errs chan string // stderr: alerts and warnings
	sock string
	port int
}

// caseConfig renders a case as an HAProxy configuration whose frontend
// listens on port and whose stats socket is sock.
func caseConfig(c oracleCase, addrs []netip.AddrPort, port int, sock string) string {
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "global\n    log stdout format raw local0\n    stats socket %s level admin\n", sock)
	cfg.WriteString("defaults\n    mode http\n    log global\n    timeout connect 1s\n    timeout client 5s\n    timeout server 5s\n")
	cfg.WriteString("    option httplog\n")
	fmt.Fprintf(&cfg, "frontend fe\n    bind 127.0.0.1:%d\n    default_backend b\n", port)
	fmt.Fprintf(&cfg, "backend b\n    balance roundrobin\n    %s\n", cookieLine(c.opts))
	if c.key != "" {
		fmt.Fprintf(&cfg, "    dynamic-cookie-key %s\n", c.key)
	}
	for _, f := range c.fragment {
		fmt.Fprintf(&cfg, "    %s\n", f)
	}
	for i, s := range c.servers {
		fmt.Fprintf(&cfg, "    server %s %s", s.name, addrs[i])
		if s.cookie != "" {
			fmt.Fprintf(&cfg, " cookie %s", s.cookie)
		}
		cfg.WriteString("\n")
	}
	return cfg.String()
}

// startHAProxy runs haproxy in the foreground on the configuration that
// config renders for a free port and a stats socket in a temporary
// directory, and waits until the socket answers. It is stopped at the end
// of the test.
func startHAProxy(t *testing.T, bin string, config func(port int, sock string) string) *haproxyProc {
	dir := t.TempDir()
	h := &haproxyProc{logs: make(chan string, 1024), errs: make(chan string, 1024), sock: filepath.Join(dir, "admin.sock"), port: freePort(t)}
	cfg := config(h.port, h.sock)
	path := filepath.Join(dir, "h.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	h.cmd = exec.Command(bin, "-db", "-f", path)
	// The child dies with this process, even if it is killed or times out.
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := h.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	errOut, err := h.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := h.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := func(r io.Reader, ch chan<- string) {
		s := bufio.NewScanner(r)
		for s.Scan() {
			ch <- s.Text()
		}
		close(ch)
	}
	go lines(out, h.logs)
	go lines(errOut, h.errs)
	t.Cleanup(func() {
		_ = h.cmd.Process.Kill()
		_ = h.cmd.Wait()
	})
	for i := 0; ; i++ {
		c, err := net.Dial("unix", h.sock)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("haproxy did not start: %v\n%s\n%s", err, strings.Join(h.pending(), "\n"), cfg)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return h
}

// pending returns the stderr lines received so far.
func (h *haproxyProc) pending() []string {
	var out []string
	for {
		select {
		case l, ok := <-h.errs:
			if !ok {
				return out
			}
			out = append(out, l)
		default:
			return out
		}
	}
}

// cli sends one runtime API command and returns the reply.
func (h *haproxyProc) cli(t *testing.T, cmd string) string {
	c, err := net.Dial("unix", h.sock)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := io.WriteString(c, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(c)
	return string(b)
}

// logFor waits for the log line of the request with the given path and
// returns its %tsc field.
func (h *haproxyProc) logFor(t *testing.T, path string) string {
	timeout := time.After(5 * time.Second) // generous: the machine may be busy
	for {
		select {
		case l, ok := <-h.logs:
			if !ok {
				t.Fatal("haproxy exited")
			}
			if tsc, p, ok := httplogFields(l); ok && p == path {
				return tsc
			}
		case <-timeout:
			t.Fatalf("no log line for %s", path)
		}
	}
}

// httplogFields returns the %tsc field and the request path of an httplog
// line: client [date] frontend backend/server timers status bytes CC CS tsc
// conns queues "METHOD PATH VERSION".
func httplogFields(line string) (tsc, path string, ok bool) {
	head, req, found := strings.Cut(line, " \"")
	f := strings.Fields(head)
	r := strings.Fields(req)
	if !found || len(f) != 12 || len(r) < 2 {
		return "", "", false
	}
	return f[9], r[1], true
}

// observed is what the client received.
type observed struct {
	status  int
	server  string   // x-srv, "" when no server answered
	cookies []string // x-got-cookie
	fields  []string // set-cookie and cache-control fields, "name: value"
}

func send(t *testing.T, port int, req string) observed {
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading response: %v", err)
	}
	head, _, _ := strings.Cut(string(b), "\r\n\r\n")
	lines := strings.Split(head, "\r\n")
	var o observed
	if _, err := fmt.Sscanf(lines[0], "HTTP/1.1 %d", &o.status); err != nil {
		t.Fatalf("bad status line %q", lines[0])
	}
	for _, l := range lines[1:] {
		name, value, _ := strings.Cut(l, ": ")
		switch strings.ToLower(name) {
		case "x-srv":
			o.server = value
		case "x-got-cookie":
			v, err := strconv.Unquote(value)
			if err != nil {
				t.Fatalf("bad x-got-cookie %q", value)
			}
			o.cookies = append(o.cookies, v)
		case "set-cookie", "cache-control":
			o.fields = append(o.fields, name+": "+value)
		}
	}
	return o
}

func runOracleCase(t *testing.T, bin string, c oracleCase) {
	addrs := make([]netip.AddrPort, len(c.servers))
	index := map[string]int{}
	backend := Backend{Name: "b", Options: c.opts, Key: c.key, Persist: c.persist}
	for i, s := range c.servers {
		port := freePort(t)
		if !s.dead {
			port = startOrigin(t, s.name).ln.Addr().(*net.TCPAddr).Port
		}
		addrs[i] = netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(port))
		index[s.name] = i
		backend.Servers = append(backend.Servers, Server{Cookie: s.cookie, Addr: addrs[i].Addr(),
			Port: uint32(addrs[i].Port()), State: s.state})
	}
	tb, _ := Build(&backend)
	h := startHAProxy(t, bin, func(port int, sock string) string { return caseConfig(c, addrs, port, sock) })
	for _, s := range c.servers {
		if s.state == Drain || s.state == Maint {
			word := map[State]string{Drain: "drain", Maint: "maint"}[s.state]
			if r := h.cli(t, "set server b/"+s.name+" state "+word); strings.TrimSpace(r) != "" {
				t.Fatalf("set server %s state %s: %q", s.name, word, r)
			}
		}
	}
	for i, r := range c.requests {
		for _, cmd := range r.cli {
			if reply := h.cli(t, cmd); strings.TrimSpace(reply) != "" {
				t.Fatalf("%s: %q", cmd, reply)
			}
		}
		if r.change != nil {
			r.change(&backend)
			tb, _ = Build(&backend)
		}
		path := fmt.Sprintf("%s/r%d", r.path, i)
		method := orDefault(r.method, "GET")
		var req strings.Builder
		fmt.Fprintf(&req, "%s %s HTTP/1.1\r\nhost: x\r\n", method, path)
		if r.status != 101 {
			req.WriteString("connection: close\r\n")
		}
		for _, hd := range r.headers {
			req.WriteString(hd + "\r\n")
		}
		for _, v := range r.cookies {
			req.WriteString("Cookie: " + v + "\r\n")
		}
		if r.status != 0 {
			fmt.Fprintf(&req, "x-status: %d\r\n", r.status)
		}
		if len(r.fields) > 0 {
			req.WriteString("x-reply: " + base64.StdEncoding.EncodeToString([]byte(strings.Join(r.fields, "\n"))) + "\r\n")
		}
		if method == "POST" || method == "PUT" {
			req.WriteString("content-length: 0\r\n")
		}
		req.WriteString("\r\n")
		t0 := time.Now().Unix()
		got := send(t, h.port, req.String())
		t1 := time.Now().Unix()
		tsc := h.logFor(t, path)
		if len(tsc) != 4 {
			t.Fatalf("request %d: bad %%tsc %q", i, tsc)
		}
		// The load-balancing choice is not persist's business: take it
		// from what happened.
		served := -1
		if got.server != "" {
			served = index[got.server]
		}
		ex := exchange{method: method, flags: r.flags, use: r.use, useSrv: r.useSrv, cookies: r.cookies, balance: served, redisp: -1,
			status: r.status, fields: r.fields}
		if c.redispatch {
			ex.redisp = served
		}
		var want outcome
		matched := false
		for sec := t0 - 1; sec <= t1+1 && !matched; sec++ {
			want = run(tb, sec, ex)
			if want.server >= 0 && c.servers[want.server].dead && !c.redispatch {
				want.server = -1
			}
			matched = predictionMatches(got, tsc, want, c, r)
		}
		if !matched {
			t.Errorf("request %d %s cookies %q reply %q:\n haproxy: status %d server %q cookies %q fields %q log %s\n persist: server %d cookies %q fields %q log %s",
				i, method, r.cookies, r.fields, got.status, got.server, got.cookies, got.fields, tsc[2:],
				want.server, want.forwarded, want.response, want.log)
		}
	}
}

// predictionMatches compares what HAProxy did with what persist predicts.
func predictionMatches(got observed, tsc string, want outcome, c oracleCase, r oracleRequest) bool {
	if want.server < 0 {
		// HAProxy answers 503 itself, without response processing.
		return got.server == "" && got.status == 503 && tsc[2] == want.log[0] && tsc[3] == 'N'
	}
	if got.server != c.servers[want.server].name || tsc[2:] != want.log {
		return false
	}
	var fields []string
	for _, f := range want.response {
		name, _, _ := strings.Cut(f, ": ")
		switch strings.ToLower(name) {
		case "set-cookie", "cache-control":
			fields = append(fields, strings.ToLower(name)+f[len(name):])
		}
	}
	var gotFields []string
	for _, f := range got.fields {
		name, _, _ := strings.Cut(f, ": ")
		gotFields = append(gotFields, strings.ToLower(name)+f[len(name):])
	}
	return reflect.DeepEqual(got.cookies, want.forwarded) && reflect.DeepEqual(gotFields, fields)
}
