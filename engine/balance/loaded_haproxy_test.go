package balance

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/engine/config"
)

// holdOrigin is an origin server whose requests to /hold/<id> report their
// arrival and wait until the test opens their gate.
type holdOrigin struct {
	mu       sync.Mutex
	arrivals map[string]chan string // id -> name of the server that got it
	gates    map[string]chan struct{}
}

// expect prepares the channels of a held request.
func (h *holdOrigin) expect(id string) (arrival chan string, gate chan struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	arrival, gate = make(chan string, 1), make(chan struct{})
	h.arrivals[id], h.gates[id] = arrival, gate
	return arrival, gate
}

// handler answers as server name.
func (h *holdOrigin) handler(name string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id, ok := strings.CutPrefix(r.URL.Path, "/hold/"); ok {
			h.mu.Lock()
			arrival, gate := h.arrivals[id], h.gates[id]
			h.mu.Unlock()
			arrival <- name
			select {
			case <-gate:
			case <-time.After(10 * time.Second):
			}
		}
		io.WriteString(w, name)
	})
}

// TestHAProxyUnderLoad holds some requests open on the servers while others
// are balanced, so that connection counts and maxconn matter, and checks
// that haproxy and Pick choose the same servers. For leastconn that
// includes the order among equally loaded servers, which HAProxy and the
// Counters' stamps both set by when each server last took or released a
// request.
func TestHAProxyUnderLoad(t *testing.T) {
	t.Parallel()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH: skipping the differential test against HAProxy 2.6")
	}
	script := "h1 h2 h3 h4 h5 h6 r r f2 r f1 h7 r r f3 f4 r r h8 h9 r f5 f6 f7 r r r f8 r f9 r r"
	for _, c := range []struct {
		balance string
		servers []string
	}{
		{"leastconn", []string{"weight 3", "weight 1", "weight 2"}},
		{"leastconn", []string{"weight 3 maxconn 2", "weight 1", "weight 2 maxconn 1"}},
		{"first", []string{"maxconn 2", "maxconn 1", "maxconn 3", ""}},
		{"roundrobin", []string{"weight 2 maxconn 1", "weight 1", "weight 3 maxconn 2"}},
		{"static-rr", []string{"weight 2 maxconn 1", "weight 1", "weight 3 maxconn 2"}},
		// Requests without the parameter walk the map or the ring.
		{"url_param user", []string{"weight 2 maxconn 1", "weight 1", "weight 3 maxconn 2"}},
		{"url_param user\n    hash-type consistent", []string{"weight 2 maxconn 1", "weight 1", "weight 3 maxconn 2"}},
		// Under `option allbackups` the backup servers stand in for an
		// active server in maintenance.
		{"leastconn\n    option allbackups", []string{"disabled", "weight 3 backup maxconn 2", "weight 1 backup", "weight 2 backup maxconn 1"}},
		{"first\n    option allbackups", []string{"disabled", "maxconn 2 backup", "maxconn 1 backup", "backup"}},
		{"roundrobin\n    option allbackups", []string{"disabled", "weight 2 maxconn 1 backup", "weight 1 backup", "weight 3 maxconn 2 backup"}},
		{"static-rr\n    option allbackups", []string{"disabled", "weight 2 maxconn 1 backup", "weight 1 backup", "weight 3 maxconn 2 backup"}},
	} {
		t.Run(c.balance+"/"+strings.Join(c.servers, ","), func(t *testing.T) {
			runLoaded(t, bin, c.balance, c.servers, strings.Fields(script))
		})
	}
}

// runLoaded runs one scenario of TestHAProxyUnderLoad: "hN" holds request
// N open, "fN" finishes it, "r" sends a request answered at once.
func runLoaded(t *testing.T, bin, balance string, opts []string, script []string) {
	origin := &holdOrigin{arrivals: map[string]chan string{}, gates: map[string]chan struct{}{}}
	names := make([]string, len(opts))
	var servers strings.Builder
	for i, o := range opts {
		names[i] = "s" + strconv.Itoa(i+1)
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: origin.handler(names[i])}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		fmt.Fprintf(&servers, "    server %s %s %s\n", names[i], ln.Addr(), o)
	}
	// The port is picked once the origins listen: one of them could
	// otherwise get it and answer for haproxy.
	port := freePort(t)
	var cfg strings.Builder
	cfg.WriteString("global\n    nbthread 1\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n    timeout queue 10s\n")
	fmt.Fprintf(&cfg, "listen l\n    bind 127.0.0.1:%d\n    balance %s\n", port, balance)
	cfg.WriteString(servers.String())
	model := startModel(t, bin, cfg.String(), []int{port})

	px := model.Backend("l")
	tab, _, counters := tableOf(t, px)
	p := tab.NewPicker(nil)
	if px.Balance.Algo == config.RoundRobin {
		// The rotation the loops share skips full servers by taking the
		// next ticket, which HAProxy's fwrr does not exactly do (see
		// rotation.pick); the fwrr picker it is computed with, which loops
		// also use for backends too large for a rotation, must match.
		p = newRRPicker(tab, nil, len(tab.active) == 0 && px.Balance.AllBackups)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	held := map[string]int{}       // id -> server
	done := map[string]chan bool{} // id -> closed when the client read the response
	for n, step := range script {
		id := step[1:]
		switch step[0] {
		case 'h':
			arrival, gate := origin.expect(id)
			t.Cleanup(func() {
				select {
				case <-gate:
				default:
					close(gate)
				}
			})
			finished := make(chan bool, 1)
			done[id] = finished
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close() })
			io.WriteString(c, "GET /hold/"+id+" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
			go func() {
				b, _ := io.ReadAll(c)
				finished <- strings.HasPrefix(string(b), "HTTP/1.1 200")
			}()
			want := p.Pick(&Key{Src: loopback}, -1)
			select {
			case got := <-arrival:
				want = agree(t, names, got, want)
			case <-time.After(5 * time.Second):
				t.Fatalf("step %d %s: no server got the request; Pick chose %d", n, step, want)
			}
			counters.Take(want)
			held[id] = want
		case 'f':
			origin.mu.Lock()
			close(origin.gates[id])
			origin.mu.Unlock()
			if ok := <-done[id]; !ok {
				t.Fatalf("step %d %s: held request failed", n, step)
			}
			// haproxy frees the server's slot when the stream ends, which
			// can come just after the client has read the response.
			time.Sleep(50 * time.Millisecond)
			counters.Release(held[id])
		case 'r':
			got := send(t, addr, diffRequest{target: "/"})
			agree(t, names, got, p.Pick(&Key{Src: loopback}, -1))
		}
	}
}

// agree checks that haproxy's choice got matches Pick's choice want and
// returns want.
func agree(t *testing.T, names []string, got string, want int) int {
	t.Helper()
	if pickName(names, want) != got {
		t.Fatalf("haproxy chose %s, Pick chose %d", got, want)
	}
	return want
}
