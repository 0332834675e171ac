package dns

import (
	"net/netip"
	"sync"
	"testing"
	"time"

	"tether/engine/dns/dnstest"
)

// view is what the changes reported so far say of one server.
type view struct {
	Addr   netip.Addr
	Port   uint16
	Weight int
	Maint  bool
	Reason string
	Host   string
}

// tracker applies changes to views of the servers, for tests to wait on.
type tracker struct {
	mu      sync.Mutex
	views   map[string]*view
	changes int
}

func newTracker(servers []Server) *tracker {
	tr := &tracker{views: map[string]*view{}}
	for _, s := range servers {
		tr.views[s.Name] = &view{Addr: s.Addr, Weight: -1, Maint: s.Maint}
	}
	return tr
}

func (tr *tracker) apply(c Change) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	v := tr.views[c.Server]
	if c.SetAddr {
		v.Addr = c.Addr
	}
	if c.SetPort {
		v.Port = c.Port
	}
	if c.SetWeight {
		v.Weight = c.Weight
	}
	if c.SetMaint {
		v.Maint, v.Reason = c.Maint, c.Reason
	}
	if c.SetHost {
		v.Host = c.Host
	}
	tr.changes++
}

// get returns a copy of the view of server name.
func (tr *tracker) get(name string) view {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return *tr.views[name]
}

// addrs returns the addresses of the servers not in maintenance, by name.
func (tr *tracker) addrs() map[string]string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	out := map[string]string{}
	for n, v := range tr.views {
		if !v.Maint {
			out[n] = v.Addr.String()
		}
	}
	return out
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testConfig returns a resolvers section on ts with short timers.
func testConfig(ts ...*dnstest.Server) Config {
	c := Config{Name: "r", PayloadSize: 512, Retries: 3, Resolve: 50 * time.Millisecond, Retry: 30 * time.Millisecond,
		Hold: Hold{NX: 0, Refused: 0, Timeout: 0, Other: 0, Valid: 10 * time.Second}}
	for _, s := range ts {
		c.Nameservers = append(c.Nameservers, s.Addr)
	}
	return c
}

// template returns n servers web1..webn of backend be resolving host,
// starting in maintenance without address (init-addr none).
func template(n int, host string) []Server {
	var out []Server
	for i := 1; i <= n; i++ {
		out = append(out, Server{Backend: "be", Name: "web" + string(rune('0'+i)), Host: host, Maint: true})
	}
	return out
}

// startResolver starts a resolver for cfg and servers, stopped with the test.
func startResolver(t *testing.T, cfg Config, servers []Server) *tracker {
	t.Helper()
	tr := newTracker(servers)
	r, err := New(cfg, servers, tr.apply)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	t.Cleanup(r.Stop)
	return tr
}
