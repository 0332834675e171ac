package config

import "strings"

// applyTracks links each server line with `track [<proxy>/]<server>` to
// the server it follows, in configuration order, and refuses what HAProxy
// 2.6 refuses: a server that both checks and tracks, an unknown proxy or
// server, a tracked server that neither checks nor tracks, a chain that
// loops back, and proxies that disagree on `http-check disable-on-404`.
func (p *parser) applyTracks() {
	for _, px := range p.cfg.Proxies {
		if px.Cap&CapBackend == 0 {
			continue
		}
		for _, s := range px.Servers {
			if s.trackit != "" {
				p.applyTrack(px, s)
			}
		}
	}
}

// applyTrack links server s of px to the server its `track` names.
func (p *parser) applyTrack(px *Proxy, s *Server) {
	if msg := p.cfg.Track(px, s, s.trackit); msg != "" {
		p.alertAt(s.File, s.Line, "", "server "+px.Name+"/"+s.Name, msg)
	}
}

// Track links server s of backend px to the server arg names,
// "[<proxy>/]<server>", as `track` does, and returns "" or HAProxy's
// words for the refusal. The runtime API uses it for `add server ...
// track`.
func (c *Config) Track(px *Proxy, s *Server, arg string) string {
	if s.Check {
		return "unable to enable checks and tracking at the same time!"
	}
	tpx, name := px, arg
	if i := strings.LastIndexByte(arg, '/'); i >= 0 {
		pname := arg[:i]
		name = arg[i+1:]
		if tpx = c.Backend(pname); tpx == nil {
			return "unable to find required proxy '" + pname + "' for tracking."
		}
	}
	t := tpx.Server(name)
	if t == nil {
		return "unable to find required server '" + name + "' for tracking."
	}
	full := tpx.Name + "/" + t.Name
	if !t.Check && t.Track == nil && t.trackit == "" {
		return "unable to use " + full + " for tracking as it does not have any check nor agent enabled."
	}
	loop := t.Track
	for loop != nil && loop != s {
		loop = loop.Track
	}
	if t == s || loop != nil {
		back := t.Name
		if loop != nil {
			back = loop.Name
		}
		return "unable to track " + full + " as it belongs to a tracking chain looping back to " + tpx.Name + "/" + back + "."
	}
	if tpx != px && px.HTTPCheck.DisableOn404 != tpx.HTTPCheck.DisableOn404 {
		return "unable to use " + full + " fortracking: disable-on-404 option inconsistency."
	}
	s.Track, s.TrackBackend = t, tpx.Name
	return ""
}
