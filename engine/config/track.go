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
	refuse := func(msg string) { p.alertAt(s.File, s.Line, "", "server "+px.Name+"/"+s.Name, msg) }
	if s.Check {
		refuse("unable to enable checks and tracking at the same time!")
		return
	}
	tpx, name := px, s.trackit
	if i := strings.LastIndexByte(s.trackit, '/'); i >= 0 {
		pname := s.trackit[:i]
		name = s.trackit[i+1:]
		if tpx = p.cfg.Backend(pname); tpx == nil {
			refuse("unable to find required proxy '" + pname + "' for tracking.")
			return
		}
	}
	t := tpx.Server(name)
	if t == nil {
		refuse("unable to find required server '" + name + "' for tracking.")
		return
	}
	full := tpx.Name + "/" + t.Name
	if !t.Check && t.Track == nil && t.trackit == "" {
		refuse("unable to use " + full + " for tracking as it does not have any check nor agent enabled.")
		return
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
		refuse("unable to track " + full + " as it belongs to a tracking chain looping back to " + tpx.Name + "/" + back + ".")
		return
	}
	if tpx != px && px.HTTPCheck.DisableOn404 != tpx.HTTPCheck.DisableOn404 {
		refuse("unable to use " + full + " fortracking: disable-on-404 option inconsistency.")
		return
	}
	s.Track, s.TrackBackend = t, tpx.Name
}
