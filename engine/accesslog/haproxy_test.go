package accesslog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The differential test sends requests through HAProxy 2.6 with every log
// format enabled, parses each line HAProxy logs into a Record, renders it
// again with AppendHTTPLog and frames it as each target does, and requires
// the same bytes. Values that differ between runs (ports, dates, timers,
// pid) come from HAProxy's own line; everything else must match.

// diffCase is one connection to HAProxy and what its log line must say.
type diffCase struct {
	name     string
	frontend string // "fe" (httplog, cookie capture), "clf" (httplog clf, cookie capture), "null" (httplog, dontlognull), "plain" (no httplog, dontlognull)
	send     []byte // sent as is; the connection is then half-closed
	method   string // expected request line; "" for <BADREQ>
	uri      string
	version  string
	status   int
	server   string
	state    string // expected %tsc; "" to take HAProxy's
	reqCook  string // expected %CC ("-" for none)
	resCook  string
	cut      bool // the request line is longer than a log line
	nolog    bool // HAProxy must log nothing
	requests int  // requests on the connection; 0 means 1
	linger   bool // stay connected past the keep-alive timeout
}

func diffCases() []diffCase {
	get := func(uri string) []byte { return []byte("GET " + uri + " HTTP/1.1\r\nhost: x\r\n\r\n") }
	long := "/" + strings.Repeat("a", 1500)
	quotes := "/" + strings.Repeat(`"`, 700)
	cases := []diffCase{
		{name: "200 with inserted cookie", frontend: "fe", send: get("/"), method: "GET", uri: "/", version: "HTTP/1.1", status: 200, server: "s1", state: "--NI", reqCook: "-", resCook: "-"},
		{name: "404 from server", frontend: "fe", send: get("/nf"), method: "GET", uri: "/nf", version: "HTTP/1.1", status: 404, server: "s1", state: "--NI", reqCook: "-", resCook: "-"},
		{name: "503 without server", frontend: "null", send: get("/x"), method: "GET", uri: "/x", version: "HTTP/1.1", status: 503, server: "<NOSRV>"},
		{name: "captured cookies", frontend: "fe", send: []byte("GET /setck HTTP/1.1\r\nhost: x\r\ncookie: SID=abc; SRV=s1\r\n\r\n"),
			method: "GET", uri: "/setck", version: "HTTP/1.1", status: 200, server: "s1", state: "--VN", reqCook: "SID=abc", resCook: "SID=srv123"},
		{name: "captured cookie printed raw", frontend: "fe", send: []byte("GET / HTTP/1.1\r\nhost: x\r\ncookie: SID=a\"b#c{\r\n\r\n"),
			method: "GET", uri: "/", version: "HTTP/1.1", status: 200, server: "s1", reqCook: `SID=a"b#c{`, resCook: "-"},
		{name: "escaped quote", frontend: "fe", send: get(`/a"b`), method: "GET", uri: `/a"b`, version: "HTTP/1.1", status: 200, server: "s1"},
		{name: "escaped high byte", frontend: "fe", send: get("/a\x80b"), method: "GET", uri: "/a\x80b", version: "HTTP/1.1", status: 200, server: "s1"},
		{name: "escaped DEL", frontend: "fe", send: get("/a\x7fb"), method: "GET", uri: "/a\x7fb", version: "HTTP/1.1", status: 400, server: "s1"}, // the Go origin refuses DEL
		{name: "braces and bar kept", frontend: "fe", send: get("/a{|}b?q=%20"), method: "GET", uri: "/a{|}b?q=%20", version: "HTTP/1.1", status: 200, server: "s1"},
		{name: "HTTP/1.0", frontend: "fe", send: []byte("GET /old HTTP/1.0\r\n\r\n"), method: "GET", uri: "/old", version: "HTTP/1.0", status: 200, server: "s1"},
		{name: "long request line", frontend: "fe", send: get(long), method: "GET", uri: long, version: "HTTP/1.1", status: 200, server: "s1", cut: true},
		{name: "long escaped request line", frontend: "fe", send: get(quotes), method: "GET", uri: quotes, version: "HTTP/1.1", status: 200, server: "s1", cut: true},
		{name: "empty connection", frontend: "fe", send: nil, status: 400, server: "<NOSRV>", state: "CR--"},
		{name: "empty connection with dontlognull", frontend: "null", send: nil, nolog: true},
		{name: "partial request", frontend: "fe", send: []byte("GET / HT"), status: 400, server: "<NOSRV>", state: "CR--"},
		{name: "invalid request", frontend: "fe", send: get("/a\x01b"), status: 400, server: "<NOSRV>", state: "PR--"},
		{name: "keep-alive", frontend: "fe", send: append(get("/k1"), get("/k2")...), method: "GET", version: "HTTP/1.1", status: 200, server: "s1", requests: 2},
		{name: "keep-alive timeout", frontend: "fe", send: get("/k1"), method: "GET", version: "HTTP/1.1", status: 200, server: "s1", linger: true},
		{name: "connect log", frontend: "plain", send: get("/")},
		{name: "connect log of an empty connection with dontlognull", frontend: "plain", send: nil, nolog: true},
	}
	// The common log format on the cases where it differs: quoted texts,
	// missing captures, no server, a cut request line, keep-alive.
	for _, c := range slices.Clone(cases) {
		switch c.name {
		case "200 with inserted cookie", "captured cookies", "captured cookie printed raw", "escaped quote",
			"long request line", "long escaped request line", "empty connection", "invalid request", "keep-alive":
			c.name, c.frontend = "clf "+c.name, "clf"
			cases = append(cases, c)
		}
	}
	// Header captures, in both formats: cut values, escapes, a field given
	// twice (the last one counts), missing fields, no response, a bad
	// request (no capture printed).
	hdr := func(extra string) []byte {
		return []byte("GET /h HTTP/1.1\r\nhost: example.com\r\n" + extra + "\r\n")
	}
	for _, f := range []string{"hdr", "clfhdr"} {
		cases = append(cases,
			diffCase{name: f + " captures", frontend: f, send: hdr("x-test: first\r\nX-Test: a{b|c}d\"e#f\\g h~\x01\r\n"), method: "GET", uri: "/h", version: "HTTP/1.1", status: 400, server: "s1"}, // the Go origin refuses \x01
			diffCase{name: f + " missing headers", frontend: f, send: []byte("GET /h HTTP/1.0\r\n\r\n"), method: "GET", uri: "/h", version: "HTTP/1.0", status: 200, server: "s1"},
			diffCase{name: f + " empty header", frontend: f, send: hdr("X-Test:\r\n"), method: "GET", uri: "/h", version: "HTTP/1.1", status: 200, server: "s1"},
			diffCase{name: f + " bad request", frontend: f, send: []byte("BAD\r\n\r\n"), status: 400, server: "<NOSRV>", state: "PR--"},
		)
	}
	// An escape sequence meets the end of the line at each of the three
	// offsets, and a plain byte after it at each offset too.
	for k := range 3 {
		for _, tail := range []string{quotes, long} {
			uri := "/" + strings.Repeat("a", 900+k) + tail[1:]
			cases = append(cases, diffCase{name: fmt.Sprintf("cut at offset %d of %.1s", k, tail[1:]), frontend: "fe", send: get(uri),
				method: "GET", uri: uri, version: "HTTP/1.1", status: 200, server: "s1", cut: true})
		}
	}
	return cases
}

