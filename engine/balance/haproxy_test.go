package balance

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"tether/engine/config"
	"tether/engine/internal/testorigin"
)

// diffRequest is one request of a differential scenario.
type diffRequest struct {
	target string
	header string // a whole header line without CRLF, or ""
	src    string // the client's source address
}

// diffScenario is one listen section run through haproxy and through a
// Picker built from the same configuration.
type diffScenario struct {
	name    string
	balance string   // the balance line's arguments, maybe followed by more lines
	servers []string // server line options after the address
	reqs    []diffRequest
}

// TestHAProxyDifferential sends the same requests through haproxy 2.6 and
// through Pick, and checks that every request lands on the same server.
func TestHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	runScenarios(t, bin, diffScenarios())
}

// runScenarios runs scenarios through one haproxy process and through Pick.
func runScenarios(t *testing.T, bin string, scenarios []diffScenario) {
	model, ports := startScenarios(t, bin, scenarios)
	names := make([]string, diffOrigins)
	for i := range names {
		names[i] = "s" + strconv.Itoa(i+1)
	}
	for k, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			px := model.Backend(sc.name)
			servers := serversOf(px)
			tab, err := NewTable(px.Balance, servers, NewCounters(len(servers)))
			if err != nil {
				t.Fatal(err)
			}
			p := tab.NewPicker(nil)
			addr := "127.0.0.1:" + strconv.Itoa(ports[k])
			for n, r := range sc.reqs {
				got := send(t, addr, r)
				k := diffKey(r, px.Balance)
				want := p.Pick(&k, -1)
				if pickName(names, want) != got {
					t.Fatalf("request %d %+v: haproxy chose %s, Pick chose %d", n, r, got, want)
				}
			}
		})
	}
}

// diffOrigins is the number of origin servers of the scenarios, named s1
// to s6 after the servers of the listen sections.
const diffOrigins = 6

// startScenarios starts the origins and one haproxy process with a listen
// section per scenario, and returns the parsed configuration and each
// scenario's port.
func startScenarios(t *testing.T, bin string, scenarios []diffScenario) (*config.Config, []int) {
	t.Helper()
	addrs := make([]string, diffOrigins)
	for i := range addrs {
		addrs[i] = startOrigin(t, "s"+strconv.Itoa(i+1))
	}
	ports := freePorts(t, len(scenarios))
	var cfg strings.Builder
	cfg.WriteString("global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n")
	for k, sc := range scenarios {
		fmt.Fprintf(&cfg, "listen %s\n    bind 127.0.0.1:%d\n    balance %s\n", sc.name, ports[k], sc.balance)
		for i, opts := range sc.servers {
			fmt.Fprintf(&cfg, "    server s%d %s %s\n", i+1, addrs[i], opts)
		}
	}
	model := startModel(t, bin, cfg.String(), ports)
	return model, ports
}

// diffScenarios lists the differential scenarios.
func diffScenarios() []diffScenario {
	seq := func(n int) []diffRequest {
		r := make([]diffRequest, n)
		for i := range r {
			r[i] = diffRequest{target: "/"}
		}
		return r
	}
	var uris, params, hdrs, hosts, srcs []diffRequest
	for i := 0; i < 60; i++ {
		uris = append(uris, diffRequest{target: fmt.Sprintf("/d%d/sub%d/file%d.html?q=%d&x=%d", i%7, i%5, i, i, i*31)})
		params = append(params, diffRequest{target: fmt.Sprintf("/p?a=1&user=u%d&b=%d", i*17, i)})
		hdrs = append(hdrs, diffRequest{target: "/", header: fmt.Sprintf("X-User: id%d, other", i*13)})
		hosts = append(hosts, diffRequest{target: "/", header: fmt.Sprintf("Host: www%d.site%d.example:8080", i, i%9)})
	}
	uris = append(uris, diffRequest{target: "http://test/abs/path/x?y=1"}, diffRequest{target: "/a?b=/c/d/e"},
		diffRequest{target: "/"}, diffRequest{target: "/%2F/x"})
	params = append(params, diffRequest{target: "/p?nouser=1"}, diffRequest{target: "/p"}, diffRequest{target: "/p?user="},
		diffRequest{target: "/p?xuser=3&user=7"}, diffRequest{target: "/p?a=1"}, diffRequest{target: "/p?a=2"})
	hdrs = append(hdrs, diffRequest{target: "/"}, diffRequest{target: "/", header: "X-User:"}, diffRequest{target: "/"},
		diffRequest{target: "/", header: `X-User: "a,b", c`})
	hosts = append(hosts, diffRequest{target: "/", header: "Host: localhost"}, diffRequest{target: "/", header: "Host: a.b"})
	for i := 1; i <= 40; i++ {
		srcs = append(srcs, diffRequest{target: "/", src: fmt.Sprintf("127.0.%d.%d", i%3, i*6+1)})
	}
	weighted := []string{"weight 5", "weight 3", "weight 1", "weight 2"}
	return []diffScenario{
		{"rr_equal", "roundrobin", []string{"", "", ""}, seq(12)},
		{"rr_weights", "roundrobin", weighted, seq(44)},
		{"rr_big_weights", "roundrobin", []string{"weight 200", "weight 37", "weight 1", "weight 256", "weight 99"}, seq(600)},
		{"rr_zero_maint", "roundrobin", []string{"weight 3", "weight 0", "weight 2 disabled", "weight 1"}, seq(24)},
		{"rr_backup", "roundrobin", []string{"disabled", "weight 2 backup", "weight 3 backup"}, seq(8)},
		{"static_rr", "static-rr", weighted, seq(44)},
		{"static_rr_big", "static-rr", []string{"weight 200", "weight 37", "weight 1", "weight 256", "weight 99"}, seq(600)},
		{"static_rr_gcd", "static-rr", []string{"weight 4", "weight 6", "weight 2"}, seq(12)},
		{"static_rr_backups", "static-rr", []string{"disabled", "weight 2 backup", "weight 2 backup", "weight 5 backup"}, seq(12)},
		{"leastconn", "leastconn", []string{"weight 3", "", "weight 2"}, seq(12)},
		{"first", "first", []string{"weight 0", "", ""}, seq(4)},
		{"source", "source", []string{"weight 1", "weight 2", "weight 3", "weight 1"}, srcs},
		{"source_gcd", "source", []string{"weight 2", "weight 4", "weight 6"}, srcs},
		{"uri", "uri", []string{"", "weight 2", "", "weight 3", "weight 2"}, uris},
		{"uri_whole", "uri whole", []string{"", "", "", "", "", ""}, uris},
		{"uri_len", "uri len 5", []string{"", "", "", "", ""}, uris},
		{"uri_depth", "uri depth 2", []string{"", "", "", "", ""}, uris},
		{"uri_one", "uri", []string{"disabled", "weight 3", "disabled"}, uris[:5]},
		{"url_param", "url_param user", []string{"", "weight 2", "", ""}, params},
		{"hdr", "hdr(x-user)", []string{"", "", "weight 4", ""}, hdrs},
		{"hdr_domain", "hdr(host) use_domain_only", []string{"", "", "", "", "", ""}, hosts},
	}
}

