package dns

import (
	"net/netip"
	"strings"
	"time"

	mdns "github.com/miekg/dns"
)

// server is the resolver's view of one server: the address, port, weight
// and maintenance flag resolution gave it, and what it is linked to.
type server struct {
	Server

	addr   netip.Addr
	port   uint16 // from an SRV record; 0 without
	weight int    // from an SRV record; -1 without
	maint  bool   // the RMAINT flag
	reason string // why maint last changed
	by     string // what gave addr, for Change.Updater

	host   string      // name it resolves; "" for an SRV slot without record
	res    *resolution // its A/AAAA resolution; nil without
	rec    *record     // the address record it holds in res
	srvq   *resolution // the SRV resolution it is a slot of; nil without
	srvRec *record     // the SRV record it serves
	noRes  bool        // an SRV slot that resolves nothing: no record, or an additional record gave the address

	told told // what apply last heard
}

// told is what a server's changes last reported.
type told struct {
	addr   netip.Addr
	port   uint16
	weight int
	maint  bool
	host   string
}

func newServer(cs Server) *server {
	s := &server{Server: cs, addr: cs.Addr, weight: -1, maint: cs.Maint}
	s.told = told{addr: s.addr, weight: -1, maint: s.maint}
	return s
}

// setMaint sets or clears the RMAINT flag; it reports whether it changed.
func (r *Resolver) setMaint(s *server, on bool, reason string) bool {
	if s.maint == on {
		return false
	}
	s.maint, s.reason = on, reason
	r.touch(s)
	return true
}

// setAddr gives s address a (invalid to clear it), given by updater.
func (r *Resolver) setAddr(s *server, a netip.Addr, updater string) {
	s.addr, s.by = a, updater
	r.touch(s)
}

func (r *Resolver) touch(s *server) { r.dirty = append(r.dirty, s) }

// flush reports what changed in each touched server since apply last
// heard of it.
func (r *Resolver) flush() {
	for _, s := range r.dirty {
		c := Change{Backend: s.Backend, Server: s.Name}
		if s.addr != s.told.addr {
			c.SetAddr, c.Addr, c.Updater = true, s.addr, s.by
		}
		if s.port != s.told.port {
			c.SetPort, c.Port = true, s.port
		}
		if s.weight != s.told.weight && s.weight >= 0 {
			c.SetWeight, c.Weight = true, s.weight
		}
		if s.maint != s.told.maint {
			c.SetMaint, c.Maint, c.Reason = true, s.maint, s.reason
		}
		if s.srvq != nil && s.host != s.told.host {
			c.SetHost, c.Host = true, strings.TrimSuffix(s.host, ".")
		}
		s.told = told{addr: s.addr, port: s.port, weight: s.weight, maint: s.maint, host: s.host}
		if c.SetAddr || c.SetPort || c.SetWeight || c.SetMaint || c.SetHost {
			r.apply(c)
		}
	}
	r.dirty = r.dirty[:0]
}

// resolved applies a valid answer of res to requester s: it keeps the
// record it holds while the record lives, or picks one, and leaves or
// enters maintenance.
func (r *Resolver) resolved(s *server, res *resolution, updater string, now time.Time) {
	if s.srvq != nil && s.noRes {
		return
	}
	rec, current := r.pick(s, res)
	noIP := rec == nil
	if rec != nil && !current {
		r.setAddr(s, rec.ip, updater)
	}
	if r.updateStatus(s, res, noIP, now) && noIP {
		r.setAddr(s, netip.Addr{}, "")
	}
}

// pick returns the record s uses after a valid answer, and whether it is
// the address s already has. A record s holds stays its own. Otherwise
// each address record scores 8 for the preferred family, 4 for a
// preferred network, 2 when no other server of the backend holds it (a
// held one is skipped unless duplicates are allowed) and 1 for the
// current address; the first best score wins, in record order.
func (r *Resolver) pick(s *server, res *resolution) (*record, bool) {
	if s.rec != nil {
		return s.rec, true
	}
	var best *record
	bestCurrent := false
	max := -1
	for _, rec := range res.records {
		if rec.typ != mdns.TypeA && rec.typ != mdns.TypeAAAA {
			continue
		}
		score := 0
		if (rec.typ == mdns.TypeAAAA) == (s.Prefer == IPv6) {
			score += 8
		}
		for _, n := range s.Nets {
			if n.Addr().Is4() == rec.ip.Is4() && n.Contains(rec.ip) {
				score += 4
				break
			}
		}
		if r.heldByOther(s, rec) {
			if !s.AllowDup {
				continue
			}
		} else {
			score += 2
		}
		current := rec.ip == s.addr
		if current {
			score++
		}
		if score > max {
			best, bestCurrent, max = rec, current, score
			if score == 15 {
				break
			}
		}
	}
	s.rec = best
	return best, bestCurrent
}

