package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"tether/engine/accesslog"
	"tether/engine/config"
	"tether/engine/dns"
)

// ErrInitAddr: no init-addr method gave a server given by name an address.
var ErrInitAddr = errors.New("engine: could not resolve address")

// libcTimeout bounds the system resolver's lookup of one server at start.
const libcTimeout = 5 * time.Second

// resolvConf is where parse-resolv-conf reads nameservers.
const resolvConf = "/etc/resolv.conf"

// initAddr gives server s of line cs, given by name, its address at start
// by trying cs's init-addr methods in turn, as HAProxy does: last (no
// state file here, so it never applies), libc (the system resolver; not
// for an SRV name), none (maintenance without address) or a fixed
// address.
func initAddr(s *server, cs *config.Server) error {
	port := uint16(0)
	if cs.Addr.PortMode == config.PortFixed {
		port = uint16(cs.Addr.Port)
	}
	for _, m := range cs.InitAddr {
		switch m.Method {
		case config.InitLibc:
			if strings.HasPrefix(cs.Addr.Host, "_") {
				continue
			}
			if ip, ok := lookupLibc(cs.Addr.Host, cs.Prefer); ok {
				startAt(s, cs, netip.AddrPortFrom(ip, port))
				return nil
			}
		case config.InitNone:
			// newServer left it in maintenance; the port waits for
			// the address resolution gives.
			s.addr = netip.AddrPortFrom(netip.Addr{}, port)
			return nil
		case config.InitIP:
			startAt(s, cs, netip.AddrPortFrom(m.IP, port))
			return nil
		}
	}
	return fmt.Errorf("%w '%s' of server %s", ErrInitAddr, cs.Addr.Host, cs.Name)
}

// startAt gives s its address at start: it leaves the maintenance newServer
// put it in for want of one, unless the line disables it.
func startAt(s *server, cs *config.Server, ap netip.AddrPort) {
	s.setAddr(ap)
	if !cs.Disabled {
		s.state = StateReady
	}
}

// lookupLibc resolves host with the system resolver, taking an address of
// the preferred family first.
func lookupLibc(host string, prefer config.Network) (netip.Addr, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), libcTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return netip.Addr{}, false
	}
	for _, ip := range ips {
		if ip.Unmap().Is4() == (prefer == config.NetTCP4) {
			return ip.Unmap(), true
		}
	}
	return ips[0].Unmap(), true
}

// resolvedServers returns, for each resolvers section, the servers of the
// configuration given by name that resolve with it, as the resolver sees
// them at start.
func (e *Engine) resolvedServers() map[*config.Resolvers][]dns.Server {
	out := make(map[*config.Resolvers][]dns.Server)
	for _, b := range e.backends {
		sn := b.snap.Load()
		for i, cs := range b.proxy.Servers {
			if cs.Resolvers == nil || cs.Addr.Host == "" {
				continue
			}
			s := sn.servers[i]
			ds := dns.Server{Backend: b.Name, Name: cs.Name, Host: cs.Addr.Host, Nets: cs.Nets,
				AllowDup: cs.AllowDup, IgnoreWeight: cs.NoWeight, Addr: s.addr.Addr(),
				Maint: !s.addr.IsValid()}
			if cs.Prefer == config.NetTCP4 {
				ds.Prefer = dns.IPv4
			}
			out[cs.Resolvers] = append(out[cs.Resolvers], ds)
		}
	}
	return out
}

// dnsConfig converts a resolvers section. parse-resolv-conf adds the
// nameservers of /etc/resolv.conf; nameservers over TCP are left out.
func dnsConfig(r *config.Resolvers) dns.Config {
	c := dns.Config{Name: r.Name, PayloadSize: r.AcceptedPayloadSize, Retries: r.ResolveRetries,
		Resolve: r.TimeoutResolve, Retry: r.TimeoutRetry, Hold: dns.Hold(r.Hold)}
	for _, ns := range r.Nameservers {
		if !ns.TCP {
			c.Nameservers = append(c.Nameservers, ns.Addr)
			c.Names = append(c.Names, ns.Name)
		}
	}
	if r.ParseResolvConf {
		c.Nameservers = append(c.Nameservers, readResolvConf(resolvConf)...)
	}
	return c
}

// readResolvConf returns the nameservers of a resolv.conf file, on port 53.
func readResolvConf(path string) []netip.AddrPort {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []netip.AddrPort
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 2 || w[0] != "nameserver" {
			continue
		}
		if ip, err := netip.ParseAddr(w[1]); err == nil {
			out = append(out, netip.AddrPortFrom(ip.Unmap(), 53))
		}
	}
	return out
}

