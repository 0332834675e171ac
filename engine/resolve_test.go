package engine

import (
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"tether/engine/config"
	"tether/engine/dns/dnstest"
)

// namedOrigins starts an HTTP origin answering its own address on each of
// ips, all on one port, and returns the port.
func namedOrigins(t *testing.T, ips ...string) int {
	t.Helper()
	for range 20 {
		port := freePort()
		var lns []net.Listener
		for _, ip := range ips {
			ln, err := net.Listen("tcp", fmt.Sprintf("%s:%d", ip, port))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		if len(lns) < len(ips) {
			for _, ln := range lns {
				ln.Close()
			}
			continue
		}
		for i, ln := range lns {
			name := ips[i]
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				io.WriteString(w, name)
			})}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
		}
		return port
	}
	t.Fatal("no port free on every origin address")
	return 0
}

// reached sends n requests through the proxy at addr and returns the set
// of origins that answered.
func reached(t *testing.T, addr string, n int) []string {
	t.Helper()
	cl := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]bool{}
	for range n {
		resp, err := cl.Get("http://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			seen[string(b)] = true
		} else {
			seen[resp.Status] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// TestResolveTemplate runs a server-template resolved through a test DNS
// server: traffic reaches exactly the servers of the records answered, as
// records appear and vanish, and servers without a record are in
// maintenance without address.
func TestResolveTemplate(t *testing.T) {
	t.Parallel()
	ns := dnstest.Start(t)
	port := namedOrigins(t, "127.0.0.11", "127.0.0.12", "127.0.0.13")
	ns.Set("app.test.", "127.0.0.11")
	text := fmt.Sprintf(`resolvers r
  nameserver ns1 %s
  timeout resolve 50ms
  timeout retry 50ms
  hold valid 10s
  hold other 200ms
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  server-template srv 3 app.test:%d resolvers r init-addr none resolve-prefer ipv4
`, ns.Addr, freePort(), port)
	e, addr := startEngine(t, text)

	expect := func(what string, want ...string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := reached(t, addr, 9)
			if slices.Equal(got, want) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: reached %v, want %v", what, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	expect("one record", "127.0.0.11")
	ns.Set("app.test.", "127.0.0.11", "127.0.0.12", "127.0.0.13")
	expect("three records", "127.0.0.11", "127.0.0.12", "127.0.0.13")
	ns.Set("app.test.", "127.0.0.13")
	expect("one record left", "127.0.0.13")

	var maint, ready int
	for _, s := range e.Backends()[0].Servers {
		switch {
		case s.State == StateMaint && !s.Addr.IsValid():
			maint++
		case s.State == StateReady && s.Addr.String() == fmt.Sprintf("127.0.0.13:%d", port):
			ready++
		default:
			t.Errorf("server %s: state %v addr %v", s.Name, s.State, s.Addr)
		}
	}
	if maint != 2 || ready != 1 {
		t.Fatalf("%d servers in maintenance, %d ready", maint, ready)
	}
	// An empty answer is an error ("other"): the last server keeps its
	// address for hold other, then goes to maintenance.
	ns.Set("app.test.")
	expect("no record", "503 Service Unavailable")
}

// TestInitAddr starts servers given by name from their init-addr: a fixed
// address serves at once, none waits in maintenance, and a list where no
// method works refuses to start.
func TestInitAddr(t *testing.T) {
	t.Parallel()
	parse := func(server string) *config.Config {
		cfg, err := config.Parse(config.File{Name: "t.cfg", Data: []byte("defaults\n  mode http\nbackend be\n  " + server + "\n")})
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	e, err := New(parse("server s app.test:80 init-addr none,127.0.0.5"))
	if err != nil {
		t.Fatal(err)
	}
	if s := e.Backends()[0].Servers[0]; s.State != StateMaint || s.Addr.IsValid() {
		t.Errorf("init-addr none: %+v", s)
	}
	e, err = New(parse("server s app.test:80 init-addr 127.0.0.5,none"))
	if err != nil {
		t.Fatal(err)
	}
	if s := e.Backends()[0].Servers[0]; s.State != StateReady || s.Addr.String() != "127.0.0.5:80" {
		t.Errorf("init-addr 127.0.0.5: %+v", s)
	}
	e, err = New(parse("server s app.test:80 init-addr 127.0.0.5 disabled"))
	if err != nil {
		t.Fatal(err)
	}
	if s := e.Backends()[0].Servers[0]; s.State != StateMaint || s.Addr.String() != "127.0.0.5:80" {
		t.Errorf("init-addr 127.0.0.5, disabled: %+v", s)
	}
	if _, err = New(parse("server s _http._tcp.app.test init-addr last,libc")); err == nil || !strings.Contains(err.Error(), "could not resolve") {
		t.Errorf("no working method: %v", err)
	}
}

// TestDNSConfig converts a resolvers section: UDP nameservers only, and
// those of a resolv.conf file for parse-resolv-conf.
func TestDNSConfig(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/resolv.conf"
	if err := os.WriteFile(path, []byte("# test\nnameserver 127.0.0.53\nsearch x\nnameserver ::1\nnameserver bogus\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got := readResolvConf(path)
	if want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.53:53"), netip.MustParseAddrPort("[::1]:53")}; !slices.Equal(got, want) {
		t.Errorf("resolv.conf nameservers %v, want %v", got, want)
	}
	cfg, err := config.Parse(config.File{Name: "t.cfg", Data: []byte("resolvers r\n  nameserver a 127.0.0.1:5353\n  nameserver b tcp@127.0.0.1:5353\n  hold nx 7s\n")})
	if err != nil {
		t.Fatal(err)
	}
	c := dnsConfig(cfg.Resolvers[0])
	if len(c.Nameservers) != 1 || c.Nameservers[0].String() != "127.0.0.1:5353" || c.Hold.NX != 7*time.Second || c.PayloadSize != 512 {
		t.Errorf("dns config %+v", c)
	}
}
