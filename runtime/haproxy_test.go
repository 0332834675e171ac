package runtime

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// haproxyConfig is the configuration newFake models; %d are free ports:
// three stats sockets (admin, default operator, user), the two frontends
// and the health check target of ls/x (nothing listens there).
const haproxyConfig = `global
    stats socket ipv4@127.0.0.1:%d level admin
    stats socket ipv4@127.0.0.1:%d
    stats socket ipv4@127.0.0.1:%d level user
` + testDefaults + `frontend fe
    bind 127.0.0.1:%d
    default_backend bk
backend bk
    balance roundrobin
    cookie SRVID insert dynamic
    dynamic-cookie-key mysecretphrase
    server s1 127.0.0.1:8080
    server s2 127.0.0.1:18081 weight 5
backend st
    balance static-rr
    server a 127.0.0.1:9000
listen ls
    bind 127.0.0.1:%d
    server x 127.0.0.1:%d check
`

// freePorts returns n ports of 127.0.0.1 that nothing listened on a
// moment ago and that it never returned before in this process, drawn
// from below the kernel's ephemeral range (which sockets bound to port 0
// and connections going out are given): haproxy and tether listen with
// SO_REUSEPORT, and a port another test's socket was given meanwhile
// would be shared without a word. engine/internal/testorigin.FreePort is
// the engine's tests' copy, out of reach here.
func freePorts(t *testing.T, n int) []any {
	t.Helper()
	lo := 0
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		_, _ = fmt.Sscan(string(b), &lo)
	}
	var ports []any
	for tries := 0; len(ports) < n; tries++ {
		if tries == 10000 {
			t.Fatal("no free port")
		}
		port := lo - 1 - rand.IntN(12000)
		if lo < 13024 {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port = ln.Addr().(*net.TCPAddr).Port
			ln.Close()
		}
		if _, taken := portsGiven.LoadOrStore(port, true); taken {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		ports = append(ports, port)
	}
	return ports
}

// portsGiven holds the ports freePorts returned.
var portsGiven sync.Map

// pair is the same socket level on haproxy and on tether.
type pair struct{ haproxy, tether string }