// originHandler answers 404 for /nf, sets SID on /setck, 200 otherwise.
func originHandler(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/setck" {
		w.Header().Set("Set-Cookie", "SID=srv123; path=/")
	}
	if r.URL.Path == "/nf" {
		w.WriteHeader(http.StatusNotFound)
	}
	io.WriteString(w, "hello")
}

// freePort returns a TCP port free on 127.0.0.1 a moment ago.
func freePort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// fdFormats are the formats HAProxy writes to descriptors 3, 4, ... in
// the test.
var fdFormats = []logFormat{formatShort, formatPriority, formatRFC5424, formatTimed, formatISO}

// output is what one log target received.
type output struct {
	format   logFormat
	facility int
	datagram bool
	lines    []string // with their newline
}

func TestHAProxyDifferential(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	if testing.Short() {
		t.Skip("differential tests skipped in -short mode")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(originHandler)}
	go srv.Serve(ln)
	defer srv.Close()

	udpLocal, udp3164 := listenUDP(t), listenUDP(t)
	ports := map[string]int{"fe": freePort(t), "clf": freePort(t), "hdr": freePort(t), "clfhdr": freePort(t), "null": freePort(t), "plain": freePort(t)}
	var cfg strings.Builder
	fmt.Fprintf(&cfg, "defaults\n  mode http\n  timeout connect 1s\n  timeout client 2s\n  timeout server 2s\n  timeout http-request 2s\n  timeout http-keep-alive 200ms\n")
	fmt.Fprintf(&cfg, "  log %s local0\n  log %s format rfc3164 local1\n  log stdout format raw daemon\n", udpLocal.LocalAddr(), udp3164.LocalAddr())
	for i, f := range fdFormats {
		fmt.Fprintf(&cfg, "  log fd@%d format %s local%d\n", 3+i, f, 2+i)
	}
	fmt.Fprintf(&cfg, "frontend fe\n  option httplog\n  bind 127.0.0.1:%d\n  capture cookie SID len 32\n  default_backend be\n", ports["fe"])
	fmt.Fprintf(&cfg, "frontend clf\n  option httplog clf\n  bind 127.0.0.1:%d\n  capture cookie SID len 32\n  default_backend be\n", ports["clf"])
	captures := "  capture request header Host len 5\n  capture request header X-Test len 40\n" +
		"  capture response header Content-Type len 12\n  capture response header X-Missing len 8\n"
	fmt.Fprintf(&cfg, "frontend hdr\n  option httplog\n  bind 127.0.0.1:%d\n%s  default_backend be\n", ports["hdr"], captures)
	fmt.Fprintf(&cfg, "frontend clfhdr\n  option httplog clf\n  bind 127.0.0.1:%d\n%s  default_backend be\n", ports["clfhdr"], captures)
	fmt.Fprintf(&cfg, "frontend null\n  option httplog\n  option dontlognull\n  bind 127.0.0.1:%d\n  default_backend none\n", ports["null"])
	fmt.Fprintf(&cfg, "frontend plain\n  option dontlognull\n  bind 127.0.0.1:%d\n  default_backend be\n", ports["plain"])
	fmt.Fprintf(&cfg, "backend be\n  cookie SRV insert indirect nocache\n  server s1 %s cookie s1\nbackend none\n", ln.Addr())
	path := t.TempDir() + "/haproxy.cfg"
	if err := os.WriteFile(path, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(bin, "-db", "-f", path)
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var readers []*os.File
	var wg sync.WaitGroup
	collect := func(r io.Reader, o *output) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := bufio.NewReader(r)
			for {
				l, err := br.ReadString('\n')
				if l != "" {
					o.lines = append(o.lines, l)
				}
				if err != nil {
					return
				}
			}
		}()
	}
	outputs := []*output{{format: formatRaw, facility: 3}}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	collect(stdout, outputs[0])
	for i, f := range fdFormats {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		readers = append(readers, r)
		cmd.ExtraFiles = append(cmd.ExtraFiles, w)
		o := &output{format: f, facility: 18 + i}
		outputs = append(outputs, o)
		collect(r, o)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range cmd.ExtraFiles {
		f.Close()
	}
	pid := cmd.Process.Pid
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}
	defer stop()
	waitListening(t, ports["fe"], &stderr)

	cases := diffCases()
	clients := make([]string, len(cases))
	for i, c := range cases {
		clients[i] = exchange(t, i, ports[c.frontend], c.send, max(c.requests, 1), c.linger)
	}
	time.Sleep(300 * time.Millisecond)
	stop()
	for _, r := range readers {
		defer r.Close()
	}
	wg.Wait()
	outputs = append(outputs,
		&output{format: formatLocal, facility: 16, datagram: true, lines: drainUDP(udpLocal)},
		&output{format: formatRFC3164, facility: 17, datagram: true, lines: drainUDP(udp3164)})

	for i, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			checkCase(t, c, clients[i], ports[c.frontend], pid, outputs)
		})
	}
}

