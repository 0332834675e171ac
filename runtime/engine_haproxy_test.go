package runtime

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
)

// diffSide is haproxy or tether in a differential test.
type diffSide struct {
	name  string
	sock  string // stats socket address
	front string // frontend address
}

// startSides starts haproxy and tether, each on the configuration config
// renders for a stats socket port and a frontend port of its own, and
// returns both sides.
func startSides(t *testing.T, config func(stats, front int) string) (h, g *diffSide) {
	t.Helper()
	p := freePorts(t, 4)
	h = &diffSide{name: "haproxy", sock: fmt.Sprintf("127.0.0.1:%d", p[0]), front: fmt.Sprintf("127.0.0.1:%d", p[1])}
	startHAProxy(t, config(p[0].(int), p[1].(int)), h.sock)
	tt := startTether(t, config(p[2].(int), p[3].(int)))
	return h, &diffSide{name: "tether", sock: tt.socket(0), front: tt.front}
}

// loggedPair is haproxy and tether started on one configuration with several
// frontends and a log target each, for the differential tests of server
// states.
type loggedPair struct {
	h, g   *diffSide
	fronts [2][]string  // each side's frontend addresses, in configuration order
	logs   [2]*eventLog // each side's log target
}

// startLogged starts haproxy and tether, each on the configuration config
// renders for a stats socket port, n frontend ports and a UDP log target
// of its own.
func startLogged(t *testing.T, n int, config func(stats int, fronts []int, log net.Addr) string) *loggedPair {
	t.Helper()
	ps := freePorts(t, 2*(n+1))
	ports := make([]int, len(ps))
	for i, v := range ps {
		ports[i] = v.(int)
	}
	hp, gp := ports[:n+1], ports[n+1:]
	pr := &loggedPair{logs: [2]*eventLog{startEventLog(t), startEventLog(t)}}
	pr.h = &diffSide{name: "haproxy", sock: fmt.Sprintf("127.0.0.1:%d", hp[0]), front: fmt.Sprintf("127.0.0.1:%d", hp[1])}
	startHAProxy(t, config(hp[0], hp[1:], pr.logs[0].pc.LocalAddr()), pr.h.sock)
	tt := startTether(t, config(gp[0], gp[1:], pr.logs[1].pc.LocalAddr()))
	pr.g = &diffSide{name: "tether", sock: tt.socket(0), front: tt.front}
	for i := range n {
		pr.fronts[0] = append(pr.fronts[0], fmt.Sprintf("127.0.0.1:%d", hp[1+i]))
		pr.fronts[1] = append(pr.fronts[1], tt.e.Listeners()[i].Addr().String())
	}
	return pr
}

// both sends cmd to the runtime API of both sides; their replies must be
// the same.
func (pr *loggedPair) both(t *testing.T, cmd string) {
	t.Helper()
	if want, got := cli(t, pr.h.sock, cmd), cli(t, pr.g.sock, cmd); got != want {
		t.Errorf("%q: tether %q, haproxy %q", cmd, got, want)
	}
}

// probe makes requests without a cookie on a new connection and returns,
// for each origin that answered, the Set-Cookie it got (joined with " | "
// when several).
func (d *diffSide) probe(t *testing.T) map[string]string {
	t.Helper()
	hc := dialHTTP(t, d.front)
	seen := map[string]string{}
	for range 12 {
		r := hc.mustGet(t, "")
		if _, ok := seen[r.server]; !ok {
			seen[r.server] = strings.Join(r.setCookie, " | ")
		}
	}
	return seen
}

// replay sends one request with each cookie and describes what happened:
// "kept by <origin>" when the cookie was honoured without a new one, or
// "reset" when a new cookie was set (which server then answers depends on
// the balancer's position, which differs between the two).
func (d *diffSide) replay(t *testing.T, cookies []string) []string {
	t.Helper()
	hc := dialHTTP(t, d.front)
	var out []string
	for _, c := range cookies {
		r := hc.mustGet(t, c)
		if len(r.setCookie) == 0 {
			out = append(out, c+" kept by "+r.server)
		} else {
			out = append(out, c+" reset")
		}
	}
	return out
}

// statColumns returns the status, weight, addr and cookie columns of
// `show stat` for each server row and the status and weight of each
// BACKEND row, keyed by proxy/server. The cookie of servers added at run
// time (named n...) is left out: tether computes it, HAProxy 2.6 does not;
// so is their weight, which HAProxy 2.6 shows as 1 while they are in
// maintenance, whatever their `weight`.
func (d *diffSide) statColumns(t *testing.T) map[string]string {
	t.Helper()
	_, rows := statRows(t, cli(t, d.sock, "show stat"))
	out := map[string]string{}
	for _, r := range rows {
		switch r[1] {
		case "FRONTEND":
		case "BACKEND":
			out[r[0]+"/"+r[1]] = strings.Join([]string{r[17], r[18], r[19]}, ",")
		default:
			if strings.HasPrefix(r[1], "n") {
				r[18], r[74] = "-", "-"
			}
			out[r[0]+"/"+r[1]] = strings.Join([]string{r[17], r[18], r[19], r[73], r[74]}, ",")
		}
	}
	return out
}

