package engine

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reuseTemplate is the configuration of the server connection reuse
// differential tests: one thread, a server with the options {OPTS}, the
// http-reuse mode {MODE}, and {MORE}, more server lines.
const reuseTemplate = `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind {BIND}
  default_backend be
backend be
  balance roundrobin
  http-reuse {MODE}
  server s1 {SRV} {OPTS}{MORE}
`

// connOrigin starts an origin that numbers its connections from 1 in the
// order they arrive and answers every request with the number of the
// connection it came on, keeping the connection open; it answers a request
// for /slow after slowAnswer, and one for /ntlm with a 401 asking for NTLM
// authentication.
func connOrigin(t *testing.T) string { return namedConnOrigin(t, "") }

// namedConnOrigin is connOrigin answering with name before the number.
func namedConnOrigin(t *testing.T, name string) string {
	t.Helper()
	var n atomic.Int32
	o := startOrigin(t, func(c net.Conn) {
		id := name + strconv.Itoa(int(n.Add(1)))
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(c)
		for {
			first := ""
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if first == "" {
					first = l
				}
				if l == "\r\n" {
					break
				}
			}
			status := "200 OK\r\n"
			switch {
			case strings.HasPrefix(first, "GET /slow "):
				time.Sleep(slowAnswer)
			case strings.HasPrefix(first, "GET /ntlm "):
				status = "401 Unauthorized\r\nWWW-Authenticate: Basic realm=x, ntlm\r\n"
			}
			if _, err := io.WriteString(c, "HTTP/1.1 "+status+"Content-Length: "+strconv.Itoa(len(id))+"\r\n\r\n"+id); err != nil {
				return
			}
		}
	})
	return o.ln.Addr().String()
}

// slowAnswer is how long connOrigin takes to answer /slow: long enough for
// the requests sent meanwhile to need connections of their own.
const slowAnswer = 200 * time.Millisecond

// reuseSteps is a client pattern: each step is a client letter, then "r"
// for a keep-alive request, "c" for a request with Connection: close, "s"
// for a keep-alive request for /slow whose response is read at the
// client's "w" step, "n" for a keep-alive request for /ntlm, or "x" for
// the client closing its connection; "-p"
// pauses for pausePurge.
type reuseSteps []string

// pausePurge is the pause of a "-p" step (see
// TestReusePurgeHAProxyDifferential).
const pausePurge = 960 * time.Millisecond

// run plays steps through the proxy at addr, one at a time, and returns the
// origin connection each request arrived on, numbered by first
// appearance, as "A1 B2 A1 ...".
func (steps reuseSteps) run(t *testing.T, addr string) string {
	t.Helper()
	seen := map[string]int{}
	return steps.play(t, addr, func(who byte, body string) string {
		if seen[body] == 0 {
			seen[body] = len(seen) + 1
		}
		return string(who) + strconv.Itoa(seen[body])
	})
}