// waitListening waits until HAProxy accepts connections on port.
func waitListening(t *testing.T, port int, stderr *bytes.Buffer) {
	for range 100 {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			// This probe connection is logged as an empty one: let it be
			// logged before the cases start.
			time.Sleep(100 * time.Millisecond)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("haproxy did not start: %s", stderr)
}

// exchange sends data on a new connection, reads the replies to n
// requests (or until the server closes), waits for HAProxy to close the
// connection if linger is set, and returns the client address. Case i
// connects from 127.0.0.(10+i), so its log lines cannot be mistaken for
// another case's even when the kernel gives two cases the same port.
func exchange(t *testing.T, i, port int, data []byte, n int, linger bool) string {
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(10+i))}
	c, err := (&net.Dialer{LocalAddr: src}).Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	client := c.LocalAddr().String()
	c.Write(data)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if len(data) > 0 && bytes.HasPrefix(data, []byte("GET")) && bytes.HasSuffix(data, []byte("\r\n\r\n")) {
		br := bufio.NewReader(c)
		for range n {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				break
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		if linger {
			if _, err := br.ReadByte(); err != io.EOF {
				t.Errorf("keep-alive connection not closed by haproxy: %v", err)
			}
		}
	}
	time.Sleep(50 * time.Millisecond)
	return client
}

