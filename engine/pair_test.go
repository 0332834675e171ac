package engine

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// The differential tests run haproxy 2.6 and the engine on one
// configuration, in front of the same servers, and compare what clients,
// servers and log sockets see through each. A test writes the
// configuration once, as a template that startSide fills in for each
// proxy: {BIND} becomes a free port of 127.0.0.1 for the frontend, {LOG} a
// UDP socket of that proxy's own for its log lines, and the test names the
// rest ({SRV}, the server's address, most often). startPair starts both
// proxies on one template (startSide one of them, for a test that gives
// each its own origin), and proxyPair.views runs an exchange through each.

// The sides of a proxyPair.
const (
	sideHAProxy = 0 // haproxy 2.6
	sideEngine  = 1 // the engine under test
)

// proxySide is one proxy of a differential test, running until the test
// ends.
type proxySide struct {
	name string         // "haproxy" or "engine", for reports
	addr string         // the address of its frontend's first bind line
	logs net.PacketConn // the socket of {LOG}; nil when the configuration has none
}

// proxyPair is haproxy (sideHAProxy) and the engine (sideEngine) started on
// one configuration template.
type proxyPair [2]proxySide

// pairBase is the configuration most differential tests start from: one
// frontend in front of one backend whose one server is {SRV}.
const pairBase = `defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind {BIND}
  default_backend be
backend be
  server s1 {SRV}
`

// pairLogged is pairBase logging httplog lines to {LOG}.
var pairLogged = withLog(pairBase)

// pairLong is pairBase with client and server timeouts of 10 seconds.
var pairLong = strings.ReplaceAll(pairBase, " 5s\n", " 10s\n")

// haproxyBin returns the path of haproxy, or skips the test without it.
func haproxyBin(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	return bin
}

// haproxyBinLong is haproxyBin for a differential test that takes a while:
// it skips the test in -short mode too.
func haproxyBinLong(t *testing.T) string {
	t.Helper()
	bin := haproxyBin(t)
	if testing.Short() {
		t.Skip("differential tests skipped in -short mode")
	}
	return bin
}

// startHAProxy runs haproxy on the configuration text until the test ends
// and returns the address of its first bind line once it listens.
func startHAProxy(t *testing.T, bin, cfg string) string {
	t.Helper()
	path := t.TempDir() + "/haproxy.cfg"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-db", "-f", path)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := cfg[strings.Index(cfg, "bind ")+5:]
	addr = addr[:strings.IndexByte(addr, '\n')]
	if !within(5*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	}) {
		t.Fatal("haproxy does not listen")
	}
	return addr
}

// startSide runs haproxy (sideHAProxy, bin from haproxyBin) or the engine
// (sideEngine, bin unused) on tmpl until the test ends. It fills in {BIND}, {LOG}
// (opening the socket only when tmpl names it) and the old, new pairs of
// fill, each once over tmpl as strings.NewReplacer does.
func startSide(t *testing.T, bin string, side int, tmpl string, fill ...string) proxySide {
	t.Helper()
	s := proxySide{name: "haproxy"}
	if side == sideEngine {
		s.name = "engine"
	}
	pairs := append([]string{"{BIND}", "127.0.0.1:" + strconv.Itoa(freePort())}, fill...)
	if strings.Contains(tmpl, "{LOG}") {
		s.logs = logSocket(t)
		pairs = append(pairs, "{LOG}", s.logs.LocalAddr().String())
	}
	cfg := strings.NewReplacer(pairs...).Replace(tmpl)
	if side == sideHAProxy {
		s.addr = startHAProxy(t, bin, cfg)
	} else {
		_, s.addr = startEngine(t, cfg)
	}
	return s
}

// startPair starts haproxy and the engine on the same template and fill
// (see startSide).
func startPair(t *testing.T, bin, tmpl string, fill ...string) proxyPair {
	t.Helper()
	return proxyPair{startSide(t, bin, sideHAProxy, tmpl, fill...), startSide(t, bin, sideEngine, tmpl, fill...)}
}

// views returns what view makes of haproxy's side and of the engine's, in
// that order.
func (p proxyPair) views(view func(s proxySide) string) (haproxy, engine string) {
	return view(p[sideHAProxy]), view(p[sideEngine])
}

// drainLogs drops the lines logged to either side within d: those of
// haproxy's probe of its listener, before a test's first exchange.
func (p proxyPair) drainLogs(d time.Duration) {
	for _, s := range p {
		drainLog(s.logs, d, false)
	}
}