// maskState masks the time since the last change in `show servers state`.
func maskState(reply string) string {
	lines := strings.Split(reply, "\n")
	for i, l := range lines {
		if f := strings.Fields(l); len(f) == 25 {
			f[9] = "T"
			lines[i] = strings.Join(f, " ")
		}
	}
	return strings.Join(lines, "\n")
}

// TestDifferentialEngine runs haproxy 2.6 and tether on the same
// configuration in front of the same origins, sends both the same runtime
// commands, and compares the replies byte for byte, `show servers state`
// (times masked), which columns of `show stat` are filled, the state, weight, address and cookie columns of `show
// stat`, and the cookies seen
// through traffic after each step. The one intended difference: a server
// added with `add server` gets its dynamic cookie at once on tether, while
// HAProxy 2.6 gives it none until its address changes.
func TestDifferentialEngine(t *testing.T) {
	t.Parallel()
	o1, o2, o3, o4, o5 := startOrigin(t, "o1"), startOrigin(t, "o2"), startOrigin(t, "o3"),
		startOrigin(t, "o4"), startOrigin(t, "o5")
	p := freePorts(t, 4)
	h := &diffSide{name: "haproxy", sock: fmt.Sprintf("127.0.0.1:%d", p[0]), front: fmt.Sprintf("127.0.0.1:%d", p[1])}
	servers := []string{o1.addr.String(), o2.addr.String() + " weight 2", o3.addr.String() + " disabled"}
	startHAProxy(t, cookieConfig(p[0].(int), p[1].(int), servers...), h.sock)
	tt := startTether(t, cookieConfig(p[2].(int), p[3].(int), servers...))
	g := &diffSide{name: "tether", sock: tt.socket(0), front: tt.front}

	var cookies []string // every SRVID value seen so far, replayed after each step
	step := func(cmds ...string) {
		t.Helper()
		for _, cmd := range cmds {
			want, got := cli(t, h.sock, cmd), cli(t, g.sock, cmd)
			if strings.HasPrefix(cmd, "show servers state") {
				want, got = maskState(want), maskState(got)
			}
			if got != want {
				t.Errorf("%q:\ntether  %q\nhaproxy %q", cmd, got, want)
			}
		}
		label := strings.Join(cmds, "; ")
		hp, gp := h.probe(t), g.probe(t)
		if !maps.Equal(hp, gp) {
			t.Errorf("after %q, cookies set to new clients:\ntether  %q\nhaproxy %q", label, gp, hp)
		}
		for _, v := range hp {
			if c, _, _ := strings.Cut(v, ";"); c != "" && !slices.Contains(cookies, c) && !strings.HasSuffix(c, "=") {
				cookies = append(cookies, c)
			}
		}
		slices.Sort(cookies)
		if hr, gr := h.replay(t, cookies), g.replay(t, cookies); !slices.Equal(hr, gr) {
			t.Errorf("after %q, known cookies:\ntether  %q\nhaproxy %q", label, gr, hr)
		}
		if hc, gc := h.statColumns(t), g.statColumns(t); !maps.Equal(hc, gc) {
			t.Errorf("after %q, show stat columns:\ntether  %q\nhaproxy %q", label, gc, hc)
		}
	}
	addr := func(s string, o *origin) string {
		return fmt.Sprintf("set server bk/%s addr 127.0.0.1 port %d", s, o.port())
	}

	compareStatShape(t, cli(t, h.sock, "show stat"), cli(t, g.sock, "show stat"))
	step("show servers state")
	step("set server bk/s1 state drain", "show servers state bk")
	step("set server bk/s1 state maint", "show servers state")
	step("set server bk/s1 state ready", "show servers state")
	step("set server bk/s2 weight 50%", "get weight bk/s2", "set weight bk/s2 2", "get weight bk/s2")
	step("disable dynamic-cookie backend bk")
	step("enable dynamic-cookie backend bk")
	step("set dynamic-cookie-key backend bk another\\ key")
	step(addr("s1", o4), "show servers state")
	step(addr("s1", o4), addr("s2", o2))
	step("set server bk/s2 health stopping", "show servers state")
	step("set server bk/s2 health down", "show servers state")
	step("set server bk/s2 health up", "show servers state")
	step("enable server bk/s3", "show servers state")
	step("disable server bk/s3", "set server bk/s3 state drain", "show servers state")
	step("set server bk/s3 state ready", "disable server bk/s1", "show servers state")
	step("set server bk/s1 addr ::ffff:127.0.0.1", "show servers state")
	step("enable server bk/s1", addr("s1", o1))

	// add server: the reply and the state are HAProxy's; the cookie is not.
	for _, cmd := range []string{"add server bk/n1 " + o5.addr.String(), "show servers state", "enable server bk/n1"} {
		want, got := maskState(cli(t, h.sock, cmd)), maskState(cli(t, g.sock, cmd))
		if got != want {
			t.Errorf("%q:\ntether  %q\nhaproxy %q", cmd, got, want)
		}
	}
	hp, gp := h.probe(t), g.probe(t)
	if hp["o5"] != removal {
		t.Errorf("haproxy 2.6 gave the added server Set-Cookie %q; the test expects its removal cookie", hp["o5"])
	}
	if want := "SRVID=" + dynamicValue("another key", o5.addr) + "; path=/"; gp["o5"] != want {
		t.Errorf("tether gave the added server Set-Cookie %q, want its dynamic cookie %q", gp["o5"], want)
	}
	delete(hp, "o5")
	delete(gp, "o5")
	if !maps.Equal(hp, gp) {
		t.Errorf("with an added server, cookies set to new clients:\ntether  %q\nhaproxy %q", gp, hp)
	}
	for _, cmd := range []string{"add server bk/n2 foo", "add server bk/n2", "add server bk/n2 127.0.0.1:1 bogus", "add server bk/n2 127.0.0.1:1 backup", "add server bk/n3 127.0.0.1:2 weight 7 maxconn 5",
		"add server bk/n5 ::1:80", "add server bk/n6 127.0.0.1:3 disabled", "show servers state",
		"add server bk/n7 127.0.0.1:4 check", "add server bk/n9 unix@/tmp/x",
		// ids: an explicit one, one taken (by a server added at run time,
		// whose place HAProxy prints as "(null):0"), none (the first free).
		"add server bk/n10 127.0.0.1:5 id 40", "add server bk/n11 127.0.0.1:6 id 40", "add server bk/n12 127.0.0.1:7 id 0",
		"add server bk/n13 127.0.0.1:8", "show servers state"} {
		want, got := maskState(cli(t, h.sock, cmd)), maskState(cli(t, g.sock, cmd))
		if got != want {
			t.Errorf("%q:\ntether  %q\nhaproxy %q", cmd, got, want)
		}
	}
	// Once its address changes, HAProxy computes its cookie too.
	step(addr("n1", o3), "show servers state")
	step("disable server bk/n1", "del server bk/n1", "show servers state", "show backend")
}