// startResolvers starts one resolver per resolvers section a server uses.
// A section without a usable nameserver resolves nothing: its servers keep
// their addresses from start.
func (e *Engine) startResolvers() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.resolversOn {
		return nil
	}
	e.resolversOn = true
	for sec, servers := range e.resolvedServers() {
		r, err := dns.New(dnsConfig(sec), servers, e.applyResolution)
		if errors.Is(err, dns.ErrNoNameserver) {
			continue
		}
		if err != nil {
			for _, o := range e.resolvers {
				o.Stop()
			}
			e.resolvers = nil
			return err
		}
		r.Start()
		e.resolvers = append(e.resolvers, r)
	}
	return nil
}

// stopResolvers stops the resolvers; none starts after it.
func (e *Engine) stopResolvers() {
	e.mu.Lock()
	rs := e.resolvers
	e.resolvers = nil
	e.resolversOn = true
	e.mu.Unlock()
	for _, r := range rs {
		r.Stop()
	}
}

// applyResolution applies what a resolution changed in a server, through
// the control methods: a new snapshot for each change, as the runtime API
// makes them, each logged as HAProxy logs it. The RMAINT flag goes through
// setResolved: a server leaves it only once it has its address, and
// enters it before losing it, so that no snapshot offers a server without
// address; its other maintenance flags (`disabled`, the runtime API's)
// are its own.
func (e *Engine) applyResolution(c dns.Change) {
	if c.SetMaint && c.Maint {
		_ = e.setResolved(c.Backend, c.Server, netip.Addr{}, false, cause{admin: c.Reason}) // RMAINT, before the address goes
	}
	if c.SetAddr && c.Addr.IsValid() {
		e.logNewAddr(c)
	}
	if c.SetAddr || c.SetPort {
		// Unlike `set server ... addr`, a resolution leaves RMAINT below.
		_ = e.changeServer(c.Backend, c.Server, cause{}, func(s *server) {
			ap := s.addr
			if c.SetAddr {
				ap = netip.AddrPortFrom(c.Addr, ap.Port())
			}
			if c.SetPort {
				ap = netip.AddrPortFrom(ap.Addr(), c.Port)
			}
			s.changeAddr(ap)
		})
	}
	if c.SetWeight {
		_ = e.SetServerWeight(c.Backend, c.Server, c.Weight)
	}
	if c.SetHost {
		if old := e.SRVTarget(c.Backend, c.Server); c.Host != "" && c.Host != old {
			if old == "" {
				old = "(null)"
			}
			if b := e.byName[c.Backend]; b != nil {
				b.event(accesslog.LevelNotice, c.Backend+"/"+c.Server+" changed its FQDN from "+old+" to "+c.Host+" by 'SRV record'")
			}
			// As HAProxy, a server whose FQDN was set at run time is
			// marked so (HMAINT, which stops nothing).
			_ = e.changeServer(c.Backend, c.Server, cause{}, func(s *server) { s.cond.admin |= AdminHMaint })
		}
		e.setSRVTarget(c.Backend, c.Server, c.Host)
	}
	if c.SetMaint && !c.Maint {
		// Out of RMAINT once the address is set; other maintenance flags
		// (disabled, the runtime API's) stay.
		b, sn, i, err := e.find(c.Backend, c.Server)
		if err != nil {
			return
		}
		_ = e.setResolved(c.Backend, c.Server, sn.servers[i].addr.Addr(), true, cause{host: e.hostOf(c.Backend, c.Server)})
		if c.Reason == "valid DNS answer" {
			b.event(accesslog.LevelNotice, "Server "+b.Name+"/"+c.Server+" administratively READY thanks to valid DNS answer.")
		}
	}
}

// logNewAddr logs the address a resolution gives a server, as HAProxy
// does: "be/srv changed its IP from OLD to NEW by UPDATER".
func (e *Engine) logNewAddr(c dns.Change) {
	b, sn, i, err := e.find(c.Backend, c.Server)
	if err != nil {
		return
	}
	old := "(none)"
	if a := sn.servers[i].addr.Addr(); a.IsValid() {
		if a == c.Addr {
			return
		}
		old = a.String()
	}
	b.event(accesslog.LevelNotice, b.Name+"/"+c.Server+" changed its IP from "+old+" to "+c.Addr.String()+" by "+c.Updater+".")
}

// serverName names a server of a backend.
type serverName struct{ backend, server string }

// setSRVTarget records the SRV target a server resolves ("" for none).
func (e *Engine) setSRVTarget(backend, srv, host string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.srvTargets == nil {
		e.srvTargets = make(map[serverName]string)
	}
	e.srvTargets[serverName{backend, srv}] = host
}

// SRVTarget returns the name a server of a server-template resolved by SRV
// records resolves now, the target of its record; "" when it serves no
// record.
func (e *Engine) SRVTarget(backend, srv string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.srvTargets[serverName{backend, srv}]
}
