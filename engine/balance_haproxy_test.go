package engine

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
	"tether/persist"
)

// balanceStep is one step of a balancing scenario: requests sent one after
// the other, each on a new connection, or a runtime API command given to
// haproxy and applied to the engine through its control methods.
type balanceStep struct {
	requests int
	command  string // "set weight be/sN W" or "set server be/sN state S"
}

// TestBalanceOrderAcrossLoops runs haproxy 2.6 and the engine with two
// threads and two event loops in front of the same origins, sends the same
// sequential requests to both, each on a new connection (which the two
// sides spread over their threads and loops), and checks that every request
// reaches the same server: the loops share one balancing order as
// HAProxy's threads do, through weight and state changes.
func TestBalanceOrderAcrossLoops(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	origins := startOrigins(t, 5)
	req := func(n int) balanceStep { return balanceStep{requests: n} }
	cmd := func(c string) balanceStep { return balanceStep{command: c} }
	scenarios := []struct {
		name    string
		balance string
		servers []string
		steps   []balanceStep
	}{
		// leastconn's order among idle servers follows when each released
		// its last request: the scenario leaves both sides time to release
		// one before the next request.
		{"roundrobin equal", "roundrobin", []string{"", "", ""}, []balanceStep{req(30)}},
		{"roundrobin weights", "roundrobin", []string{"weight 5", "weight 3", "weight 1", "weight 2", "weight 4 backup"},
			[]balanceStep{req(60), cmd("set weight be/s1 1"), req(25), cmd("set server be/s2 state drain"), req(20),
				cmd("set server be/s2 state ready"), req(30), cmd("set server be/s3 state maint"), req(15),
				cmd("set weight be/s4 10"), req(20), cmd("set server be/s3 state ready"), req(40),
				cmd("set server be/s1 state maint"), cmd("set server be/s2 state maint"), cmd("set server be/s3 state maint"),
				cmd("set server be/s4 state maint"), req(5), cmd("set server be/s2 state ready"), req(10)}},
		{"static-rr", "static-rr", []string{"weight 5", "weight 3", "weight 1", "weight 2"},
			[]balanceStep{req(40), cmd("set server be/s2 state drain"), req(17), cmd("set server be/s2 state ready"), req(30)}},
		{"leastconn", "leastconn", []string{"weight 1", "weight 2", "weight 3", ""},
			[]balanceStep{req(20), cmd("set weight be/s1 4"), req(10), cmd("set server be/s3 state maint"), req(9),
				cmd("set server be/s3 state ready"), req(12)}},
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			text := balanceThreadsConfig(origins, sc.balance, sc.servers)
			hap, sock := startBalanceHAProxy(t, bin, text)
			e, eng := startEngine(t, text)
			sent := 0
			for _, st := range sc.steps {
				if st.command != "" {
					balanceCommand(t, sock, st.command)
					applyBalanceCommand(t, e, st.command)
					continue
				}
				for range st.requests {
					want, got := serverOf(t, hap), serverOf(t, eng)
					if got != want {
						t.Fatalf("request %d: haproxy chose %s, the engine %s", sent, want, got)
					}
					sent++
					if sc.balance == "leastconn" {
						time.Sleep(20 * time.Millisecond)
					}
				}
			}
		})
	}
}

// TestBalanceSharesAcrossKeepAliveClients sends requests from several
// keep-alive clients at once, through haproxy and the engine with two
// threads and two loops: over whole rotations both must give every server
// exactly its weight's share, which only one rotation shared by the loops
// gives.
func TestBalanceSharesAcrossKeepAliveClients(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	origins := startOrigins(t, 4)
	weights := []int{5, 3, 1, 2} // sum 11
	opts := make([]string, len(weights))
	for i, w := range weights {
		opts[i] = "weight " + strconv.Itoa(w)
	}
	// Two roundrobin windows of 16 requests per unit of weight, 32 turns of
	// the static-rr map.
	for _, algo := range []string{"roundrobin", "static-rr"} {
		t.Run(algo, func(t *testing.T) {
			text := balanceThreadsConfig(origins, algo, opts)
			hap, _ := startBalanceHAProxy(t, bin, text)
			_, eng := startEngine(t, text)
			// 11 clients on two loops: neither loop's share of the
			// requests is a whole number of rotations.
			const clients, rounds = 11, 2 * 16
			for _, side := range []struct{ name, addr string }{{"haproxy", hap}, {"engine", eng}} {
				got := keepAliveCounts(t, side.addr, clients, rounds)
				for i, w := range weights {
					name := "s" + strconv.Itoa(i+1)
					if want := clients * rounds / (16 * 11) * 16 * w; got[name] != want {
						t.Fatalf("%s: %s served %d requests, want %d: %v", side.name, name, got[name], want, got)
					}
				}
			}
		})
	}
}

