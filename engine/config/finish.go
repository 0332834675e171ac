package config

import (
	"slices"
	"strings"

	"tether/persist"
)

// finish runs the checks HAProxy makes once every file is read: it numbers
// the proxies, resolves references by name (backends, servers, resolvers)
// and fills the settings that default to other settings.
func (p *parser) finish() {
	p.file, p.line, p.kw, p.sectionDesc = "", 0, "", ""
	// As HAProxy numbers them, a proxy without an `id` takes the first id
	// no proxy took from a count that every proxy advances, those with an
	// `id` included.
	id := 1
	if p.statsSocket {
		id = 2 // the internal GLOBAL frontend of the stats socket counts
	}
	taken := map[int]bool{}
	for _, px := range p.cfg.Proxies {
		if px.IDSet {
			taken[px.ID] = true
		}
	}
	for _, px := range p.cfg.Proxies {
		if !px.IDSet {
			for taken[id] {
				id++
			}
			px.ID = id
		}
		id++
	}
	for _, r := range p.cfg.Resolvers {
		if len(r.Nameservers) == 0 && !r.ParseResolvConf {
			p.warnAt(r.File, r.Line, "resolvers '"+r.Name+"'", "", "resolvers '"+r.Name+"' has no nameservers configured!")
		}
	}
	for _, px := range p.cfg.Proxies {
		p.resolveErrorImports(px)
		p.checkProxy(px)
	}
	p.applyTracks()
}

// checkProxy checks one frontend, backend or listen after parsing.
func (p *parser) checkProxy(px *Proxy) {
	desc := describe(px)
	t := &px.Timeouts
	if px.Cap&CapFrontend != 0 && t.Client == 0 || px.Cap&CapBackend != 0 && len(px.Servers) > 0 && (t.Connect == 0 || t.Server == 0) {
		p.warnAt(px.File, px.Line, desc, "timeout", "missing timeouts for "+desc+". While not properly invalid, you will certainly encounter various problems with such a configuration. To fix this, please ensure that all following timeouts are set to a non-zero value: 'client', 'connect', 'server'.")
	}
	if px.Mode != ModeHTTP {
		p.alertAt(px.File, px.Line, desc, "mode", desc+" is in tcp mode ('mode tcp' or no 'mode http'), which is not supported yet by tether.")
	}
	if px.Cap&CapFrontend != 0 && len(px.Binds) == 0 {
		p.warnAt(px.File, px.Line, desc, "", desc+" has no 'bind' directive. Please declare it as a backend if this was intended.")
	}
	// As HAProxy, a backend's default_backend is resolved (and may fail) too,
	// though only frontends use it.
	if px.defaultBackend != "" {
		be := p.resolveBackend(px, px.defaultBackend, "default_backend")
		if px.Cap&CapFrontend != 0 {
			px.DefaultBackend = be
		}
	}
	for i := range px.UseBackends {
		r := &px.UseBackends[i]
		r.Backend = p.resolveBackend(px, r.name, "use_backend")
	}
	if px.Cap&CapBackend == 0 {
		return
	}
	px.Balance.AllBackups = px.Options.AllBackups
	for i := range px.UseServers {
		r := &px.UseServers[i]
		if r.Server = px.Server(r.name); r.Server == nil {
			p.alertAt(px.File, r.line, desc, "use-server", desc+" : unable to find server '"+r.name+"' referenced in a 'use-server' rule.")
		}
	}
	numberServers(px)
	for _, s := range px.Servers {
		if s.MinConn > s.MaxConn {
			s.MaxConn = s.MinConn // as HAProxy: a static maxconn
		}
		if s.FastInter == 0 {
			s.FastInter = s.Inter
		}
		if s.DownInter == 0 {
			s.DownInter = s.Inter
		}
		if s.InitAddr == nil {
			s.InitAddr = []InitAddr{{Method: InitLast}, {Method: InitLibc}}
			if s.resolvers != "" {
				// As HAProxy, a server that resolves at run time does
				// not fail to start for want of an address.
				s.InitAddr = append(s.InitAddr, InitAddr{Method: InitNone})
			}
		}
		if s.resolvers != "" {
			if s.Resolvers = p.findResolvers(s.resolvers); s.Resolvers == nil {
				p.alertAt(s.File, s.Line, desc, "server "+px.Name+"/"+s.Name, desc+", server '"+s.Name+"': unable to find required resolvers '"+s.resolvers+"'")
			}
		}
	}
	if px.Cookie.Dynamic && px.DynamicCookieKey != "" {
		p.checkDynamicCookies(px)
	}
	if len(px.HTTPCheck.Rules) > 0 && !px.Options.HTTPChk.Enabled {
		p.warnAt(px.File, px.Line, desc, "http-check", desc+" uses http-check rules without 'option httpchk', so the rules are ignored.")
	}
}

// checkDynamicCookies warns, as HAProxy does at startup, about servers of
// a backend whose dynamic cookies collide. Only address literals are known
// here; servers given by name get their cookie once resolved.
func (p *parser) checkDynamicCookies(px *Proxy) {
	b := persist.Backend{Name: px.Name, Options: px.Cookie, Key: px.DynamicCookieKey, Servers: make([]persist.Server, len(px.Servers))}
	for i, s := range px.Servers {
		ps := &b.Servers[i]
		ps.Addr, ps.Port = s.Addr.IP, svcPort(s.Addr)
		if s.CookieSet {
			ps.Cookie = s.Cookie
		}
		if s.Disabled {
			ps.State = persist.Maint
		}
	}
	_, warnings := persist.Build(&b)
	for _, w := range warnings {
		p.warnAt(px.File, px.Line, describe(px), "cookie", strings.ReplaceAll(w, "\n", " "))
	}
}

// svcPort is HAProxy's svc_port of a server address: the port, 0 without
// one, N for "+N" and 2^32-N for "-N".
func svcPort(a ServerAddr) uint32 {
	if a.PortMode == PortNone {
		return 0
	}
	return uint32(int32(a.Port))
}

// resolveBackend finds the backend a rule of px names; it alerts when there
// is none or when it is px itself.
func (p *parser) resolveBackend(px *Proxy, name, kw string) *Proxy {
	be := p.findBackend(name)
	switch be {
	case nil:
		p.alertAt(px.File, px.Line, describe(px), kw, "Proxy '"+px.Name+"': unable to find required "+kw+": '"+name+"'.")
	case px:
		p.alertAt(px.File, px.Line, describe(px), kw, "Proxy '"+px.Name+"': loop detected for "+kw+": '"+name+"'.")
		return nil
	}
	return be
}

// findBackend returns the proxy with the backend capability named name.
func (p *parser) findBackend(name string) *Proxy {
	i := slices.IndexFunc(p.cfg.Proxies, func(o *Proxy) bool { return o.Name == name && o.Cap&CapBackend != 0 })
	if i < 0 {
		return nil
	}
	return p.cfg.Proxies[i]
}

// findResolvers returns the resolvers section named name. A reference to
// "default" without such a section gets HAProxy's implicit one, which reads
// /etc/resolv.conf.
func (p *parser) findResolvers(name string) *Resolvers {
	for _, r := range p.cfg.Resolvers {
		if r.Name == name {
			return r
		}
	}
	if name != "default" {
		return nil
	}
	r := newResolvers("default")
	r.ParseResolvConf = true
	p.cfg.Resolvers = append(p.cfg.Resolvers, r)
	return r
}