// play plays steps through the proxy at addr, one at a time, and returns
// what label makes of each response body, space separated.
func (steps reuseSteps) play(t *testing.T, addr string, label func(who byte, body string) string) string {
	t.Helper()
	clients := map[byte]*client{}
	var out []string
	for _, st := range steps {
		who, what := st[0], st[1]
		c := clients[who]
		switch {
		case what == 'p':
			out = append(out, st)
			time.Sleep(pausePurge)
			continue
		case what == 'x':
			if c != nil {
				_ = c.c.Close()
				delete(clients, who)
			}
			out = append(out, st)
			time.Sleep(30 * time.Millisecond)
			continue
		case c == nil:
			c = dialFor(t, addr, 5*time.Second)
			clients[who] = c
		}
		switch what {
		case 'c':
			c.send("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		case 's':
			c.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
			// Leave the proxy the time to connect before the next step.
			time.Sleep(30 * time.Millisecond)
			continue
		case 'r':
			c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		case 'n':
			c.send("GET /ntlm HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		resp, body := c.response("GET")
		if resp == nil {
			out = append(out, string(who)+"!")
			delete(clients, who)
			continue
		}
		out = append(out, label(who, body))
		if what == 'c' {
			_ = c.c.Close()
			delete(clients, who)
		}
		// The proxy parks the server connection after the response
		// went out: leave it the time to.
		time.Sleep(30 * time.Millisecond)
	}
	for _, c := range clients {
		_ = c.c.Close()
	}
	return strings.Join(out, " ")
}

// reusePatterns are the client patterns every mode and option runs.
var reusePatterns = []reuseSteps{
	{"Ar", "Ar", "Ar"},
	{"Ar", "Br", "Ar", "Br", "Ar", "Br"},
	{"Ar", "Br", "Cr", "Ar", "Cr", "Br", "Dr", "Dr"},
	{"Ar", "Ar", "Br", "Cr", "Cr", "Ar", "Dr"},
	{"Ar", "Ax", "Br", "Br", "Cr"},
	{"Ar", "Ac", "Br", "Bc", "Cr", "Cr"},
	{"Ar", "Br", "Ax", "Cr", "Br", "Bx", "Dr", "Cr", "Dr"},
	// Three connections in use at once raise the estimated need: more
	// idle ones are kept, and taken oldest first.
	{"Ar", "Br", "Cr", "As", "Bs", "Cs", "Aw", "Bw", "Cw", "Ar", "Br", "Cr", "Dr", "Dr", "Er"},
	{"As", "Bs", "Cs", "Ds", "Aw", "Bw", "Cw", "Dw", "Er", "Fr", "Br", "Dr", "Ar", "Er"},
	// One client's requests go round more servers than it keeps
	// connections for (http-reuse never).
	{"Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Ar", "Br"},
}

// reuseNTLM is the pattern of a response asking for NTLM, which makes its
// connection its client's. It runs with one server here; HAProxy also
// sends that client's later requests to the same server, which
// TestPreferHAProxyDifferential compares with several.
var reuseNTLM = reuseSteps{"An", "Br", "Ar", "Br", "Bn", "Cr", "Ar", "Cr", "Br", "Bx", "Cr", "Dr"}

// TestReuseHAProxyDifferential runs client patterns through haproxy 2.6
// and the engine, each in front of its own origin, for every http-reuse
// mode and the pool server options, and compares, request by request,
// which origin connection served it.
func TestReuseHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	cases := []struct {
		mode, opts string
		servers    int // on the same origin, taking requests in turn; 0 for 1
	}{
		{"safe", "", 0},
		{"never", "", 0},
		{"aggressive", "", 0},
		{"always", "", 0},
		{"safe", "pool-max-conn 0", 0},
		{"always", "pool-max-conn 1", 0},
		{"safe", "pool-max-conn 2", 0},
		{"safe", "pool-purge-delay 0", 0},
		{"aggressive", "pool-low-conn 2", 0},
		{"always", "max-reuse 0", 0},
		{"never", "", 2},
		{"safe", "", 2},
		{"always", "", 2},
		// A client connection keeps at most 5 connections of its own.
		{"never", "", 6},
	}
	for _, tc := range cases {
		name := strings.TrimSpace(tc.mode + " " + tc.opts)
		if tc.servers > 1 {
			name += " " + strconv.Itoa(tc.servers) + " servers"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			// Which idle connection a proxy parks first, and how many
			// it keeps, follow the timing of its events: on a loaded
			// machine the steps' pauses may not keep them apart. A run
			// whose numbering differs is made again, with fresh proxies
			// and origin; the second one's difference fails.
			for attempt := 1; ; attempt++ {
				got := reuseRun(t, bin, tc.mode, tc.opts, tc.servers)
				t.Logf("origin connections through haproxy:\n%s", got[0])
				if got[0] == got[1] {
					return
				}
				if attempt == 2 {
					t.Errorf("haproxy:\n%s\nengine:\n%s", got[0], got[1])
					return
				}
				t.Logf("tether differs, run again:\n%s", got[1])
			}
		})
	}
}

// reuseRun plays the client patterns through haproxy and tether, each in
// front of an origin of its own with servers servers (0 for 1) under
// http-reuse mode with the server options opts, and returns the origin
// connection numbering each proxy gave.
func reuseRun(t *testing.T, bin, mode, opts string, servers int) [2]string {
	var got [2]string
	for side := range 2 {
		origin, more := connOrigin(t), ""
		for i := 2; i <= servers; i++ {
			more += "\n  server s" + strconv.Itoa(i) + " " + origin
		}
		addr := startSide(t, bin, side, reuseTemplate, "{MODE}", mode, "{OPTS}", opts, "{SRV}", origin, "{MORE}", more).addr
		var all []string
		patterns := reusePatterns
		if servers <= 1 {
			patterns = append(patterns[:len(patterns):len(patterns)], reuseNTLM)
		}
		for _, p := range patterns {
			// A new origin numbering per pattern: pool leftovers of the
			// previous one are told apart.
			all = append(all, p.run(t, addr))
			time.Sleep(50 * time.Millisecond)
		}
		got[side] = strings.Join(all, "\n")
	}
	return got
}

// TestReusePurgeHAProxyDifferential compares the purge of idle
// connections. Three slow requests at once leave three idle connections
// and an estimated need of three; with pool-purge-delay 300ms, the first
// purge runs about 300ms after the first of them is parked (at ~200ms),
// and the "-p" pause (from ~290ms to ~1250ms) sees three purges, well clear
// of the fourth: the need decays over the first two and the third closes
// the excess, before the next requests look for idle connections.
func TestReusePurgeHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	steps := reuseSteps{"As", "Bs", "Cs", "Aw", "Bw", "Cw", "-p", "Ar", "Br", "Cr"}
	for _, mode := range []string{"safe", "always"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			var got [2]string
			for side := range 2 {
				addr := startSide(t, bin, side, reuseTemplate, "{MODE}", mode, "{OPTS}", "pool-purge-delay 300ms", "{SRV}", connOrigin(t), "{MORE}", "").addr
				got[side] = steps.run(t, addr)
			}
			t.Logf("origin connections through haproxy: %s", got[0])
			if got[0] != got[1] {
				t.Errorf("haproxy: %s\nengine:  %s", got[0], got[1])
			}
		})
	}
}
