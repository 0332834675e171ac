package engine

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The cookie differential test sends the same generated Cookie fields
// through HAProxy 2.6 and tether, to a frontend that captures a cookie and
// two backends, one without a `cookie` line and one with, and requires the
// same Cookie fields at the origin, the same Set-Cookie fields at the
// client and the same captures (%CC %CS) in the log line. HAProxy parses
// the cookies whenever the frontend captures one, which strips the blanks
// around '=' even when the backend has no cookie.

// cookieCase is one request of the differential test.
type cookieCase struct {
	cookies    []string // Cookie field values, sent as they are
	setCookies []string // Set-Cookie field values the origin answers with
}

// cookieOrigin records the Cookie field values of each request it receives,
// by path, and answers with the Set-Cookie fields of the case the path
// names.
type cookieOrigin struct {
	ln    net.Listener
	cases []cookieCase

	mu   sync.Mutex
	seen map[string][]string
}

func startCookieOrigin(t *testing.T, cases []cookieCase) *cookieOrigin {
	t.Helper()
	o := &cookieOrigin{cases: cases, seen: map[string][]string{}}
	o.ln = startOrigin(t, o.serve).ln
	return o
}

func (o *cookieOrigin) serve(c net.Conn) {
	defer c.Close()
	br := bufio.NewReader(c)
	for {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		path := strings.Fields(line)[1]
		cookies := []string{}
		for {
			l, err := br.ReadString('\n')
			if err != nil {
				return
			}
			l = strings.TrimRight(l, "\r\n")
			if l == "" {
				break
			}
			name, value, _ := strings.Cut(l, ":")
			if strings.EqualFold(name, "cookie") {
				cookies = append(cookies, strings.Trim(value, " \t"))
			}
		}
		o.mu.Lock()
		o.seen[path] = cookies
		o.mu.Unlock()
		i, _ := strconv.Atoi(path[strings.LastIndexByte(path, '/')+1:])
		var b strings.Builder
		b.WriteString("HTTP/1.1 200 OK\r\n")
		for _, v := range o.cases[i].setCookies {
			b.WriteString("set-cookie: " + v + "\r\n")
		}
		b.WriteString("content-length: 2\r\n\r\nok")
		if _, err := c.Write([]byte(b.String())); err != nil {
			return
		}
	}
}

func (o *cookieOrigin) cookies(path string) []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.seen[path]
}

// genCookieCases builds Cookie fields with blanks (spaces and tabs) around
// '=' and the delimiters, names with and without '=', RFC 2109 attributes,
// quoted values, names that match the capture and the backend's cookie,
// and several fields per request.
func genCookieCases(r *rand.Rand, n int) []cookieCase {
	names := []string{"SID", "SIDX", "S", "SRV", "a", "b2", "$Version", "$Path", ""}
	values := []string{"1", "s1", "abcdefghijkl", `"q ; r"`, `"x, y"`, "x y", "", "s1|AAAAA"}
	blanks := []string{"", "", " ", "  ", "\t", " \t "}
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	element := func() string {
		s := pick(blanks) + pick(names)
		if r.IntN(5) > 0 {
			s += pick(blanks) + "=" + pick(blanks) + pick(values)
		}
		return s + pick(blanks)
	}
	cases := []cookieCase{
		{cookies: []string{"a = 1; SID =  x ; b\t=\t2", "c=3 ,d = 4"}, setCookies: []string{"SID = v1 ; path=/", "X  =  y"}},
		{cookies: []string{"$Version = 1; SID = 5"}},
		{cookies: []string{"SID"}, setCookies: []string{"SID"}},
		{cookies: []string{""}},
		{cookies: []string{";", "=", " = ;  = "}},
		{cookies: []string{"SRV = s1 ; SID = 2", "SRV=s1"}},
	}
	for len(cases) < n {
		var c cookieCase
		for range 1 + r.IntN(3) {
			var f strings.Builder
			for k := range 1 + r.IntN(4) {
				if k > 0 {
					f.WriteString(pick([]string{";", ";", ","}))
				}
				f.WriteString(element())
			}
			c.cookies = append(c.cookies, strings.Trim(f.String(), " \t"))
		}
		for range r.IntN(3) {
			c.setCookies = append(c.setCookies, strings.Trim(element()+pick([]string{"", "; path=/", " ; Max-Age=5, x=1"}), " \t"))
		}
		cases = append(cases, c)
	}
	return cases
}

// proxyRun is what one proxy did with the cases, by case index.
type proxyRun struct {
	origin     [][]string // Cookie values received by the origin
	setCookies [][]string // Set-Cookie values received by the client
	captures   []string   // "%CC %CS" of the log line
}

// logTail reads the status, the two captures and the request line of an
// httplog line.
var logTail = regexp.MustCompile(` \d{3} \d+ (.*) \S{4} \d+/\d+/\d+/\d+/\d+ \d+/\d+ "GET (\S+) HTTP/1.1"\s*$`)

