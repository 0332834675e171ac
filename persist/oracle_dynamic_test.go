package persist

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dynamicServer is a server line for the dynamic cookie differential tests:
// an address HAProxy never connects to (no traffic, no checks) and the
// svc_port persist must hash.
type dynamicServer struct {
	addr    string // the address part of the server line
	svcPort uint32
	ip      netip.Addr
	maint   bool // the `disabled` keyword (forced maintenance)
}

// randomDynamicServers returns n servers on random IPv4, IPv6 and
// IPv4-mapped addresses with every port form: none, N, +N and -N.
func randomDynamicServers(r *rand.Rand, n int) []dynamicServer {
	var out []dynamicServer
	for i := 0; i < n; i++ {
		var ip netip.Addr
		switch r.IntN(3) {
		case 0:
			ip = netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))})
		case 1:
			var a [16]byte
			for j := range a {
				a[j] = byte(r.IntN(256))
			}
			a[0] = 0x20
			ip = netip.AddrFrom16(a)
		default:
			ip = netip.AddrFrom16(netip.AddrFrom4([4]byte{10, byte(r.IntN(256)), byte(r.IntN(256)), byte(1 + r.IntN(254))}).As16())
		}
		host := ip.String()
		if ip.Is6() {
			host = "[" + host + "]"
		}
		s := dynamicServer{ip: ip}
		switch p := 1 + r.IntN(65535); r.IntN(4) {
		case 0:
			s.addr = host
		case 1:
			s.addr, s.svcPort = fmt.Sprintf("%s:%d", host, p), uint32(p)
		case 2:
			s.addr, s.svcPort = fmt.Sprintf("%s:+%d", host, p), uint32(p)
		default:
			s.addr, s.svcPort = fmt.Sprintf("%s:-%d", host, p), uint32(-int64(p))
		}
		out = append(out, s)
	}
	return out
}

func dynamicConfig(key string, servers []dynamicServer, sock string) string {
	var cfg strings.Builder
	if sock != "" {
		fmt.Fprintf(&cfg, "global\n    stats socket %s level admin\n", sock)
	}
	cfg.WriteString("defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n")
	fmt.Fprintf(&cfg, "backend b\n    cookie SRVID insert dynamic\n    dynamic-cookie-key %q\n", key)
	for i, s := range servers {
		fmt.Fprintf(&cfg, "    server s%d %s", i, s.addr)
		if s.maint {
			cfg.WriteString(" disabled")
		}
		cfg.WriteString("\n")
	}
	return cfg.String()
}

// TestOracleDynamicValues compares DynamicCookie with the cookie column of
// HAProxy's `show stat` for random addresses, IPv6 included.
func TestOracleDynamicValues(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	if testing.Short() {
		t.Skip("differential tests skipped in -short mode")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	for _, key := range []string{"mysecretphrase", "k", "a;b", "a b", strings.Repeat("long key ", 20)} {
		servers := randomDynamicServers(r, 40)
		h := startHAProxy(t, bin, func(_ int, sock string) string { return dynamicConfig(key, servers, sock) })
		stat := h.cli(t, "show stat")
		seen := 0
		for _, line := range strings.Split(stat, "\n") {
			f := strings.Split(line, ",")
			if len(f) < 75 || f[0] != "b" || !strings.HasPrefix(f[1], "s") {
				continue
			}
			var i int
			if _, err := fmt.Sscanf(f[1], "s%d", &i); err != nil {
				t.Fatalf("server name %q", f[1])
			}
			s := servers[i]
			v, _ := DynamicCookie(key, s.ip, s.svcPort)
			if string(v[:]) != f[74] {
				t.Errorf("key %q server %s: persist %s, haproxy %s", key, s.addr, v[:], f[74])
			}
			seen++
		}
		if seen != len(servers) {
			t.Fatalf("show stat listed %d of %d servers:\n%s", seen, len(servers), stat)
		}
	}
}

// TestOracleDuplicateWarnings compares Build's warnings with the ones
// `haproxy -c` prints for servers sharing addresses, some in maintenance.
func TestOracleDuplicateWarnings(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	if testing.Short() {
		t.Skip("differential tests skipped in -short mode")
	}
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	for round := 0; round < 5; round++ {
		pool := randomDynamicServers(r, 3)
		var servers []dynamicServer
		b := &Backend{Name: "b", Options: Options{Name: "SRVID", Mode: Insert, Dynamic: true}, Key: "k"}
		for i := 0; i < 8; i++ {
			s := pool[r.IntN(len(pool))]
			s.maint = r.IntN(4) == 0
			servers = append(servers, s)
			st := Ready
			if s.maint {
				st = Maint
			}
			b.Servers = append(b.Servers, Server{Name: fmt.Sprint("s", i), Addr: s.ip, Port: s.svcPort, State: st})
		}
		path := filepath.Join(dir, fmt.Sprintf("dup%d.cfg", round))
		if err := os.WriteFile(path, []byte(dynamicConfig("k", servers, "")), 0o600); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(bin, "-c", "-f", path).CombinedOutput()
		got := strings.Count(string(out), DuplicateWarning+"\n"+DuplicateWarningKey+"b'.")
		_, warn := Build(b)
		if got != len(warn) {
			t.Errorf("round %d: haproxy printed %d warnings, Build returned %d\n%s", round, got, len(warn), out)
		}
	}
}

// TestOracleRuntimeCollisions moves servers onto another server's address
// with `set server ... addr` and compares the duplicate warnings HAProxy
// prints with Collisions on the rebuilt table.
func TestOracleRuntimeCollisions(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not found on PATH: differential tests against HAProxy 2.6 skipped")
	}
	if testing.Short() {
		t.Skip("differential tests skipped in -short mode")
	}
	lo := netip.MustParseAddr("127.0.0.1")
	servers := []dynamicServer{{addr: "127.0.0.1:1001", ip: lo, svcPort: 1001}, {addr: "127.0.0.1:1002", ip: lo, svcPort: 1002},
		{addr: "127.0.0.1:1003", ip: lo, svcPort: 1003, maint: true}, {addr: "127.0.0.1:1004", ip: lo, svcPort: 1004}}
	h := startHAProxy(t, bin, func(_ int, sock string) string { return dynamicConfig("k", servers, sock) })
	b := &Backend{Name: "b", Key: "k", Options: Options{Name: "SRVID", Mode: Insert, Dynamic: true}}
	for i, s := range servers {
		st := Ready
		if s.maint {
			st = Maint
		}
		b.Servers = append(b.Servers, Server{Name: fmt.Sprint("s", i), Addr: s.ip, Port: s.svcPort, State: st})
	}
	h.pending()
	for _, mv := range []struct{ srv, port int }{{1, 1001}, {3, 1001}, {2, 1001}, {3, 1004}, {0, 1004}} {
		reply := h.cli(t, fmt.Sprintf("set server b/s%d addr 127.0.0.1 port %d", mv.srv, mv.port))
		if !strings.Contains(reply, "port changed") {
			t.Fatalf("set server addr: %q", reply)
		}
		b.Servers[mv.srv].Port = uint32(mv.port)
		tb, _ := Build(b)
		want := tb.Collisions(mv.srv)
		// stderr is read by another goroutine: give it time to arrive.
		got := 0
		for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, l := range h.pending() {
				if strings.Contains(l, DuplicateWarning) {
					got++
				}
			}
		}
		if got != want {
			t.Errorf("s%d moved to port %d: haproxy warned %d times, Collisions %d", mv.srv, mv.port, got, want)
		}
	}
}