// startHAProxy runs haproxy 2.6 on the configuration text until the end of
// the test and returns once the stats socket at statsAddr (host:port)
// accepts connections. The test is skipped when haproxy 2.6 is not
// installed.
func startHAProxy(t *testing.T, text, statsAddr string) {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	if out, _ := exec.Command(bin, "-v").Output(); !bytes.Contains(out, []byte("version 2.6.")) {
		t.Skipf("haproxy is not 2.6: %s", firstLine(string(out)))
	}
	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", cfg)
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(ioTimeout)
	for {
		c, err := net.DialTimeout("tcp", statsAddr, ioTimeout)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not start: %v\n%s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startPair starts haproxy 2.6 on haproxyConfig and tether's runtime
// servers on newFake, and returns the admin, operator and user sockets of
// both. The test is skipped when haproxy is not installed.
func startPair(t *testing.T) (admin, operator, user pair) {
	t.Helper()
	ports := freePorts(t, 6)
	hp := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	startHAProxy(t, fmt.Sprintf(haproxyConfig, ports...), hp(0))
	f := newFake()
	tp := func(l Level) string { return startServer(t, l, f).Addr().String() }
	return pair{hp(0), tp(LevelAdmin)}, pair{hp(1), tp(LevelOperator)}, pair{hp(2), tp(LevelUser)}
}

// squashListings replaces the command lines under each listing head by one
// marker: the listed commands differ on purpose (our help wording), the
// heads and the framing around them must not.
func squashListings(s string) string {
	var b strings.Builder
	inListing := false
	for _, line := range strings.SplitAfter(s, "\n") {
		if inListing && strings.HasPrefix(line, "  ") {
			continue
		}
		if inListing {
			b.WriteString("<commands>\n")
		}
		head := strings.TrimPrefix(line, "> ")
		inListing = head == headHelp || head == headUnknown || head == headFuzzy
		b.WriteString(line)
	}
	return b.String()
}

func TestDifferentialFraming(t *testing.T) {
	t.Parallel()
	admin, operator, user := startPair(t)
	cases := []struct {
		p  pair
		in string
	}{
		{admin, "show cli level\n"},
		{operator, "show cli level\n"},
		{user, "show cli level\n"},
		{admin, "show cli level;operator;show cli level;user;show cli level;operator;show cli level\n"},
		{operator, "show cli level;operator;show cli level;user;show cli level;operator\n"},
		{user, "show cli level;operator;user;show cli level\n"},
		{user, "operator -;show cli level\n"},
		{admin, "operator -;show cli level\n"},
		{admin, "user -\n"},
		{operator, "user x;show cli level\n"},
		{admin, "show cli level;show backend\n"},
		{admin, "show cli level\nshow cli level\n"},
		{admin, "show cli level\r\nshow cli level\r\n"},
		{admin, "show cli level\r;show cli level\n"},
		{admin, "  show\tcli \t level  \n"},
		{admin, "show\x00cli level\n"},
		{admin, "sh\\ow cli level\n"},
		{admin, "show cli level\\\n"},
		{admin, "show cli level"},
		{admin, "show cli level\nshow cli"},
		{admin, "quit\n"},
		{admin, "show cli level;quit;show cli level\n"},
		{admin, "show cli level <<\nfoo\nbar\n\nshow cli level\n"},
		{admin, "show cli level <<\nfoo\n"},
		{admin, "prompt\nprompt\nshow cli level\n"},
		{admin, "prompt\nshow cli level\n"},
		{admin, "prompt;show cli level\n"},
		{admin, "prompt\nshow cli level <<\nfoo\n\n"},
		{admin, "prompt\nshow cli level\noperator\nshow cli level\nset dynamic-cookie-key backend bk x\nquit\n"},
		{admin, "\n"},
		{admin, ";\n"},
		{admin, "show cli level;;show cli level\n"},
		{admin, "show cli level\\;show cli level\n"},
		{admin, "show cli level\\\\;show cli level\n"},
		{admin, "show\\ cli level\n"},
		{admin, "show cli level\r\r\n"},
		{admin, "show cli\rlevel\n"},
		{admin, "show cli level\\\nshow cli level\n"},
		{admin, "\x00show cli level\n"},
		{admin, "show cli level<<\n\n"},
		{admin, "foo\n"},
		{admin, "enable dynamic-cookie\n"},
		{admin, "help\n"},
		{user, "help\n"},
		{admin, "prompt\n\nshow cli level\n"},
		{admin, "_getsocks\n"},
		{admin, "show cli level;_getsocks;show cli level\n"},
		{admin, "_getsock\n"},
	}
	for _, c := range cases {
		want := squashListings(exchange(t, "tcp", c.p.haproxy, c.in))
		got := squashListings(exchange(t, "tcp", c.p.tether, c.in))
		if got != want {
			t.Errorf("%q:\ntether  %q\nhaproxy %q", c.in, got, want)
		}
	}
}

func TestDifferentialReplies(t *testing.T) {
	t.Parallel()
	admin, operator, user := startPair(t)
	var cases []struct {
		p   pair
		cmd string
	}
	add := func(p pair, cmds ...string) {
		for _, c := range cmds {
			cases = append(cases, struct {
				p   pair
				cmd string
			}{p, c})
		}
	}
	add(operator, adminOnly...)
	add(user, adminOnly...)
	add(user, "get weight bk/s2", "show backend", "show env HOME", "set timeout cli 5", "set timeout cli 0",
		"clear counters", "clear counters all")
	add(operator, "clear counters all", "clear counters x", "clear counters")
	add(admin,
		"enable dynamic-cookie backend", "enable dynamic-cookie backend nope",
		"enable dynamic-cookie backend fe", "disable dynamic-cookie backend #9",
		"set dynamic-cookie-key backend", "set dynamic-cookie-key backend bk",
		"set dynamic-cookie-key backend nope k",
		"set server", "set server bk", "set server bk/ state ready", "set server /s1 state ready",
		"set server nope/s1 state ready", "set server bk/nope state ready",
		"set server bk/s1 state", "set server bk/s1 state foo",
		"set server bk/s1 health", "set server bk/s1 health foo",
		"set server bk/s1 weight", "set server bk/s1 weight 257", "set server bk/s1 weight -1",
		"set server bk/s1 weight 300x", "set server bk/s1 weight 10x", "set server bk/s1 weight 5%x",
		"set server bk/s1 weight x", "set server bk/s1 weight -5%", "set server st/a weight 5",
		"set server bk/s1 addr", "set server bk/s1 addr foo", "set server bk/s1 addr 127.0.0.1",
		"set server bk/s1 addr fe80::1%lo", "set server bk/s1 addr 127.1",
		"set server bk/s1 addr 127.0.0.1 port 8080", "set server bk/s1 addr 127.0.0.1 port abc",
		"set server bk/s1 addr 127.0.0.1 port", "set server bk/s1 addr 127.0.0.1 prt 10",
		"set server bk/s1 addr 127.0.0.1 port +10",
		// successes that change nothing, so both sides stay equal
		"set server bk/s1 state ready", "enable server bk/s1", "set server bk/s1 weight 1",
		"set weight bk/s2 5", "set server st/a weight 100%", "set server #3/#1 state ready",
		"disable health bk/s1", "enable health bk/s1",
		"get weight", "get weight bk", "get weight bk/nope", "get weight nope/s1",
		"get weight /s1", "get weight bk/s2", "get weight #3/#2",
		"add server", "add server bk", "add server bk/", "add server /n1 127.0.0.1:1",
		"add server nope/n1 127.0.0.1:1", "add server st/n1 127.0.0.1:1",
		"add server bk/s1 127.0.0.1:1", "add server bk/n1 127.0.0.1:1 cookie x",
		"del server", "del server bk", "del server nope/x", "del server bk/nope", "del server bk/s1",
		"show servers state nope", "show stat nope 2 -1", "show backend",
		"shutdown sessions server", "shutdown sessions server bk", "shutdown sessions server nope/s1",
		"shutdown sessions server bk/nope", "shutdown sessions server /s1",
		"set maxconn frontend", "set maxconn frontend nope 5", "set maxconn frontend bk 5",
		"set maxconn frontend fe", "set maxconn frontend fe -5", "set maxconn global",
		"set timeout", "set timeout foo 5", "set timeout cli", "set timeout cli 0", "set timeout cli x",
		"set timeout cli 99999999999", "set timeout cli 5", "set timeout cli 500ms", "set timeout cli 5sx",
		"set timeout cli 100us", "set timeout cli -1",
		"show env HOME", "show env HOM", "show env TETHER_NO_SUCH_VARIABLE", "show env HOME extra",
		"set maxconn server", "set maxconn server bk", "set maxconn server bk/s1", "set maxconn server bk/s1 x",
		"set maxconn server bk/s1 5x", "set maxconn server nope/s1 5", "set maxconn server bk/nope 5",
		"set maxconn server bk/s1 0",
	)
	for _, c := range cases {
		want := exchange(t, "tcp", c.p.haproxy, c.cmd+"\n")
		got := exchange(t, "tcp", c.p.tether, c.cmd+"\n")
		if got != want {
			t.Errorf("%q:\ntether  %q\nhaproxy %q", c.cmd, got, want)
		}
	}
}

// compareStatShape compares two `show stat` replies: the header, the rows
// (proxy and server names) and which columns each row fills.
func compareStatShape(t *testing.T, haproxy, tether string) {
	t.Helper()
	hHeader, hRows := statRows(t, haproxy)
	tHeader, tRows := statRows(t, tether)
	if !slices.Equal(tHeader, hHeader) {
		t.Fatalf("show stat header differs:\ntether  %q\nhaproxy %q", tHeader, hHeader)
	}
	if len(tRows) != len(hRows) {
		t.Fatalf("show stat: %d rows, haproxy %d", len(tRows), len(hRows))
	}
	for i := range hRows {
		h, g := hRows[i], tRows[i]
		if h[0] != g[0] || h[1] != g[1] {
			t.Errorf("row %d: %s/%s, haproxy %s/%s", i, g[0], g[1], h[0], h[1])
			continue
		}
		for j := range h {
			if (h[j] == "") != (g[j] == "") {
				t.Errorf("%s/%s column %s: tether %q, haproxy %q", h[0], h[1], hHeader[j], g[j], h[j])
			}
		}
	}
}

// TestDifferentialShow compares the shapes of the show commands: the
// `show stat` header and which columns each row fills, the `show info`
// keys, and the `show servers state` header. Values are the engine's and
// are not compared.
func TestDifferentialShow(t *testing.T) {
	t.Parallel()
	admin, _, _ := startPair(t)
	// ls/x's check columns fill once its first check has ended, which
	// comes at a different moment in each proxy: wait for both.
	checked := func(addr string) bool {
		header, rows := statRows(t, exchange(t, "tcp", addr, "show stat\n"))
		for _, r := range rows {
			if r[0] == "ls" && r[1] == "x" {
				st := r[slices.Index(header, "check_status")]
				return st != "" && st != "INI" && !strings.HasPrefix(st, "* ")
			}
		}
		return false
	}
	for deadline := time.Now().Add(10 * time.Second); !checked(admin.haproxy) || !checked(admin.tether); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("ls/x: no check ended in 10 s")
		}
	}
	compareStatShape(t, exchange(t, "tcp", admin.haproxy, "show stat\n"), exchange(t, "tcp", admin.tether, "show stat\n"))

	// Row selection (ls/x is left out: its check state depends on timing).
	for _, cmd := range []string{"show stat bk 4 -1", "show stat 3 -1 -1", "show stat #4 -1 -1",
		"show stat bk 6 2", "show stat bk 4 -1 no-maint", "show stat st 3 -1 up", "show stat 2 1 -1"} {
		names := func(addr string) (n []string) {
			_, rs := statRows(t, exchange(t, "tcp", addr, cmd+"\n"))
			for _, r := range rs {
				n = append(n, r[0]+"/"+r[1])
			}
			return n
		}
		if h, g := names(admin.haproxy), names(admin.tether); !slices.Equal(h, g) {
			t.Errorf("%s: tether %q, haproxy %q", cmd, g, h)
		}
	}

	keys := func(reply string) []string {
		var k []string
		for _, l := range strings.Split(strings.TrimSuffix(reply, "\n\n"), "\n") {
			name, _, _ := strings.Cut(l, ": ")
			k = append(k, name)
		}
		return k
	}
	hInfo := exchange(t, "tcp", admin.haproxy, "show info\n")
	tInfo := exchange(t, "tcp", admin.tether, "show info\n")
	if hk, tk := keys(hInfo), keys(tInfo); !slices.Equal(hk, tk) {
		t.Errorf("show info keys differ:\ntether  %q\nhaproxy %q", tk, hk)
	}

	// Server lines of the initial state, time since the last change
	// masked (ls/x is left out: its check state depends on timing).
	for _, cmd := range []string{"show servers state bk", "show servers state #4"} {
		h := maskState(exchange(t, "tcp", admin.haproxy, cmd+"\n"))
		g := maskState(exchange(t, "tcp", admin.tether, cmd+"\n"))
		if h != g {
			t.Errorf("%s:\ntether  %q\nhaproxy %q", cmd, g, h)
		}
	}

	head := func(reply string) string {
		lines := strings.SplitAfterN(reply, "\n", 3)
		return lines[0] + lines[1]
	}
	if h, g := head(exchange(t, "tcp", admin.haproxy, "show servers state\n")),
		head(exchange(t, "tcp", admin.tether, "show servers state\n")); h != g {
		t.Errorf("show servers state header:\ntether  %q\nhaproxy %q", g, h)
	}
}