// loopback is the client address of requests sent without a source.
var loopback = netip.MustParseAddr("127.0.0.1")

// diffKey is the Key the engine would build for r.
func diffKey(r diffRequest, b config.Balance) Key {
	k := Key{Target: []byte(r.target), Src: loopback}
	if r.src != "" {
		k.Src = netip.MustParseAddr(r.src)
	}
	if name, value, ok := strings.Cut(r.header, ":"); ok && strings.EqualFold(name, b.Param) {
		k.Header = []byte(value)
	}
	return k
}

// startModel starts haproxy on the configuration text cfg, which listens on
// ports, and returns the configuration as tether reads it.
func startModel(t *testing.T, bin, cfg string, ports []int) *config.Config {
	t.Helper()
	model, err := config.Parse(config.File{Name: "haproxy.cfg", Data: []byte(cfg)})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	startHAProxy(t, bin, path, ports)
	return model
}

// tableOf builds the Table of backend px over fresh counters, and returns
// its servers and counters too, for the Tables that follow it.
func tableOf(t *testing.T, px *config.Proxy) (*Table, []Server, *Counters) {
	srv := serversOf(px)
	tab, c := mustTable(t, px.Balance, srv...)
	return tab, srv, c
}

// rebuild builds the next Table over the same counters.
func rebuild(t *testing.T, b config.Balance, srv []Server, c *Counters) *Table {
	t.Helper()
	tab, err := NewTable(b, srv, c)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

// serversOf describes the servers of a parsed backend.
func serversOf(px *config.Proxy) []Server {
	out := make([]Server, len(px.Servers))
	for i, s := range px.Servers {
		out[i] = Server{ID: s.ID, Weight: s.Weight, InitWeight: s.Weight, Backup: s.Backup, MaxConn: s.MaxConn, MaxQueue: s.MaxQueue}
		if s.Disabled {
			out[i].State = Maint
		}
	}
	return out
}

// send makes one request through haproxy and returns the name of the
// server that answered.
func send(t *testing.T, addr string, r diffRequest) string {
	t.Helper()
	d := net.Dialer{Timeout: 2 * time.Second}
	if r.src != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(r.src)}
	}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	req := "GET " + r.target + " HTTP/1.1\r\n"
	if !strings.HasPrefix(strings.ToLower(r.header), "host:") {
		req += "Host: test\r\n"
	}
	if r.header != "" {
		req += r.header + "\r\n"
	}
	if _, err := io.WriteString(c, req+"Connection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode == 503 {
		return "503"
	}
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d, body %q, error %v", resp.StatusCode, body, err)
	}
	return string(bytes.TrimSpace(body))
}

// pickName names the result of Pick as send reports it.
func pickName(names []string, i int) string {
	if i == None {
		return "503"
	}
	if i < 0 {
		return strconv.Itoa(i)
	}
	return names[i]
}

// startOrigin starts an HTTP server on 127.0.0.1 answering its name.
func startOrigin(t *testing.T, name string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, name)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// freePort returns a port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// freePorts returns n distinct ports on 127.0.0.1 no other test is given
// (testorigin.FreePort): haproxy would bind two listeners to one port and
// share its connections.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testorigin.FreePort()
	}
	return ports
}

// startHAProxy runs haproxy in the foreground on cfg until the test ends
// and waits until it listens on every port.
func startHAProxy(t *testing.T, bin, cfg string, ports []int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-db", "-f", cfg)
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for _, port := range ports {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("haproxy does not listen on %d: %s", port, out.String())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}
