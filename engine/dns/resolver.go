package dns

import (
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	mdns "github.com/miekg/dns"
)

// Errors of New.
var (
	ErrNoNameserver = errors.New("dns: no nameserver")
	ErrNoServer     = errors.New("dns: no server to resolve")
)

// Defaults for a Config left at zero, HAProxy's.
const (
	defaultTimeout     = time.Second
	defaultPayloadSize = 512
)

// Resolver resolves the names of its servers with one resolvers section.
// Its state belongs to one goroutine, started by Start and ended by Stop;
// apply is called from that goroutine, one change at a time, in order.
// Start and Stop are not safe for concurrent use with each other.
type Resolver struct {
	cfg   Config
	apply func(Change)

	conns   []*net.UDPConn // one connected socket per nameserver
	packets chan packet
	stop    chan struct{}
	wg      sync.WaitGroup

	// Owned by the run goroutine.
	resolutions []*resolution
	servers     []*server
	dirty       []*server // servers changed since the last flush
}

// New returns a resolver for cfg resolving servers, which reports each
// change of a server through apply. It opens its sockets but sends
// nothing before Start.
func New(cfg Config, servers []Server, apply func(Change)) (*Resolver, error) {
	if len(cfg.Nameservers) == 0 {
		return nil, ErrNoNameserver
	}
	if len(servers) == 0 {
		return nil, ErrNoServer
	}
	if cfg.Retries < 1 {
		cfg.Retries = 1
	}
	if cfg.Resolve <= 0 {
		cfg.Resolve = defaultTimeout
	}
	if cfg.Retry <= 0 {
		cfg.Retry = defaultTimeout
	}
	if cfg.PayloadSize < headerSize+minRecordSize {
		cfg.PayloadSize = defaultPayloadSize
	}
	r := &Resolver{cfg: cfg, apply: apply, packets: make(chan packet, 64), stop: make(chan struct{})}
	for _, ns := range cfg.Nameservers {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(ns))
		if err != nil {
			r.closeConns()
			return nil, err
		}
		r.conns = append(r.conns, c)
	}
	r.addServers(servers)
	return r, nil
}

// addServers links each server to the resolution of its name: the servers
// of one backend sharing an SRV name become the slots of one SRV
// resolution.
func (r *Resolver) addServers(servers []Server) {
	for _, cs := range servers {
		s := newServer(cs)
		r.servers = append(r.servers, s)
		if !strings.HasPrefix(cs.Host, "_") {
			s.host = cs.Host
			r.link(s, s.host)
			continue
		}
		res := r.srvResolution(cs.Backend, mdns.Fqdn(cs.Host))
		s.srvq = res
		s.noRes = true
		res.servers = append(res.servers, s)
		res.free = append(res.free, s)
	}
}

// srvResolution returns the SRV resolution of name for backend's slots.
func (r *Resolver) srvResolution(backend, name string) *resolution {
	for _, res := range r.resolutions {
		if res.srv && res.name == name && res.servers[0].Backend == backend {
			return res
		}
	}
	res := &resolution{name: name, prefer: mdns.TypeSRV, qtype: mdns.TypeSRV, srv: true}
	r.resolutions = append(r.resolutions, res)
	return res
}

// link makes s a requester of the resolution of host with its preferred
// type, creating the resolution if none shares them.
func (r *Resolver) link(s *server, host string) {
	name := mdns.Fqdn(host)
	prefer := uint16(mdns.TypeAAAA)
	if s.Prefer == IPv4 {
		prefer = mdns.TypeA
	}
	for _, res := range r.resolutions {
		if !res.srv && res.name == name && res.prefer == prefer {
			res.servers = append(res.servers, s)
			s.res = res
			return
		}
	}
	res := &resolution{name: name, prefer: prefer, qtype: prefer}
	res.servers = append(res.servers, s)
	s.res = res
	r.resolutions = append(r.resolutions, res)
}

// unlink removes s from its A/AAAA resolution; a resolution left without
// requesters is dropped.
func (r *Resolver) unlink(s *server) {
	res := s.res
	if res == nil {
		return
	}
	s.res, s.rec = nil, nil
	for i, o := range res.servers {
		if o == s {
			res.servers = append(res.servers[:i], res.servers[i+1:]...)
			break
		}
	}
	if len(res.servers) > 0 {
		return
	}
	res.dropped = true
	for i, o := range r.resolutions {
		if o == res {
			r.resolutions = append(r.resolutions[:i], r.resolutions[i+1:]...)
			return
		}
	}
}

// Start starts resolving.
func (r *Resolver) Start() {
	for i, c := range r.conns {
		r.wg.Add(1)
		go r.read(c, i)
	}
	r.wg.Add(1)
	go r.run()
}

// Stop stops resolving and closes the sockets; it returns once every
// goroutine of the resolver has ended, so apply is no longer called.
func (r *Resolver) Stop() {
	close(r.stop)
	r.closeConns()
	r.wg.Wait()
}

func (r *Resolver) closeConns() {
	for _, c := range r.conns {
		c.Close()
	}
}

// packet is a datagram from the nameserver of index ns.
type packet struct {
	b  []byte
	ns int
}

// nameserver names the nameserver of index i as HAProxy names what
// updated an address: "section/name".
func (r *Resolver) nameserver(i int) string {
	if i < len(r.cfg.Names) {
		return r.cfg.Name + "/" + r.cfg.Names[i]
	}
	return r.cfg.Name + "/" + r.cfg.Nameservers[i].String()
}

