// Package dnstest provides a DNS server on 127.0.0.1 for tests, whose
// records a test changes while resolvers query it.
package dnstest

import (
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
)

// Server is a DNS server on 127.0.0.1 whose answers a test changes.
// Names are fully qualified. It is safe for concurrent use.
type Server struct {
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

// Start starts a test DNS server and stops it with the test.
func Start(t testing.TB) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts := &Server{Addr: pc.LocalAddr().(*net.UDPAddr).AddrPort(), ips: map[string][]string{},
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

// Set answers name with addrs (nil: an empty answer).
func (ts *Server) Set(name string, addrs ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.ips[name] = addrs
	delete(ts.rcode, name)
}

// SetRcode answers name with rcode.
func (ts *Server) SetRcode(name string, rcode int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.rcode[name] = rcode
}

// SetSRV answers SRV name with records "target port weight".
func (ts *Server) SetSRV(name string, recs ...string) {
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

// SetExtra answers target's addresses in the additional section of SRV answers.
func (ts *Server) SetExtra(target string, addrs ...string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.extra[target] = addrs
}

// SetSilent makes the server answer nothing (on) or answer again.
func (ts *Server) SetSilent(on bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.silent = on
}

// SetMangle sets a last change made to every reply (nil: none).
func (ts *Server) SetMangle(f func(*mdns.Msg)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.mangle = f
}

// Asked returns the questions received so far.
func (ts *Server) Asked() []mdns.Question {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]mdns.Question(nil), ts.queries...)
}

// ServeDNS answers from the server's tables.
func (ts *Server) ServeDNS(w mdns.ResponseWriter, req *mdns.Msg) {
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