// loggedPair starts haproxy (index 0) and the engine (index 1) on the same
// configuration, one frontend in front of server, each logging httplog lines
// (dontlognull) to a socket of its own, and returns their addresses and log
// sockets.
func loggedPair(t *testing.T, bin, server string) (addrs [2]string, logs [2]net.PacketConn) {
	t.Helper()
	tmpl := strings.Replace(pairLogged, "  timeout connect", "  option dontlognull\n  timeout connect", 1)
	for i, s := range startPair(t, bin, tmpl, "{SRV}", server) {
		addrs[i], logs[i] = s.addr, s.logs
	}
	return addrs, logs
}

// withLog adds `option httplog` and a `log {LOG}` line to the defaults
// section of tmpl, which must start with "defaults\n  mode http\n".
func withLog(tmpl string) string {
	const head = "defaults\n  mode http\n"
	if !strings.HasPrefix(tmpl, head) {
		panic("BUG: withLog: the template does not start with " + strconv.Quote(head))
	}
	return head + "  option httplog\n  log {LOG} local0\n" + tmpl[len(head):]
}

// logSocket opens a UDP socket on 127.0.0.1 for log lines; it closes when
// the test ends.
func logSocket(t testing.TB) net.PacketConn {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// nextLog returns the next line logged to pc, waiting for it at most d.
func nextLog(pc net.PacketConn, d time.Duration) (string, error) {
	buf := make([]byte, 64<<10)
	_ = pc.SetReadDeadline(time.Now().Add(d))
	n, _, err := pc.ReadFrom(buf)
	return string(buf[:n]), err
}

// startRaw starts a raw origin serving each connection with serve until
// the test ends (testorigin.StartRaw).
func startRaw(t testing.TB, serve func(r *testorigin.Raw, c net.Conn, br *bufio.Reader)) *testorigin.Raw {
	t.Helper()
	raw, err := testorigin.StartRaw(serve)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	return raw
}

// headOrigin starts a raw origin that reads one request head on each
// connection, as it came (testorigin.ReadHead), writes what answer makes
// of it and closes; a connection has 10 seconds for all of it.
func headOrigin(t testing.TB, answer func(head string) string) *testorigin.Raw {
	t.Helper()
	return startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		head, err := testorigin.ReadHead(br)
		if err != nil {
			return
		}
		_, _ = io.WriteString(c, answer(head))
	})
}

// send connects to the side with 5 seconds for the exchange (dialFor) and
// sends req.
func (s proxySide) send(t testing.TB, req string) *client {
	t.Helper()
	c := dialFor(t, s.addr, 5*time.Second)
	c.send(req)
	return c
}

// firstGrace is how much longer untilQuiet waits for the first byte.
const firstGrace = 2 * time.Second

// dialFor connects to addr (dial) with a deadline d from now for all of
// the exchange.
func dialFor(t testing.TB, addr string, d time.Duration) *client {
	t.Helper()
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(d))
	return c
}

// untilQuiet returns what the peer sends until it closes or sends nothing
// for d once it has begun; it waits firstGrace more for the first byte, a
// proxy on a loaded machine being slow to answer a request whose answer
// itself takes time (a tarpit, a queue).
func (c *client) untilQuiet(d time.Duration) string {
	var b strings.Builder
	for first := true; ; first = false {
		wait := d
		if first {
			wait += firstGrace
		}
		_ = c.c.SetReadDeadline(time.Now().Add(wait))
		ch, err := c.br.ReadByte()
		if err != nil {
			return b.String()
		}
		b.WriteByte(ch)
	}
}

// readFields reads the fields of a head (or a trailer section) up to its
// empty line and gives each to field, its name in lower case and its value
// without surrounding blanks, as HAProxy forwards them.
func readFields(br *bufio.Reader, field func(name, value string)) error {
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return err
		}
		if l == "\r\n" {
			return nil
		}
		name, value, _ := strings.Cut(strings.TrimRight(l, "\r\n"), ":")
		field(strings.ToLower(name), strings.Trim(value, " \t"))
	}
}

// lowerNames returns a message head with its field names in lower case
// (HAProxy writes them so); the start line and lines without a colon stay
// as they are.
func lowerNames(head string) string {
	lines := strings.Split(head, "\r\n")
	for i := 1; i < len(lines); i++ {
		if name, value, ok := strings.Cut(lines[i], ":"); ok {
			lines[i] = strings.ToLower(name) + ":" + value
		}
	}
	return strings.Join(lines, "\r\n")
}