// drainUDP returns the datagrams received so far.
func drainUDP(c *net.UDPConn) []string {
	var out []string
	buf := make([]byte, 70000)
	for {
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		n, err := c.Read(buf)
		if err != nil {
			return out
		}
		out = append(out, string(buf[:n]))
	}
}

// checkCase finds the lines of one case in every output and checks them.
func checkCase(t *testing.T, c diffCase, client string, frontendPort, pid int, outputs []*output) {
	key := client + " "
	if c.frontend == "clf" || c.frontend == "clfhdr" { // each case connects from an address of its own
		host, _, _ := strings.Cut(client, ":")
		key = host + " - - "
	}
	raw := find(outputs[0].lines, key)
	switch {
	case c.nolog:
		if len(raw) != 0 {
			t.Fatalf("haproxy logged %q", raw)
		}
		return
	case len(raw) != max(c.requests, 1):
		t.Fatalf("%d raw lines for client %s, want %d", len(raw), client, max(c.requests, 1))
	}
	var lines []string
	for k, msg := range raw {
		msg = strings.TrimSuffix(msg, "\n")
		var line []byte
		if c.frontend == "plain" {
			line = AppendConnectLog(nil, netip.MustParseAddrPort(strings.TrimSpace(key)), netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), uint16(frontendPort)), "plain")
		} else {
			parse, render := parseHTTPLog, AppendHTTPLog
			switch c.frontend {
			case "clf":
				parse, render = parseCLFLog, AppendCLFLog
			case "hdr":
				parse = parseHTTPLogCaptures
			case "clfhdr":
				parse, render = parseCLFLogCaptures, AppendCLFLog
			}
			r, ok := parse(t, msg)
			if !ok {
				return
			}
			if c.cut {
				r.Method, r.URI, r.Version = []byte(c.method), []byte(c.uri), []byte(c.version)
			} else {
				checkExpected(t, c, k, r)
			}
			line = render(nil, r)
		}
		if c.cut {
			t.Logf("line of %d bytes ends with %q", len(msg), msg[len(msg)-8:])
		}
		if string(line) != msg {
			t.Fatalf("haproxy logged\n%q\nwe render\n%q", msg, line)
		}
		lines = append(lines, string(line))
	}
	for _, o := range outputs[1:] {
		got := find(o.lines, key)
		if len(got) != len(lines) {
			t.Fatalf("%v: %d lines for the client, want %d", o.format, len(got), len(lines))
		}
		for k, g := range got {
			want := frame(t, o, g, lines[k], pid)
			if g != want {
				t.Errorf("%v: haproxy sent\n%q\nwe send\n%q", o.format, g, want)
			}
		}
	}
}