// algoBackends are the backends of TestDifferentialAlgorithms, one per
// balancing algorithm: name and algorithm.
var algoBackends = [][2]string{{"rr", "roundrobin"}, {"first", "first"}, {"random", "random"},
	{"lc", "leastconn"}, {"source", "source"}, {"static", "static-rr"},
	{"chash", "uri\n    hash-type consistent"}, {"mapped", "uri\n    hash-type map-based"}}

// algoConfig renders frontConfig and the algoBackends, each with server s1
// at addr.
func algoConfig(stats, front int, addr string) string {
	var b strings.Builder
	b.WriteString(frontConfig(stats, front, "rr"))
	for _, be := range algoBackends {
		fmt.Fprintf(&b, "backend %s\n    balance %s\n    server s1 %s\n", be[0], be[1], addr)
	}
	return b.String()
}

// TestDifferentialAlgorithms compares which backends take weight changes and
// added servers: those whose algorithm is dynamic in HAProxy 2.6.
func TestDifferentialAlgorithms(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, "o1")
	p := freePorts(t, 4)
	hsock := fmt.Sprintf("127.0.0.1:%d", p[0])
	startHAProxy(t, algoConfig(p[0].(int), p[1].(int), o.addr.String()), hsock)
	tt := startTether(t, algoConfig(p[2].(int), p[3].(int), o.addr.String()))
	for _, be := range algoBackends {
		b := be[0]
		for _, cmd := range []string{"set weight " + b + "/s1 5", "get weight " + b + "/s1",
			"set server " + b + "/s1 weight 0%", "set server " + b + "/s1 weight 100%",
			"add server " + b + "/n 127.0.0.1:1", "show servers state " + b} {
			want, got := maskState(cli(t, hsock, cmd)), maskState(cli(t, tt.socket(0), cmd))
			if got != want {
				t.Errorf("%q:\ntether  %q\nhaproxy %q", cmd, got, want)
			}
		}
	}
}