// read passes the datagrams of nameserver socket ns to the run goroutine
// until the socket is closed.
func (r *Resolver) read(c *net.UDPConn, ns int) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, err := c.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // an ICMP error for an earlier query
		}
		select {
		case r.packets <- packet{append([]byte(nil), buf[:n]...), ns}:
		case <-r.stop:
			return
		}
	}
}

// run is the resolver's goroutine: it sends due queries, retries and
// times them out, and handles responses.
func (r *Resolver) run() {
	defer r.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		now := time.Now()
		next := r.process(now)
		r.flush()
		t.Reset(next.Sub(now))
		select {
		case <-r.stop:
			return
		case p := <-r.packets:
			r.receive(p.b, p.ns, time.Now())
			r.flush()
		case <-t.C:
		}
	}
}

// process times out or retries running resolutions whose `timeout retry`
// passed, starts the resolutions whose `timeout resolve` passed, and
// returns when it must run next.
func (r *Resolver) process(now time.Time) time.Time {
	for _, res := range slices.Clone(r.resolutions) {
		if res.dropped || !res.running || now.Before(res.lastQuery.Add(r.cfg.Retry)) {
			continue
		}
		if res.try == 0 {
			if res.responses == 0 {
				res.status = StatusTimeout
			}
			r.fail(res, now)
			continue
		}
		if res.responses == 0 || res.prefer != res.qtype || fallback(res.prefer) == 0 {
			res.qtype = res.prefer
			res.try--
		} else {
			res.qtype = fallback(res.prefer)
		}
		r.send(res, now)
	}
	for _, res := range slices.Clone(r.resolutions) {
		if res.dropped || res.running || (!res.lastResolution.IsZero() && now.Before(res.lastResolution.Add(r.cfg.Resolve))) {
			continue
		}
		r.start(res, now)
	}
	next := now.Add(r.cfg.Resolve)
	for _, res := range r.resolutions {
		at := res.lastResolution.Add(r.cfg.Resolve)
		if res.running {
			at = res.lastQuery.Add(r.cfg.Retry)
		}
		if at.Before(next) {
			next = at
		}
	}
	return next
}

// start runs a new resolution of res with a query id no running
// resolution uses.
func (r *Resolver) start(res *resolution, now time.Time) {
	for {
		res.id = uint16(rand.Uint32())
		if r.byID(res.id) == nil {
			break
		}
	}
	res.running = true
	res.qtype = res.prefer
	res.try = r.cfg.Retries - 1
	r.send(res, now)
}

// byID returns the running resolution with query id id, or nil.
func (r *Resolver) byID(id uint16) *resolution {
	for _, res := range r.resolutions {
		if res.running && res.id == id {
			return res
		}
	}
	return nil
}

// send sends the current query of res to every nameserver.
func (r *Resolver) send(res *resolution, now time.Time) {
	res.queries, res.responses = 0, 0
	res.lastQuery = now
	q, err := buildQuery(res.id, res.name, res.qtype, r.cfg.PayloadSize)
	if err != nil {
		return // a name too long to ask: the retries time it out
	}
	for _, c := range r.conns {
		if _, err := c.Write(q); err == nil {
			res.queries++
		}
	}
}

// receive handles one response: it is matched to its running resolution
// by id, validated against the question, and then either ends the
// resolution (a valid answer, or errors from every nameserver with no
// fallback left) or switches A and AAAA.
func (r *Resolver) receive(b []byte, ns int, now time.Time) {
	if len(b) > r.cfg.PayloadSize || len(b) < 2 {
		return
	}
	res := r.byID(uint16(b[0])<<8 | uint16(b[1]))
	if res == nil {
		return // outdated
	}
	res.responses++
	max := (r.cfg.PayloadSize - headerSize) / minRecordSize
	a, c := parseAnswer(b, res.name, res.qtype, max)
	if c != causeValid {
		res.status = c.status()
		if res.responses < res.queries {
			return // wait for the other nameservers
		}
		switch {
		case res.prefer != res.qtype:
			if res.try == 0 {
				r.fail(res, now)
			}
		case fallback(res.prefer) != 0:
			res.qtype = fallback(res.prefer)
			r.send(res, now)
		}
		return
	}
	res.merge(a, now)
	r.checkRecords(res, now)
	res.status = StatusValid
	res.lastValid = now
	if !res.srv { // SRV slots were filled by checkRecords
		// As in HAProxy, the first requester's new address is the
		// nameserver's doing, the others' the cache's.
		for i, s := range append([]*server(nil), res.servers...) {
			updater := "DNS cache"
			if i == 0 {
				updater = r.nameserver(ns)
			}
			r.resolved(s, res, updater, now)
		}
	}
	res.reset(now)
}

// fail reports the error status of res to its requesters and ends it. The
// records are dropped unless a requester still holds its address.
func (r *Resolver) fail(res *resolution, now time.Time) {
	keep := false
	if res.srv {
		keep = r.srvFailed(res, now)
	} else {
		for _, s := range append([]*server(nil), res.servers...) {
			if r.failed(s, res, now) {
				keep = true
			}
		}
	}
	if !keep {
		for _, s := range r.servers {
			if s.res == res {
				s.rec = nil
			}
		}
		res.records = nil
	}
	res.reset(now)
}
