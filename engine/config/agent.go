package config

import (
	"net/netip"
	"time"
)

// Agent is the agent check of a server (`agent-check` and its settings):
// every Inter the checker connects to Addr:Port, sends Send, and applies
// the line the agent answers (a weight, a state, a maxconn).
type Agent struct {
	Enabled bool          // `agent-check`; `no-agent-check` clears it
	Port    int           // `agent-port`; 0 for `port`'s, which must then be set
	Addr    netip.Addr    // `agent-addr`; invalid for `addr`'s, else the server's address
	Inter   time.Duration // `agent-inter`; 0 for the default, 2s
	Send    string        // `agent-send`: what the checker sends first; "" for nothing
}

// DefaultAgentInter is the agent check interval without `agent-inter`.
const DefaultAgentInter = 2 * time.Second

// agentKeywords are the server keywords of agent checks.
var agentKeywords = map[string]serverKeyword{
	"agent-check":    {false, func(_ *parser, s *Server, _, _ string) bool { s.Agent.Enabled = true; return true }},
	"no-agent-check": {false, func(_ *parser, s *Server, _, _ string) bool { s.Agent.Enabled = false; return true }},
	"agent-inter": {true, func(p *parser, s *Server, kw, v string) bool {
		return p.serverDelay(&s.Agent.Inter, kw, v, s.Name)
	}},
	"agent-port": {true, (*parser).serverAgentPort},
	"agent-addr": {true, (*parser).serverAgentAddr},
	"agent-send": {true, func(p *parser, s *Server, kw, v string) bool {
		if v == "" {
			p.alert("'" + kw + "' expects a string as argument.")
			return false
		}
		s.Agent.Send = v
		return true
	}},
}

func (p *parser) serverAgentPort(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects a port number as argument.")
		return false
	}
	s.Agent.Port = int(uint16(atoi(val))) // as HAProxy keeps it, in 16 bits
	return true
}

func (p *parser) serverAgentAddr(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects an address as argument.")
		return false
	}
	ip, err := netip.ParseAddr(val)
	if err != nil {
		p.alert("parsing agent-addr failed. Check if '" + val + "' is correct address.")
		return false
	}
	s.Agent.Addr = ip.Unmap()
	return true
}

// finishAgent checks a server's agent settings once its line is read: an
// agent check needs a port, its own or the line's `port`.
func (p *parser) finishAgent(s *Server) bool {
	if !s.Agent.Enabled {
		return true
	}
	if s.Agent.Port == 0 && s.CheckPort == 0 {
		p.alert("server " + s.Name + " does not have agent port. Agent check has been disabled.")
		return false
	}
	return true
}

// AgentTarget is where the agent check of s connects: its agent-addr, else
// its addr, else def (the server's address); on its agent-port, else its
// port.
func (s *Server) AgentTarget(def netip.Addr) netip.AddrPort {
	addr := s.Agent.Addr
	if !addr.IsValid() {
		addr = s.CheckAddr
	}
	if !addr.IsValid() {
		addr = def
	}
	port := s.Agent.Port
	if port == 0 {
		port = s.CheckPort
	}
	return netip.AddrPortFrom(addr, uint16(port))
}
