package dns

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// testServer is a DNS server on 127.0.0.1 whose answers a test changes.
// Names are fully qualified.
type testServer struct {
	Addr netip.AddrPort

	mu      sync.Mutex
	ips     map[string][]string    // name -> addresses (A and AAAA by form)
	srvs    map[string][]*mdns.SRV // SRV name -> records
	extra   map[string][]string    // SRV target -> additional addresses
	rcode   map[string]int         // name -> rcode answered instead
	silent  bool                   // answer nothing
	mangle  func(*mdns.Msg)        // last change to every reply
	queries []mdns.Question        // questions received, in order
	srv     *mdns.Server
}

// startTestServer starts a test DNS server and stops it with the test.
func startTestServer(t testing.TB) *testServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{Addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), ips: map[string][]string{},
		srvs: map[string][]*mdns.SRV{}, extra: map[string][]string{}, rcode: map[string]int{}}
	started := make(chan struct{})
	ts.srv = &mdns.Server{PacketConn: pc, Handler: ts, NotifyStartedFunc: func() { close(started) }}
	go ts.srv.ActivateAndServe()
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("test DNS server did not start")
	}
	t.Cleanup(func() { ts.srv.Shutdown() })
	return ts
}

// set answers name with addrs (nil: an empty answer).
func (ts *testServer) set(name string, addrs ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.ips[name] = addrs
	delete(ts.rcode, name)
}

// setRcode answers name with rcode.
func (ts *testServer) setRcode(name string, rcode int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rcode[name] = rcode
}

// setSRV answers SRV name with records "target port weight".
func (ts *testServer) setSRV(name string, recs ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	var out []*mdns.SRV
	for _, r := range recs {
		rr, err := mdns.NewRR(name + " 60 IN SRV 0 " + fields(r))
		if err != nil {
			panic(err)
		}
		out = append(out, rr.(*mdns.SRV))
	}
	ts.srvs[name] = out
	delete(ts.rcode, name)
}

// fields reorders "target port weight" as SRV wants "weight port target".
func fields(r string) string {
	f := strings.Fields(r)
	return f[2] + " " + f[1] + " " + f[0]
}

// setExtra answers target's addresses in the additional section of SRV answers.
func (ts *testServer) setExtra(target string, addrs ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.extra[target] = addrs
}

func (ts *testServer) setSilent(on bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.silent = on
}

func (ts *testServer) setMangle(f func(*mdns.Msg)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.mangle = f
}

// asked returns the questions received so far.
func (ts *testServer) asked() []mdns.Question {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]mdns.Question(nil), ts.queries...)
}

// ServeDNS answers from the server's tables.
func (ts *testServer) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(req.Question) == 1 {
		ts.queries = append(ts.queries, req.Question[0])
	}
	if ts.silent || len(req.Question) != 1 {
		return
	}
	q := req.Question[0]
	m := new(mdns.Msg)
	m.SetReply(req)
	if rc, ok := ts.rcode[q.Name]; ok {
		m.Rcode = rc
	} else {
		switch q.Qtype {
		case mdns.TypeA, mdns.TypeAAAA:
			for _, a := range ts.ips[q.Name] {
				if rr := addrRR(q.Name, a, q.Qtype); rr != nil {
					m.Answer = append(m.Answer, rr)
				}
			}
		case mdns.TypeSRV:
			for _, s := range ts.srvs[q.Name] {
				m.Answer = append(m.Answer, s)
				for _, a := range ts.extra[s.Target] {
					m.Extra = append(m.Extra, addrRR(s.Target, a, 0))
				}
			}
		}
	}
	if ts.mangle != nil {
		ts.mangle(m)
	}
	w.WriteMsg(m)
}

// addrRR returns an A or AAAA record for addr, or nil when qtype (unless
// 0) asks for the other family.
func addrRR(name, addr string, qtype uint16) mdns.RR {
	ip := netip.MustParseAddr(addr)
	hdr := mdns.RR_Header{Name: name, Class: mdns.ClassINET, Ttl: 60}
	if ip.Is4() {
		if qtype != 0 && qtype != mdns.TypeA {
			return nil
		}
		hdr.Rrtype = mdns.TypeA
		return &mdns.A{Hdr: hdr, A: ip.AsSlice()}
	}
	if qtype != 0 && qtype != mdns.TypeAAAA {
		return nil
	}
	hdr.Rrtype = mdns.TypeAAAA
	return &mdns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()}
}

// view is what the changes reported so far say of one server.
type view struct {
	Addr   netip.Addr
	Port   uint16
	Weight int
	Maint  bool
	Reason string
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
func testConfig(ts ...*testServer) Config {
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