// heldByOther reports whether another server of s's backend holds rec.
func (r *Resolver) heldByOther(s *server, rec *record) bool {
	for _, o := range r.servers {
		if o != s && o.rec == rec && o.Backend == s.Backend {
			return true
		}
	}
	return false
}

// updateStatus moves s in or out of maintenance after a resolution of res
// ended with its status; it reports whether the flag changed. A valid
// answer without an address for s, or an error past its hold period since
// the last valid answer, sets the flag; a valid answer with one clears it.
func (r *Resolver) updateStatus(s *server, res *resolution, noIP bool, now time.Time) bool {
	switch res.status {
	case StatusNone:
		return false
	case StatusValid:
		if noIP {
			return r.setMaint(s, true, "No IP for server ")
		}
		return r.setMaint(s, false, "valid DNS answer")
	}
	if res.holds(res.holdFor(r.cfg.Hold), now) {
		return false
	}
	reason := "unspecified DNS error"
	switch res.status {
	case StatusNX:
		reason = "DNS NX status"
	case StatusTimeout:
		reason = "DNS timeout status"
	case StatusRefused:
		reason = "DNS refused status"
	}
	return r.setMaint(s, true, reason)
}

// failed applies an error of res to requester s; it reports whether s
// keeps its record (the error is within its hold period).
func (r *Resolver) failed(s *server, res *resolution, now time.Time) bool {
	if !r.updateStatus(s, res, true, now) {
		return true
	}
	r.setAddr(s, netip.Addr{}, "")
	s.rec = nil
	return false
}

// srvFailed applies an error of SRV resolution res to its slots: past the
// hold period, every slot serving a record is emptied. It reports whether
// the records are kept.
func (r *Resolver) srvFailed(res *resolution, now time.Time) bool {
	if res.holds(res.holdFor(r.cfg.Hold), now) {
		return true
	}
	for _, s := range res.servers {
		if s.srvRec != nil {
			r.cleanupSlot(s)
		}
	}
	return false
}

// checkRecords drops the records of res (and additional records) not seen
// within hold obsolete, releasing the servers that held them, then gives
// each SRV record a slot: the one already serving it, else the first free
// one.
func (r *Resolver) checkRecords(res *resolution, now time.Time) {
	hold := r.cfg.Hold.Obsolete
	for _, rec := range append([]*record(nil), res.records...) {
		if rec.ar != nil && obsolete(rec.ar.lastSeen, hold, now) {
			rec.ar = nil
		}
		if obsolete(rec.lastSeen, hold, now) {
			for _, s := range r.servers {
				if s.rec == rec {
					s.rec = nil
				}
				if s.srvRec == rec {
					r.cleanupSlot(s)
				}
			}
			res.remove(rec)
			continue
		}
		if rec.typ == mdns.TypeSRV {
			r.fillSlot(res, rec)
		}
	}
}

// fillSlot gives SRV record rec to a slot of res and sets its port,
// weight and address (from the additional record, or by resolving the
// target).
func (r *Resolver) fillSlot(res *resolution, rec *record) {
	var s *server
	for _, o := range res.servers {
		if o.srvRec == rec {
			s = o
			break
		}
	}
	if s == nil {
		if len(res.free) == 0 {
			return
		}
		s = res.free[0]
		res.free = res.free[1:]
	}
	s.noRes = false
	if rec.ar != nil {
		if rec.ar.ip != s.addr {
			r.setAddr(s, rec.ar.ip, "DNS additional record")
		}
		s.noRes = true
		r.unlink(s)
	}
	if s.host == "" {
		s.host = rec.target
		r.touch(s)
	}
	s.srvRec = rec
	if !s.noRes && s.res == nil {
		r.link(s, s.host)
	}
	if s.addr.IsValid() {
		r.setMaint(s, false, "SRV record")
	} else {
		r.setMaint(s, true, "entry removed from SRV record")
	}
	if s.port != rec.port {
		s.port = rec.port
		r.touch(s)
	}
	if !s.IgnoreWeight {
		if w := (int(rec.weight) + 255) / 256; w != s.weight {
			s.weight = w
			r.touch(s)
		}
	}
}

// cleanupSlot empties SRV slot s: no name, address or port, in
// maintenance, and last in the free list.
func (r *Resolver) cleanupSlot(s *server) {
	r.unlink(s)
	r.setMaint(s, true, "entry removed from SRV record")
	s.host = ""
	r.setAddr(s, netip.Addr{}, "")
	s.port = 0
	s.noRes = true
	s.srvRec = nil
	s.srvq.free = append(s.srvq.free, s)
}