// balanceThreadsConfig renders a configuration with two threads and a
// backend "be" balanced by algo over origins, with a server line option
// string per origin (origins past len(opts) are left out).
func balanceThreadsConfig(origins []*testorigin.Origin, algo string, opts []string) string {
	var b strings.Builder
	b.WriteString("global\n  nbthread 2\ndefaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n")
	fmt.Fprintf(&b, "frontend fe\n  bind 127.0.0.1:%d\n  default_backend be\nbackend be\n  balance %s\n", freePort(), algo)
	for i, o := range opts {
		fmt.Fprintf(&b, "  server s%d %s %s\n", i+1, origins[i].Addr, o)
	}
	return b.String()
}

// startBalanceHAProxy runs haproxy on text, moved to a port of its own and
// given an admin socket, until the test ends (startHAProxy); it returns the
// address haproxy listens on and the socket's path.
func startBalanceHAProxy(t *testing.T, bin, text string) (addr, sock string) {
	t.Helper()
	dir := t.TempDir()
	sock = filepath.Join(dir, "admin.sock")
	addr = "127.0.0.1:" + strconv.Itoa(freePort())
	text = strings.Replace(text, "global\n", "global\n  stats socket "+sock+" level admin\n", 1)
	at := strings.Index(text, "bind 127.0.0.1:") + len("bind ")
	end := at + strings.IndexByte(text[at:], '\n')
	text = text[:at] + addr + text[end:]
	startHAProxy(t, bin, text)
	if !within(5*time.Second, func() bool { _, err := os.Stat(sock); return err == nil }) {
		t.Fatalf("haproxy made no admin socket at %s", sock)
	}
	return addr, sock
}

// balanceCommand sends one command to haproxy's admin socket and fails on
// any reply but an empty one.
func balanceCommand(t *testing.T, sock, command string) {
	t.Helper()
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, command+"\n"); err != nil {
		t.Fatal(err)
	}
	reply, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if r := strings.TrimSpace(string(reply)); r != "" {
		t.Fatalf("haproxy: %s: %s", command, r)
	}
}

// applyBalanceCommand applies a balanceStep command to the engine.
func applyBalanceCommand(t *testing.T, e *Engine, command string) {
	t.Helper()
	f := strings.Fields(command)
	backend, srv, _ := strings.Cut(f[2], "/")
	var err error
	switch {
	case f[1] == "weight":
		w, _ := strconv.Atoi(f[3])
		err = e.SetServerWeight(backend, srv, w)
	case f[1] == "server" && f[3] == "state":
		st := map[string]persist.State{"ready": persist.Ready, "drain": persist.Drain, "maint": persist.Maint}[f[4]]
		err = e.SetServerState(backend, srv, st)
	default:
		t.Fatalf("unknown command %q", command)
	}
	if err != nil {
		t.Fatalf("%s: %v", command, err)
	}
}

// serverOf sends a request on a new connection to addr and returns the
// server that answered it, or the status line when none did.
func serverOf(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	head, _, _ := strings.Cut(string(b), "\r\n\r\n")
	for _, line := range strings.Split(head, "\r\n") {
		if name, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(name, "x-server") {
			return strings.TrimSpace(v)
		}
	}
	status, _, _ := strings.Cut(head, "\r\n")
	return status
}

// keepAliveCounts sends rounds requests from each of clients keep-alive
// connections at once and counts the servers that answered.
func keepAliveCounts(t *testing.T, addr string, clients, rounds int) map[string]int {
	t.Helper()
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tr := &http.Transport{MaxConnsPerHost: 1}
			defer tr.CloseIdleConnections()
			cl := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			for range rounds {
				resp, err := cl.Get("http://" + addr + "/")
				if err != nil {
					errs <- err
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				mu.Lock()
				counts[resp.Header.Get("X-Server")]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	return counts
}