// find returns the lines that contain key at a field start.
func find(lines []string, key string) []string {
	var out []string
	for _, l := range lines {
		if i := strings.Index(l, key); i == 0 || i > 0 && (l[i-1] == ' ' || l[i-1] == '>') {
			out = append(out, l)
		}
	}
	return out
}

// checkExpected compares the fields the test knows in advance.
func checkExpected(t *testing.T, c diffCase, k int, r *Record) {
	t.Helper()
	uri := c.uri
	if strings.HasPrefix(strings.TrimPrefix(c.name, "clf "), "keep-alive") {
		uri = "/k" + strconv.Itoa(k+1)
	}
	if c.method == "" && r.Method != nil || c.method != "" && !c.cut &&
		(string(r.Method) != c.method || string(r.URI) != uri || string(r.Version) != c.version) {
		t.Errorf("request %q %q %q, want %q %q %q", r.Method, r.URI, r.Version, c.method, uri, c.version)
	}
	server := r.Server
	if server == "" {
		server = "<NOSRV>"
	}
	if r.Status != c.status || server != c.server {
		t.Errorf("status %d server %s, want %d %s", r.Status, server, c.status, c.server)
	}
	state := string([]byte{r.Term.Letter(), r.Finish.Letter(), cookieLetter(r.Cookie[0]), cookieLetter(r.Cookie[1])})
	if c.state != "" && state != c.state {
		t.Errorf("state %s, want %s", state, c.state)
	}
	capture := func(b []byte) string {
		if b == nil {
			return "-"
		}
		return string(b)
	}
	if c.reqCook != "" && (capture(r.CapturedRequestCookie) != c.reqCook || capture(r.CapturedResponseCookie) != c.resCook) {
		t.Errorf("captures %s %s, want %s %s", capture(r.CapturedRequestCookie), capture(r.CapturedResponseCookie), c.reqCook, c.resCook)
	}
}

// httpLogRE splits an httplog line up to the opening quote of %r.
var httpLogRE = regexp.MustCompile(`^(\S+):(\d+) \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d\.\d{3})\] (\S+) (\S+)/(\S+) (-?\d+)/(-?\d+)/(-?\d+)/(-?\d+)/(-?\d+) (-?\d+) (\d+) (\S+) (\S+) (.)(.)(.)(.) (\d+)/(\d+)/(\d+)/(\d+)/(\+?)(\d+) (\d+)/(\d+) "(.*)$`)

// parseHTTPLog reads an httplog line back into a Record.
func parseHTTPLog(t *testing.T, line string) (*Record, bool) {
	t.Helper()
	m := httpLogRE.FindStringSubmatch(line)
	if m == nil {
		t.Errorf("unparsable line %q", line)
		return nil, false
	}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%q in %q", s, line)
		}
		return n
	}
	r := &Record{Frontend: m[4], Backend: m[5], Server: m[6]}
	r.Client = netip.AddrPortFrom(netip.MustParseAddr(m[1]), uint16(num(m[2])))
	at, err := time.ParseInLocation("02/Jan/2006:15:04:05.000", m[3], time.Local)
	if err != nil {
		t.Fatal(err)
	}
	r.Accept = at
	if r.Server == "<NOSRV>" {
		r.Server = ""
	}
	r.TR, r.Tw, r.Tc, r.Tr, r.Ta = num(m[7]), num(m[8]), num(m[9]), num(m[10]), num(m[11])
	r.Status = num(m[12])
	r.BytesOut = int64(num(m[13]))
	capture := func(s string) []byte {
		if s == "-" {
			return nil
		}
		return []byte(s)
	}
	r.CapturedRequestCookie, r.CapturedResponseCookie = capture(m[14]), capture(m[15])
	r.Term = Termination(strings.IndexByte(termLetters, m[16][0]))
	r.Finish = Finish(strings.IndexByte(finishLetters, m[17][0]))
	for i, s := range []string{m[18], m[19]} {
		if s != "-" {
			r.Cookie[i] = s[0]
		}
	}
	r.ActConn, r.FeConn, r.BeConn, r.SrvConn = num(m[20]), num(m[21]), num(m[22]), num(m[23])
	r.Redisp, r.Retries = m[24] == "+", num(m[25])
	r.SrvQueue, r.BeQueue = num(m[26]), num(m[27])
	req := unescape(t, strings.TrimSuffix(m[28], `"`))
	if req != "<BADREQ>" {
		method, rest, _ := strings.Cut(req, " ")
		i := strings.LastIndexByte(rest, ' ')
		if i < 0 {
			i = len(rest)
		}
		r.Method, r.URI, r.Version = []byte(method), []byte(rest[:i]), []byte(strings.TrimPrefix(rest[i:], " "))
	}
	return r, true
}

