package runtime

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// slowstartColumns returns the columns of `show stat` and `show servers
// state` a slow start moves: status, weight, throttle, act, bck, lastchg,
// uweight, and the operational state (1 while starting). lastchg is
// masked on the rows of steady, which count it from the proxy's start.
func slowstartColumns(t *testing.T, sock string, steady ...string) string {
	var b strings.Builder
	header, rows := statRows(t, cli(t, sock, "show stat"))
	for _, r := range rows {
		if r[1] == "FRONTEND" {
			continue
		}
		row := r[0] + "/" + r[1]
		b.WriteString(row + ":")
		for _, name := range []string{"status", "weight", "throttle", "act", "bck", "lastchg", "uweight"} {
			for i, h := range header {
				switch {
				case h != name:
				case name == "lastchg" && slices.Contains(steady, row):
					b.WriteString(" lastchg=-")
				default:
					fmt.Fprintf(&b, " %s=%s", name, r[i])
				}
			}
		}
		b.WriteString("\n")
	}
	for _, l := range strings.Split(cli(t, sock, "show servers state"), "\n") {
		if f := strings.Fields(l); len(f) == 25 {
			fmt.Fprintf(&b, "%s/%s: op=%s admin=%s uweight=%s iweight=%s\n", f[1], f[3], f[5], f[6], f[7], f[8])
		}
	}
	return b.String()
}

// TestDifferentialSlowstart runs haproxy 2.6 and tether on one
// configuration whose servers have `slowstart`, brings them up through the
// runtime API (leaving maintenance, `set server ... health up`), and
// compares, second by second through the slow starts, the columns a slow
// start moves (weight, throttle, status, lastchg, the starting state), for
// a dynamic algorithm (roundrobin, leastconn), a static one (static-rr,
// whose weights do not ramp) and a tracking server with a slow start of
// its own; then every line both logged, the second UP at the end of a slow
// start included.
func TestDifferentialSlowstart(t *testing.T) {
	a, b, s, u, l := startOrigin(t, "a"), startOrigin(t, "b"), startOrigin(t, "s"), startOrigin(t, "u"), startOrigin(t, "l")
	config := func(stats, front int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
frontend fe
    bind 127.0.0.1:%d
    default_backend web
backend web
    balance roundrobin
    server a %s check inter 200ms weight 100 slowstart 5s
    server b %s weight 100
backend fixed
    balance static-rr
    server s %s weight 10 slowstart 4s
    server u %s weight 10
backend least
    balance leastconn
    default-server slowstart 3500ms
    server l %s weight 3
    server m %s weight 7 slowstart 0
backend mirror
    server ta %s track web/a weight 50 slowstart 2s
`, stats, log, front, a.addr, b.addr, s.addr, u.addr, l.addr, l.addr, a.addr)
	}
	p := freePorts(t, 4)
	hlog, tlog := startEventLog(t), startEventLog(t)
	hsock := fmt.Sprintf("127.0.0.1:%d", p[0])
	startHAProxy(t, config(p[0].(int), p[1].(int), hlog.pc.LocalAddr()), hsock)
	tt := startTether(t, config(p[2].(int), p[3].(int), tlog.pc.LocalAddr()))
	tsock := tt.socket(0)
	both := func(cmd string) {
		t.Helper()
		if want, got := cli(t, hsock, cmd), cli(t, tsock, cmd); got != want {
			t.Errorf("%q: tether %q, haproxy %q", cmd, got, want)
		}
	}
	same := func(label string) {
		t.Helper()
		steady := []string{"web/b", "web/BACKEND", "fixed/u", "fixed/BACKEND"}
		if want, got := slowstartColumns(t, hsock, steady...), slowstartColumns(t, tsock, steady...); got != want {
			t.Errorf("%s: columns\ntether\n%s\nhaproxy\n%s", label, got, want)
		}
	}

	// Stop the servers, then bring them up at a tenth of a second past a
	// second: the slow starts count whole seconds of the clock, and both
	// proxies must see the same second.
	both("set server web/a state maint")
	both("set server fixed/s health down")
	both("set server least/l health down")
	both("set server least/m health down")
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(1100 * time.Millisecond)))
	start := time.Now()
	both("set server web/a state ready")
	both("set server fixed/s health up")
	both("set server least/l health up")
	both("set server least/m health up")
	// Sample half-way between the steps, which come every second from
	// when the servers came up.
	for k := range 7 {
		time.Sleep(time.Until(start.Add(time.Duration(k)*time.Second + 500*time.Millisecond)))
		same(fmt.Sprintf("%d s after coming up", k))
	}
	sameLines(t, "slow starts", hlog, tlog)
}