// captures reads the next log line, which must be the one of the request
// for path, and returns its "%CC %CS". The line of the probe that waited
// for haproxy's listener is skipped. Reading one line per request keeps
// the socket's queue short: a burst of datagrams would overflow it.
func captures(t *testing.T, logs net.PacketConn, path string) string {
	t.Helper()
	for {
		line, err := nextLog(logs, 5*time.Second)
		if err != nil {
			t.Fatalf("log line of %s: %v", path, err)
		}
		if strings.Contains(line, "<BADREQ>") {
			continue
		}
		m := logTail.FindStringSubmatch(line)
		if m == nil || m[2] != path {
			t.Fatalf("log line %q, want one for %s", line, path)
		}
		return m[1]
	}
}

// runCookieCases sends every case twice (to the backend without a cookie
// line and to the one with) on one keep-alive connection to addr.
func runCookieCases(t *testing.T, addr string, o *cookieOrigin, logs net.PacketConn, cases []cookieCase) (plain, persist proxyRun) {
	t.Helper()
	c := dial(t, addr)
	for _, prefix := range []string{"/nc/", "/ck/"} {
		run := proxyRun{origin: make([][]string, len(cases)), setCookies: make([][]string, len(cases)), captures: make([]string, len(cases))}
		for i, cs := range cases {
			var b strings.Builder
			fmt.Fprintf(&b, "GET %s%d HTTP/1.1\r\nhost: x\r\n", prefix, i)
			for _, v := range cs.cookies {
				b.WriteString("cookie: " + v + "\r\n")
			}
			b.WriteString("\r\n")
			c.send(b.String())
			resp, _ := c.response("GET")
			if resp.StatusCode != 200 {
				t.Fatalf("%s%d: status %d", prefix, i, resp.StatusCode)
			}
			run.setCookies[i] = resp.Header.Values("Set-Cookie")
			run.origin[i] = o.cookies(prefix + strconv.Itoa(i))
			run.captures[i] = captures(t, logs, prefix+strconv.Itoa(i))
		}
		if prefix == "/nc/" {
			plain = run
		} else {
			persist = run
		}
	}
	return plain, persist
}

func TestCookieHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("TETHER_COOKIE_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (TETHER_COOKIE_SEED replays it)", seed)
	cases := genCookieCases(rand.New(rand.NewPCG(seed, 5)), 300)

	// Captures: a name, a name starting with '$' (an attribute in Cookie,
	// a name like any other in Set-Cookie), one that runs into the '='.
	for _, capture := range []string{"SID len 10", "$ len 64", "SIDX= len 6"} {
		t.Run(capture, func(t *testing.T) { testCookieDifferential(t, bin, capture, cases) })
	}
}

func testCookieDifferential(t *testing.T, bin, capture string, cases []cookieCase) {
	const cfg = `defaults
  mode http
  log {LOG} local0
  option httplog
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind {BIND}
  capture cookie {CAPTURE}
  acl ck path_beg /ck/
  use_backend ck if ck
  default_backend nc
backend nc
  server s1 {SRV}
backend ck
  cookie SRV insert indirect nocache
  server s1 {SRV} cookie s1
`

	ho := startCookieOrigin(t, cases)
	hap := startSide(t, bin, sideHAProxy, cfg, "{SRV}", ho.ln.Addr().String(), "{CAPTURE}", capture)
	hPlain, hPersist := runCookieCases(t, hap.addr, ho, hap.logs, cases)

	to := startCookieOrigin(t, cases)
	eng := startSide(t, bin, sideEngine, cfg, "{SRV}", to.ln.Addr().String(), "{CAPTURE}", capture)
	tPlain, tPersist := runCookieCases(t, eng.addr, to, eng.logs, cases)

	bad := 0
	compare := func(backend string, h, g proxyRun) {
		for i, cs := range cases {
			if bad > 10 {
				return
			}
			if fmt.Sprintf("%q", h.origin[i]) != fmt.Sprintf("%q", g.origin[i]) {
				bad++
				t.Errorf("%s case %d: cookie %q: origin got %q from tether, %q from haproxy", backend, i, cs.cookies, g.origin[i], h.origin[i])
			}
			if fmt.Sprintf("%q", h.setCookies[i]) != fmt.Sprintf("%q", g.setCookies[i]) {
				bad++
				t.Errorf("%s case %d: set-cookie %q: client got %q from tether, %q from haproxy", backend, i, cs.setCookies, g.setCookies[i], h.setCookies[i])
			}
			if h.captures[i] != g.captures[i] {
				bad++
				t.Errorf("%s case %d: cookie %q, set-cookie %q: tether logged %q, haproxy %q", backend, i, cs.cookies, cs.setCookies, g.captures[i], h.captures[i])
			}
		}
	}
	compare("no cookie line", hPlain, tPlain)
	compare("cookie line", hPersist, tPersist)
}