// captureBlocksRE finds the two capture blocks of an httplog line of the
// "hdr" frontend, before the request line.
var captureBlocksRE = regexp.MustCompile(` \{([^}]*)\} \{([^}]*)\} "`)

// parseHTTPLogCaptures reads an httplog line with header captures: the
// blocks are taken out and read back into the Record.
func parseHTTPLogCaptures(t *testing.T, line string) (*Record, bool) {
	t.Helper()
	m := captureBlocksRE.FindStringSubmatchIndex(line)
	var req, resp [][]byte
	if m != nil {
		req = splitCaptures(t, line[m[2]:m[3]], "|")
		resp = splitCaptures(t, line[m[4]:m[5]], "|")
		line = line[:m[0]] + ` "` + line[m[1]:]
	}
	r, ok := parseHTTPLog(t, line)
	if ok {
		r.RequestHeaders, r.ResponseHeaders = req, resp
	}
	return r, ok
}

// parseCLFLogCaptures reads a common log format line of the "clfhdr"
// frontend: two request and two response captures after %CS.
func parseCLFLogCaptures(t *testing.T, line string) (*Record, bool) {
	t.Helper()
	if !strings.HasSuffix(line, `"`) { // a bad request: no captures
		return parseCLFLog(t, line)
	}
	i := len(line)
	var quoted []string
	for range 4 {
		j := strings.LastIndex(line[:i-1], ` "`)
		if j < 0 {
			t.Errorf("no captures in %q", line)
			return nil, false
		}
		quoted = append([]string{line[j+2 : i-1]}, quoted...)
		i = j
	}
	r, ok := parseCLFLog(t, line[:i]+" ")
	if ok {
		r.RequestHeaders = splitCaptures(t, strings.Join(quoted[:2], "\x00"), "\x00")
		r.ResponseHeaders = splitCaptures(t, strings.Join(quoted[2:], "\x00"), "\x00")
	}
	return r, ok
}

// splitCaptures splits a capture block and decodes its #XX escapes.
func splitCaptures(t *testing.T, block, sep string) [][]byte {
	var out [][]byte
	for _, v := range strings.Split(block, sep) {
		out = append(out, []byte(unescape(t, v)))
	}
	return out
}

// clfRE splits a common log format line: the client address and date,
// then the request line; clfRestRE what follows the request line.
var (
	clfRE     = regexp.MustCompile(`^(\S+) - - \[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d) \+0000\] "(.*)$`)
	clfRestRE = regexp.MustCompile(`^(-?\d+) (\d+) "" "" (\d+) (\d{3}) "(\S+)" "(\S+)" "(\S+)" (-?\d+) (-?\d+) (-?\d+) (-?\d+) (-?\d+) (.)(.)(.)(.) (\d+) (\d+) (\d+) (\d+) (\+?)(\d+) (\d+) (\d+) "(.*)" "(.*)" $`)
)

