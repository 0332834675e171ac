package runtime

import (
	"bufio"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tether/engine"
)

// checkTarget answers HTTP health checks with the status its code holds;
// with code 0 it reads the request and closes without answering, with a
// negative code it never answers.
type checkTarget struct {
	addr netip.AddrPort
	code atomic.Int32
}

// startCheckTarget listens on 127.0.0.1 until the end of the test.
func startCheckTarget(t *testing.T, code int) *checkTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	ct := &checkTarget{addr: ln.Addr().(*net.TCPAddr).AddrPort()}
	ct.code.Store(int32(code))
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go ct.serve(c)
		}
	}()
	return ct
}

func (ct *checkTarget) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	br := bufio.NewReader(c)
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if l == "\r\n" {
			break
		}
	}
	code := int(ct.code.Load())
	if code < 0 {
		_, _ = br.ReadByte() // wait for the checker to give up
	}
	if code <= 0 {
		return
	}
	fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", code, http.StatusText(code))
}

// refusingAddr returns an address of 127.0.0.1 bound by a socket that does
// not listen, so that connections to it are refused for the whole test.
func refusingAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(sa.(*unix.SockaddrInet4).Port))
}

// eventLog collects the lines a proxy sends to a UDP log target.
type eventLog struct {
	pc    net.PacketConn
	lines chan string
}

func startEventLog(t *testing.T) *eventLog {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	el := &eventLog{pc: pc, lines: make(chan string, 256)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				close(el.lines)
				return
			}
			el.lines <- maskEvent(string(buf[:n]))
		}
	}()
	return el
}

// drain returns the lines received so far.
func (el *eventLog) drain() []string {
	var out []string
	for {
		select {
		case l := <-el.lines:
			out = append(out, l)
		default:
			return out
		}
	}
}

var (
	eventHeaderRE   = regexp.MustCompile(`^<(\d+)>\w{3} [ \d]\d \d\d:\d\d:\d\d (haproxy|tether)\[\d+\]: `)
	eventDurationRE = regexp.MustCompile(`check duration: \d+ms`)
)

// maskEvent keeps a log line's priority and message, without the date,
// program and pid, and with check durations masked.
func maskEvent(line string) string {
	line = strings.TrimSuffix(line, "\n")
	line = eventHeaderRE.ReplaceAllString(line, "<$1> ")
	return eventDurationRE.ReplaceAllString(line, "check duration: Nms")
}

// settleColumns waits, at most 5 s, until columns reads the same from the
// runtime API of haproxy (hsock) and of tether (tsock), holding expect and
// no check still initializing (INI); otherwise the test fails, labelled.
func settleColumns(t *testing.T, columns func(*testing.T, string) string, hsock, tsock, label, expect string) {
	t.Helper()
	var want, got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		want, got = columns(t, hsock), columns(t, tsock)
		if got == want && strings.Contains(want, expect) && !strings.Contains(want, "INI") {
			return
		}
	}
	t.Errorf("%s (waiting for %q): columns\ntether\n%s\nhaproxy\n%s", label, expect, got, want)
}

