package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The differential test runs the built tether and haproxy 2.6 with the same
// generated configuration in front of the same origins, sends both the
// same raw requests and compares what the client gets (status, Set-Cookie,
// Cache-Control, body) and what the server got (its Cookie field, which
// server answered, as the origins report them in the response).

// diffServer is one server line of a case.
type diffServer struct {
	name, opts string // opts: the words after the address
	dead       bool   // nothing listens at its address
}

// diffCase is a backend configuration and the requests sent through it, one
// connection each, in order.
type diffCase struct {
	name     string
	backend  string // backend lines before the servers
	frontend string // frontend lines
	servers  []diffServer
	requests []string // raw requests; the Host field is added
}

var diffCases = []diffCase{
	{name: "insert indirect nocache", backend: "cookie SRV insert indirect nocache",
		servers: []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{
			"GET /?r=1", "GET /?r=2", "GET /?cc=max-age%3D60",
			"GET /\r\nCookie: SRV=b", "GET /\r\nCookie: x=1; SRV=a; y=2", "GET /\r\nCookie: SRV=zz",
			"GET /\r\nCookie: x=1\r\nCookie: SRV=b", "GET /?cc=public\r\nCookie: SRV = a ; k = v",
			"POST /?cc=max-age%3D5\r\nContent-Length: 2\r\n\r\nhi", "HEAD /?cc=max-age%3D5",
		}},
	{name: "insert", backend: "cookie SRV insert httponly secure domain .example.com attr SameSite=Lax",
		servers:  []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /", "GET /\r\nCookie: SRV=a", "GET /\r\nCookie: SRV=b; o=1", "GET /?setck=SRV%3Down"}},
	{name: "insert postonly preserve", backend: "cookie SRV insert postonly preserve",
		servers:  []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /", "POST /\r\nContent-Length: 0", "POST /?setck=SRV%3Dmine\r\nContent-Length: 0"}},
	{name: "prefix", backend: "cookie JSESSIONID prefix",
		servers: []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /?setck=JSESSIONID%3Dxyz%3B+Path%3D%2F", "GET /\r\nCookie: JSESSIONID=b~xyz",
			"GET /\r\nCookie: JSESSIONID=a~q; o=1", "GET /\r\nCookie: JSESSIONID=nope"}},
	{name: "rewrite", backend: "cookie SRV rewrite",
		servers:  []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /?setck=SRV%3Dtmp", "GET /\r\nCookie: SRV=b", "GET /?setck=OTHER%3D1"}},
	{name: "passive", backend: "cookie SRV",
		servers:  []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /\r\nCookie: SRV=b", "GET /\r\nCookie: SRV=a", "GET /?setck=SRV%3Db"}},
	{name: "dynamic", backend: "cookie SRV insert indirect dynamic\n  dynamic-cookie-key mysecretphrase",
		servers:  []diffServer{{"s1", "", false}, {"s2", "", false}},
		requests: []string{"GET /", "GET /", "GET /\r\nCookie: SRV=0000000000000000"}},
	{name: "maxidle maxlife", backend: "cookie SRV insert indirect maxidle 30m maxlife 8h",
		servers:  []diffServer{{"s1", "cookie a", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /", "GET /\r\nCookie: SRV=a", "GET /\r\nCookie: SRV=b|AAAAA|AAAAA"}},
	{name: "disabled server", backend: "cookie SRV insert indirect",
		servers:  []diffServer{{"s1", "cookie a disabled", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /\r\nCookie: SRV=a", "GET /", "GET /\r\nCookie: SRV=b"}},
	{name: "drain", backend: "cookie SRV insert indirect",
		servers:  []diffServer{{"s1", "cookie a weight 0", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /\r\nCookie: SRV=a", "GET /", "GET /"}},
	{name: "redispatch", backend: "cookie SRV insert indirect\n  option redispatch\n  retries 1",
		servers:  []diffServer{{"s1", "cookie a", true}, {"s2", "cookie b", false}},
		requests: []string{"GET /\r\nCookie: SRV=a"}},
	{name: "no redispatch", backend: "cookie SRV insert indirect\n  retries 1",
		servers:  []diffServer{{"s1", "cookie a", true}, {"s2", "cookie b", false}},
		requests: []string{"GET /\r\nCookie: SRV=a", "GET /\r\nCookie: SRV=b"}},
	{name: "persist rules", backend: "cookie SRV insert indirect\n  acl fp hdr(x-fp) -m found\n  acl ip hdr(x-ip) -m found\n  acl us path_beg /use\n" +
		"  force-persist if fp\n  ignore-persist if ip\n  use-server s2 if us",
		servers: []diffServer{{"s1", "cookie a disabled", false}, {"s2", "cookie b", false}},
		requests: []string{"GET /\r\nCookie: SRV=a\r\nX-Fp: 1", "GET /\r\nCookie: SRV=b\r\nX-Ip: 1", "GET /use\r\nCookie: SRV=a",
			"GET /?setck=SRV%3Dx\r\nX-Ip: 1"}},
	{name: "forwardfor and routing", backend: "option forwardfor",
		frontend: "acl api path_beg /api\n  use_backend other if api",
		servers:  []diffServer{{"s1", "", false}},
		requests: []string{"GET /api/x", "GET /\r\nX-Forwarded-For: 10.0.0.1", "GET /?status=404"}},
}

// diffOrigin answers with its name, the Cookie fields it got, and what the
// query asks: setck (a Set-Cookie), cc (a Cache-Control), status.
func diffOrigin(t *testing.T, name string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		h := w.Header()
		h.Set("X-Server", name)
		h.Set("X-Seen-Cookie", strings.Join(r.Header.Values("Cookie"), " | "))
		h.Set("X-Seen-Xff", r.Header.Get("X-Forwarded-For"))
		if v := q.Get("setck"); v != "" {
			h.Add("Set-Cookie", v)
		}
		if v := q.Get("cc"); v != "" {
			h.Set("Cache-Control", v)
		}
		st := 200
		if q.Get("status") != "" {
			fmt.Sscan(q.Get("status"), &st)
		}
		w.WriteHeader(st)
		_, _ = io.WriteString(w, "body of "+name)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// diffConfig renders the configuration of a case listening on port.
func diffConfig(c *diffCase, port int, addrs []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n  nbthread 1\ndefaults\n  mode http\n  timeout connect 200ms\n  timeout client 5s\n  timeout server 5s\n")
	fmt.Fprintf(&b, "frontend fe\n  bind 127.0.0.1:%d\n  %s\n  default_backend be\n", port, c.frontend)
	fmt.Fprintf(&b, "backend be\n  %s\n", c.backend)
	for i, s := range c.servers {
		fmt.Fprintf(&b, "  server %s %s %s\n", s.name, addrs[i], s.opts)
	}
	fmt.Fprintf(&b, "backend other\n  server o1 %s\n", addrs[len(addrs)-1])
	return b.String()
}

// observed is what one request showed, normalised for comparison.
type observed struct {
	Status                  int
	SetCookie, CacheControl []string
	Body                    string
	Server, Cookie, XFF     string
}

// dates masks the date part of cookie values written with maxidle/maxlife.
var dates = regexp.MustCompile(`\|[A-Za-z0-9+/]{5}(\|[A-Za-z0-9+/]{5})?`)

func exchange(t *testing.T, addr, raw string) observed {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	line, rest, _ := strings.Cut(raw, "\r\n")
	req := line + " HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n"
	if rest != "" {
		head, body, hasBody := strings.Cut(rest, "\r\n\r\n")
		req += head + "\r\n"
		if hasBody {
			req += "\r\n" + body
		} else {
			req += "\r\n"
		}
	} else {
		req += "\r\n"
	}
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	method := strings.Fields(line)[0]
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%q: %v", raw, err)
	}
	body, _ := io.ReadAll(resp.Body)
	o := observed{Status: resp.StatusCode, CacheControl: resp.Header.Values("Cache-Control"), Body: string(body),
		Server: resp.Header.Get("X-Server"), Cookie: resp.Header.Get("X-Seen-Cookie"), XFF: resp.Header.Get("X-Seen-Xff")}
	for _, v := range resp.Header.Values("Set-Cookie") {
		o.SetCookie = append(o.SetCookie, dates.ReplaceAllString(v, "|DATE"))
	}
	return o
}

// runProxy starts args (a proxy and its flags) with the configuration cfg
// and waits until port accepts.
func runProxy(t *testing.T, dir, name string, args []string, cfg string, port int) {
	path := filepath.Join(dir, name+".cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	startProcess(t, args[0], append(args[1:], "-f", path)...)
	waitUp(t, fmt.Sprintf("127.0.0.1:%d", port))
}

func TestDifferentialHAProxy(t *testing.T) {
	hap, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: no differential test against HAProxy 2.6")
	}
	if testing.Short() {
		t.Skip("differential test skipped in -short mode")
	}
	dir := t.TempDir()
	bin := buildTether(t, dir)
	for _, c := range diffCases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			var addrs []string
			for _, s := range c.servers {
				if s.dead {
					addrs = append(addrs, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
				} else {
					addrs = append(addrs, diffOrigin(t, s.name))
				}
			}
			addrs = append(addrs, diffOrigin(t, "other"))
			hp, tp := freePort(t), freePort(t)
			runProxy(t, dir, "haproxy", []string{hap, "-db"}, diffConfig(&c, hp, addrs), hp)
			runProxy(t, dir, "tether", []string{bin}, diffConfig(&c, tp, addrs), tp)
			for _, r := range c.requests {
				want := exchange(t, fmt.Sprintf("127.0.0.1:%d", hp), r)
				got := exchange(t, fmt.Sprintf("127.0.0.1:%d", tp), r)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%q:\n tether  %#v\n haproxy %#v", r, got, want)
				}
			}
		})
	}
}