// parseCLFLog reads a common log format line back into a Record, which
// it renders again as parseHTTPLog's would be: a cut line yields the
// client and the date only.
func parseCLFLog(t *testing.T, line string) (*Record, bool) {
	t.Helper()
	m := clfRE.FindStringSubmatch(line)
	if m == nil {
		t.Errorf("unparsable line %q", line)
		return nil, false
	}
	at, err := time.Parse("02/Jan/2006:15:04:05", m[2])
	if err != nil {
		t.Fatal(err)
	}
	r := &Record{Accept: at}
	req, rest, whole := strings.Cut(m[3], `" `)
	if !whole {
		r.Client = netip.AddrPortFrom(netip.MustParseAddr(m[1]), 0)
		return r, true
	}
	h := fmt.Sprintf("%s:0 [%s.000] ", m[1], at.Local().Format("02/Jan/2006:15:04:05"))
	f := clfRestRE.FindStringSubmatch(rest)
	if f == nil {
		t.Errorf("unparsable fields %q", rest)
		return nil, false
	}
	capture := func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	}
	// The same fields in httplog's layout, read by parseHTTPLog.
	h += fmt.Sprintf("%s %s/%s %s/%s/%s/%s/%s %s %s %s %s %s%s%s%s %s/%s/%s/%s/%s%s %s/%s \"%s\"",
		f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[1], f[2], capture(f[25]), capture(f[26]),
		f[13], f[14], f[15], f[16], f[17], f[18], f[19], f[20], f[21], f[22], f[23], f[24], req)
	r, ok := parseHTTPLog(t, h)
	if !ok {
		return nil, false
	}
	port, _ := strconv.Atoi(f[3])
	ms, _ := strconv.Atoi(f[4])
	r.Client = netip.AddrPortFrom(r.Client.Addr(), uint16(port))
	r.Accept = at.Add(time.Duration(ms) * time.Millisecond)
	return r, true
}

// unescape decodes the #XX sequences of %r.
func unescape(t *testing.T, s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '#' && i+2 < len(s) {
			n, err := strconv.ParseUint(s[i+1:i+3], 16, 8)
			if err != nil {
				t.Fatalf("bad escape in %q", s)
			}
			b = append(b, byte(n))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// headerREs match the header HAProxy puts before the message in each
// format, capturing the date where there is one.
var headerREs = map[logFormat]*regexp.Regexp{
	formatLocal:    regexp.MustCompile(`^<\d+>(\w{3} [ \d]\d \d\d:\d\d:\d\d) haproxy\[\d+\]: `),
	formatRFC3164:  regexp.MustCompile(`^<\d+>(\w{3} [ \d]\d \d\d:\d\d:\d\d) \S+ haproxy\[\d+\]: `),
	formatRFC5424:  regexp.MustCompile(`^<\d+>1 (\S+) - haproxy \d+ - - `),
	formatPriority: regexp.MustCompile(`^<\d+>`),
	formatShort:    regexp.MustCompile(`^<\d>`),
	formatTimed:    regexp.MustCompile(`^<\d>(\S+) `),
	formatISO:      regexp.MustCompile(`^(\S+) `),
	formatRaw:      regexp.MustCompile(`^`),
}

// frame renders what we send to target o for line, at the date HAProxy
// put in got.
func frame(t *testing.T, o *output, got, line string, pid int) string {
	t.Helper()
	m := headerREs[o.format].FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("%v: unexpected header in %q", o.format, got)
	}
	var now time.Time
	if len(m) > 1 {
		var err error
		if o.format == formatLocal || o.format == formatRFC3164 {
			now, err = time.ParseInLocation(rfc3164Date, m[1], time.Local)
			now = now.AddDate(time.Now().Year(), 0, 0)
		} else {
			now, err = time.Parse(isoDate, m[1])
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	var sink lines
	tg := &target{header: header{format: o.format, facility: o.facility, tag: "haproxy", pid: strconv.Itoa(pid)}, w: &sink, max: maxStream, maxLevel: len(levelNames) - 1}
	if o.datagram {
		tg.max = maxDatagram
	}
	if _, err := tg.write(nil, []byte(line), levelInfo, now); err != nil {
		t.Fatal(err)
	}
	return sink.all()[0]
}