// checkColumns returns the health check columns of `show stat` and `show
// servers state`, with what differs between runs masked: check durations,
// and whether a check is running at that instant ("* " and state bit 1).
func checkColumns(t *testing.T, sock string) string {
	var b strings.Builder
	header, rows := statRows(t, cli(t, sock, "show stat"))
	col := func(r []string, name string) string {
		for i, h := range header {
			if h == name && i < len(r) {
				return r[i]
			}
		}
		return "?"
	}
	for _, r := range rows {
		if r[1] == "FRONTEND" {
			continue
		}
		fmt.Fprintf(&b, "%s/%s:", r[0], r[1])
		for _, name := range []string{"status", "tracked", "act", "bck", "chkfail", "chkdown", "check_status", "check_code",
			"last_chk", "check_desc", "check_rise", "check_fall", "check_health"} {
			v := col(r, name)
			if name == "check_status" {
				v = strings.TrimPrefix(v, "* ")
			}
			fmt.Fprintf(&b, " %s=%s", name, v)
		}
		b.WriteString("\n")
	}
	for _, l := range strings.Split(cli(t, sock, "show servers state"), "\n") {
		f := strings.Fields(l)
		if len(f) != 25 {
			continue
		}
		st, _ := strconv.Atoi(f[13])
		health := f[12]
		if admin, _ := strconv.Atoi(f[6]); admin&int(engine.AdminMaintFlags) != 0 {
			// A check still running when maintenance began counts
			// when it ends: whether one was is a matter of timing.
			health = "M"
		}
		fmt.Fprintf(&b, "%s/%s: op=%s admin=%s check_status=%s result=%s health=%s state=%d check_port=%s check_addr=%s\n",
			f[1], f[3], f[5], f[6], f[10], f[11], health, st&^1, f[21], f[22])
	}
	return b.String()
}