// TestDifferentialSequence sends the same changes to both, one after the
// other, and compares every reply: the weights the runtime computes, the
// address and port messages that depend on the previous change, and
// dynamic servers coming and going.
func TestDifferentialSequence(t *testing.T) {
	t.Parallel()
	admin, _, _ := startPair(t)
	for _, cmd := range []string{
		"set server bk/s2 weight 50%", "get weight bk/s2",
		"set weight bk/s2 1000%", "get weight bk/s2",
		"set server bk/s2 weight 99999999999999999999%", "get weight bk/s2",
		"set server bk/s2 weight +7", "get weight bk/s2",
		"set server st/a weight 0%", "get weight st/a", "set server st/a weight 100%", "get weight st/a",
		"set server bk/s1 addr 127.0.0.2", "set server bk/s1 addr 127.0.0.2",
		"set server bk/s1 addr 127.0.0.2 port 8081", "set server bk/s1 addr 127.0.0.1 port abc",
		"set server bk/s1 addr ::1 port 70000", "set server bk/s1 addr ::1",
		"set server bk/s1 addr 127.0.0.2 port 8080", "set server bk/s1 addr ::ffff:127.0.0.2",
		"add server bk/n1 127.0.0.1:18082", "get weight bk/n1", "add server bk/n1 127.0.0.1:18083",
		"del server bk/n1", "get weight bk/n1",
		"disable server bk/s2", "del server bk/s2", "get weight bk/s2", "show backend",
	} {
		want := exchange(t, "tcp", admin.haproxy, cmd+"\n")
		got := exchange(t, "tcp", admin.tether, cmd+"\n")
		if got != want {
			t.Errorf("%q:\ntether  %q\nhaproxy %q", cmd, got, want)
		}
	}
}