// TestDifferentialHealthChecks runs haproxy 2.6 and tether on the same
// configuration in front of the same check targets, changes what the
// targets answer step by step, and compares after each step the check
// columns of `show stat` and `show servers state`, then every server
// state change both logged, in order: HTTP checks with rise and fall,
// fastinter and downinter, disable-on-404, an empty answer, a refused
// connection, a backend left with no server, a TCP check, timeouts with
// and without `timeout check`, `option log-health-checks`, and the runtime
// API's state changes.
func TestDifferentialHealthChecks(t *testing.T) {
	t.Parallel()
	a, b, z, n := startCheckTarget(t, 200), startCheckTarget(t, 503), startCheckTarget(t, 200), startCheckTarget(t, 200)
	tcp, mute := startCheckTarget(t, 0), startCheckTarget(t, -1)
	// After one result against the trend, these wait a minute (fastinter)
	// for the next check: their counters stay between the ends. Their
	// first checks come early thanks to max-spread-checks.
	fading, rising, nolb := startCheckTarget(t, 200), startCheckTarget(t, 503), startCheckTarget(t, 200)
	dead := refusingAddr(t)
	pr := startLogged(t, 1, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
    max-spread-checks 100ms
`+testDefaults+`    log global
frontend fe
    bind 127.0.0.1:%d
    default_backend web
backend web
    option httpchk GET /health
    http-check disable-on-404
    server a %s check inter 100ms rise 2 fall 2
    server b %s check inter 100ms fastinter 50ms downinter 200ms rise 1 fall 3
    server z %s check inter 100ms backup
backend gone
    server dead %s check inter 100ms
backend plain
    server t %s check inter 100ms
    server elsewhere %s check inter 100ms port %d
backend noisy
    option httpchk
    option log-health-checks
    server n %s check inter 100ms rise 2 fall 2 backup
backend mirror
    option httpchk
    http-check disable-on-404
    server ta %s track web/a
    server tb %s track web/b
    server tt %s track ta
    server tb2 %s track web/b
backend slowly
    option httpchk
    http-check disable-on-404
    server fading %s check inter 100ms fastinter 1m downinter 100ms rise 2 fall 3
    server rising %s check inter 100ms fastinter 1m downinter 100ms rise 3 fall 2
    server nolb %s check inter 100ms fastinter 1m downinter 100ms rise 2 fall 3
backend slow
    option httpchk
    timeout check 150ms
    server mute %s check inter 1s fall 1
backend slower
    option httpchk
    server late %s check inter 200ms fall 1
`, stats, log, fronts[0], a.addr, b.addr, z.addr, dead, tcp.addr, dead, tcp.addr.Port(), n.addr, a.addr, b.addr, a.addr, b.addr, fading.addr, rising.addr, nolb.addr, mute.addr, mute.addr)
	})
	hsock, tsock, hlog, tlog := pr.h.sock, pr.g.sock, pr.logs[0], pr.logs[1]

	// settle waits until both proxies show the server state expect (a
	// line of checkColumns) and the same check columns.
	settle := func(label, expect string) {
		t.Helper()
		settleColumns(t, checkColumns, hsock, tsock, label, expect)
	}
	settle("start", "slower/late: op=0")
	a.code.Store(503)
	settle("a answers 503", "web/a: op=0")
	b.code.Store(200)
	settle("b answers 200", "web/b: op=2")
	a.code.Store(404) // down: a 404 is a failure, not a conditional pass
	time.Sleep(300 * time.Millisecond)
	settle("a answers 404 while down", "web/a: op=0 admin=0 check_status=17")
	a.code.Store(200)
	settle("a answers 200", "web/a: op=2")
	a.code.Store(404)
	settle("a answers 404", "web/a: op=3")
	a.code.Store(0)
	settle("a closes", "web/a: op=0")
	z.code.Store(500)
	settle("z answers 500", "web/z: op=0")
	fading.code.Store(503)
	settle("fading fails once", "slowly/fading: op=2 admin=0 check_status=17 result=2 health=3")
	rising.code.Store(200)
	settle("rising passes once", "slowly/rising: op=0 admin=0 check_status=15 result=3 health=1")
	nolb.code.Store(404)
	settle("nolb answers 404", "slowly/nolb: op=3 admin=0 check_status=16")
	nolb.code.Store(503)
	settle("nolb fails once", "slowly/nolb: op=3 admin=0 check_status=17 result=2 health=3")
	n.code.Store(503)
	settle("n answers 503", "noisy/n: op=0")
	n.code.Store(200)
	settle("n answers 200", "noisy/n: op=2 admin=0 check_status=15 result=3 health=3")

	// The runtime API changes the states the checks drive.
	pr.both(t, "set server web/b state drain")
	settle("b drained", "web/b: op=2 admin=8")
	pr.both(t, "set server web/b state maint")
	settle("b in maintenance", "web/b: op=0 admin=1")
	pr.both(t, "set server web/b state ready")
	settle("b ready", "web/b: op=2 admin=0 check_status=15 result=3 health=3")
	pr.both(t, "set server web/z state maint")
	pr.both(t, "disable server web/a")
	settle("a and z in maintenance", "web/a: op=0 admin=1")
	pr.both(t, "set server plain/t health down")
	settle("t back up", "plain/t: op=2 admin=0 check_status=6 result=3 health=4")
	pr.both(t, "set server web/b health stopping")
	settle("b back up", "web/b: op=2 admin=0 check_status=15 result=3 health=3")
	pr.both(t, "disable health web/b")
	pr.both(t, "set server web/b health down")
	settle("b down, unchecked", "web/b: op=0 admin=0 check_status=15 result=3 health=0 state=2")
	pr.both(t, "enable health web/b")
	settle("b checked again", "web/b: op=2 admin=0 check_status=15 result=3 health=3 state=6")

	// Trackers follow web/a and web/b; their own state is not the API's.
	a.code.Store(200)
	pr.both(t, "set server mirror/ta health down")
	pr.both(t, "set server mirror/tt state maint")
	pr.both(t, "set server web/a state ready")
	settle("a ready, tt in maintenance", "web/a: op=2 admin=0 check_status=15 result=3 health=3")
	pr.both(t, "set server mirror/tt state ready")
	pr.both(t, "set server web/a state drain")
	settle("a drained", "mirror/tt: op=2 admin=16")
	pr.both(t, "set server web/a state ready")
	settle("a ready", "mirror/tt: op=2 admin=0")
	pr.both(t, "disable server web/b")
	pr.both(t, "del server web/b") // tracked: refused
	pr.both(t, "enable server web/b")
	settle("b tracked, not deleted", "mirror/tb: op=2 admin=0")

	// Where the checks go.
	pr.both(t, fmt.Sprintf("set server plain/elsewhere check-port %d", dead.Port()))
	settle("elsewhere checks a dead port", "plain/elsewhere: op=0")
	pr.both(t, fmt.Sprintf("set server plain/elsewhere check-addr 127.0.0.1 port %d", tcp.addr.Port()))
	settle("elsewhere checks the TCP target", "plain/elsewhere: op=2 admin=0 check_status=6 result=3 health=4")
	for _, cmd := range []string{"set server plain/elsewhere check-port", "set server plain/elsewhere check-port x",
		"set server plain/elsewhere check-port 70000", "set server plain/elsewhere check-port -1",
		"set server plain/elsewhere check-addr", "set server plain/elsewhere check-addr nope",
		"set server plain/elsewhere check-addr ::1 port x", "disable health plain/t", "set server plain/t check-port 1",
		"enable health plain/t"} {
		pr.both(t, cmd)
	}
	settle("after the refused changes", "plain/t: op=2")

	// A server added at run time is checked once its checks are enabled.
	pr.both(t, fmt.Sprintf("add server plain/dyn %s check inter 100ms", a.addr))
	pr.both(t, "enable server plain/dyn")
	pr.both(t, "enable health plain/dyn")
	settle("added server checked", "plain/dyn: op=2 admin=0 check_status=6 result=3 health=4")
	pr.both(t, "disable server plain/dyn")
	pr.both(t, "del server plain/dyn")
	settle("added server gone", "plain/t: op=2")

	// A server added at run time may track a configured one, not an added
	// one, and only between backends that agree on disable-on-404.
	pr.both(t, fmt.Sprintf("add server plain/dp %s track web/b", a.addr))
	pr.both(t, fmt.Sprintf("add server mirror/dt %s track web/b", a.addr))
	pr.both(t, fmt.Sprintf("add server mirror/dx %s track mirror/dt", a.addr))
	pr.both(t, fmt.Sprintf("add server mirror/dz %s track web/zz", a.addr))
	pr.both(t, fmt.Sprintf("add server mirror/dc %s check track web/b", a.addr))
	pr.both(t, "enable server mirror/dt")
	settle("added tracker", "mirror/dt: op=2 admin=0")
	pr.both(t, "set server web/b state maint")
	settle("added tracker follows", "mirror/dt: op=0 admin=2")
	pr.both(t, "set server web/b state ready")
	settle("added tracker back", "mirror/dt: op=2 admin=0")
	pr.both(t, "disable server mirror/dt")
	pr.both(t, "del server mirror/dt")

	time.Sleep(200 * time.Millisecond) // the last lines on their way
	// The backends' first checks run in an order of each proxy's own: the
	// lines are compared backend by backend, in order within each.
	want, got := byBackend(hlog.drain()), byBackend(tlog.drain())
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("state changes logged:\ntether\n%s\nhaproxy\n%s", joinGroups(got), joinGroups(want))
	}
	if len(want["web"]) < 12 {
		t.Errorf("haproxy logged only %d state changes of backend web", len(want["web"]))
	}
}

// eventBackendRE finds the backend a state change line is about.
var eventBackendRE = regexp.MustCompile(`(?:Server |backend )([^/ ]+)`)

// byBackend groups log lines by the backend they are about.
func byBackend(lines []string) map[string][]string {
	out := make(map[string][]string)
	for _, l := range lines {
		be := "?"
		if m := eventBackendRE.FindStringSubmatch(l); m != nil {
			be = m[1]
		}
		out[be] = append(out[be], l)
	}
	return out
}

// joinGroups prints grouped lines, backends in name order.
func joinGroups(g map[string][]string) string {
	var b strings.Builder
	for _, be := range slices.Sorted(maps.Keys(g)) {
		b.WriteString(be + ":\n  " + strings.Join(g[be], "\n  ") + "\n")
	}
	return b.String()
}
