package engine

import (
	"bytes"
	"cmp"
	"errors"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"tether/engine/balance"
	"tether/engine/config"
)

// An agent check asks a program beside the server how the server is: the
// checker connects to the agent, sends agent-send, and reads one line of
// words (a weight "75%", a health "up", "down", "stopped" or "fail", an
// administrative state "ready", "drain" or "maint", "maxconn:N", then an
// optional "# description"), which it applies as HAProxy 2.6 does. The
// agent's health is one step (rise 1, fall 1): "down" holds the server
// down whatever its health check says, "up" lets the health check bring
// it up; a failure to reach the agent changes nothing.

// agentCond is the agent check's part of a server's condition: whether
// it runs, what it last said, and where it goes (which the runtime API
// changes as it changes the rest).
type agentCond struct {
	conf   bool       // the server line has `agent-check`
	on     bool       // its agent checks run (`enable agent`, `disable agent`)
	health int        // 1 while the agent lets the server up, 0 after "down"
	addr   netip.Addr // where it connects; invalid for the server's address
	port   int        // on which port
	send   string     // what it sends first
}

// newAgentCond is the agent condition of a server line at start.
func newAgentCond(cs *config.Server) agentCond {
	ap := cs.AgentTarget(netip.Addr{})
	a := agentCond{addr: ap.Addr(), port: int(ap.Port()), send: cs.Agent.Send}
	if cs.Agent.Enabled {
		a.conf, a.on, a.health = true, true, 1
	}
	return a
}

// target is where the agent of server s is.
func (a agentCond) target(s *server) netip.AddrPort {
	addr := a.addr
	if !addr.IsValid() {
		addr = s.addr.Addr()
	}
	return netip.AddrPortFrom(addr, uint16(a.port))
}

// Errors of the agent control methods, worded as HAProxy's replies.
var (
	ErrAgentNotConfigured = errors.New("Agent was not configured on this server, cannot enable.")
	ErrAgentDisabled      = errors.New("agent checks are not enabled on this server.")
)

// SetAgentCheck starts or stops a server's configured agent checks
// (`enable agent`, `disable agent`). A stopped agent no longer holds the
// server down, nor shows in `show stat`.
func (e *Engine) SetAgentCheck(backend, srv string, enabled bool) error {
	var err error
	cerr := e.changeCondition(backend, srv, cause{}, func(c *condition) {
		if enabled && !c.agent.conf {
			err = ErrAgentNotConfigured
			return
		}
		c.agent.on = enabled
	})
	return cmp.Or(cerr, err)
}

// SetAgentTarget changes where a server's agent checks go: to addr when
// setAddr, to port when setPort; both are already validated. The agent
// must be enabled.
func (e *Engine) SetAgentTarget(backend, srv string, addr netip.Addr, setAddr bool, port int, setPort bool) error {
	return e.changeAgent(backend, srv, func(a *agentCond) {
		if setAddr {
			a.addr = addr
		}
		if setPort {
			a.port = port
		}
	})
}

// SetAgentSend changes what a server's agent checks send first. The
// agent must be enabled.
func (e *Engine) SetAgentSend(backend, srv, send string) error {
	return e.changeAgent(backend, srv, func(a *agentCond) { a.send = send })
}

// changeAgent applies change to the agent of an enabled agent check.
func (e *Engine) changeAgent(backend, srv string, change func(a *agentCond)) error {
	var err error
	cerr := e.changeCondition(backend, srv, cause{}, func(c *condition) {
		if !c.agent.on {
			err = ErrAgentDisabled
			return
		}
		change(&c.agent)
	})
	return cmp.Or(cerr, err)
}

// SetAgentHealth forces what a server's agent says (`set server ...
// agent up|down`): up brings the server up unless it is in maintenance,
// whatever its health check says, as HAProxy does; down stops it.
func (e *Engine) SetAgentHealth(backend, srv string, up bool) error {
	var err error
	cerr := e.changeCondition(backend, srv, cause{reason: "changed from CLI"}, func(c *condition) {
		if !c.agent.on {
			err = ErrAgentDisabled
			return
		}
		maint := c.admin&AdminMaintFlags != 0
		switch {
		case up:
			c.agent.health = 1
			if !maint && c.op != OpStarting && c.op != OpRunning {
				c.op = OpStopped
				c.comeUp()
			}
		default:
			c.agent.health = 0
			if !maint {
				c.op = OpStopped
			}
		}
	})
	return cmp.Or(cerr, err)
}

// holdsDown reports whether the agent keeps the server down.
func (a agentCond) holdsDown() bool { return a.on && a.health < 1 }

// agentLive is the agent check's report and whether one runs, beside
// the server's live counters.
type agentLive struct {
	report  atomic.Pointer[CheckReport] // the last agent check; nil before the first
	probing atomic.Bool
}

// noAgentReport is the report of an agent no check has finished for.
var noAgentReport = CheckReport{Status: CheckInit, Duration: -1}

// last returns the agent's last report.
func (a *agentLive) last() *CheckReport {
	if r := a.report.Load(); r != nil {
		return r
	}
	return &noAgentReport
}

// CheckAgent marks the state of an agent check (CHK_ST_AGENT), beside
// CheckConfigured, CheckEnabled and CheckInProgress.
const CheckAgent CheckState = 0x10

// AgentInfo is a copy of a server's agent check state for the runtime API.
type AgentInfo struct {
	State  CheckState     // CheckConfigured|CheckAgent with `agent-check`, CheckEnabled while it runs, CheckInProgress during a check
	Health int            // 1 while the agent lets the server up; rise and fall are 1
	Addr   netip.AddrPort // where it goes; the address is invalid for the server's
	Send   string         // what it sends first
	Report CheckReport
}

// On reports whether the agent checks run.
func (a *AgentInfo) On() bool { return a.State&CheckEnabled != 0 }

// agentInfo copies s's agent check state.
func (s *server) agentInfo() AgentInfo {
	ag := &s.cond.agent
	a := AgentInfo{Health: ag.health, Report: *s.live.agent.last(), Addr: netip.AddrPortFrom(ag.addr, uint16(ag.port)), Send: ag.send}
	if s.cond.agent.conf {
		a.State |= CheckConfigured | CheckAgent
	}
	if s.cond.agent.on {
		a.State |= CheckEnabled
	}
	if s.live.agent.probing.Load() {
		a.State |= CheckInProgress
	}
	return a
}

// agentReply is an agent's line, read as HAProxy reads it: the last word
// of each kind wins; words are kept as sent.
type agentReply struct {
	health  string // "up", "down", "stopped" or "fail"; "" for none
	admin   string // "ready", "drain" or "maint"; "" for none
	weight  string // a word starting with a digit and holding '%'
	maxconn string // what follows "maxconn:"
	hasMax  bool   // a "maxconn:" word came
	bad     string // the first word of no kind
	hasBad  bool
	desc    string // after '#', leading blanks skipped
}

// parseAgentReply reads the line of an agent's answer, up to its first
// CR or LF. ok is false when b holds no line end.
func parseAgentReply(b []byte) (r agentReply, ok bool) {
	end := bytes.IndexAny(b, "\r\n")
	if end < 0 {
		return r, false
	}
	// HAProxy stops at a NUL byte as C strings do.
	if z := bytes.IndexByte(b[:end], 0); z >= 0 {
		end = z
	}
	line := string(b[:end])
	for i := 0; i < len(line); {
		c := line[i]
		if c == ' ' || c == '\t' || c == ',' {
			i++
			continue
		}
		if c == '#' {
			r.desc = strings.TrimLeft(line[i+1:], " \t")
			break
		}
		j := i + 1
		for j < len(line) && line[j] != ' ' && line[j] != '\t' && line[j] != ',' {
			j++
		}
		w := line[i:j]
		i = j + 1
		switch lw := strings.ToLower(w); {
		case lw == "up" || lw == "down" || lw == "stopped" || lw == "fail":
			r.health = w
		case lw == "ready" || lw == "drain" || lw == "maint":
			r.admin = w
		case w[0] >= '0' && w[0] <= '9' && strings.IndexByte(w, '%') >= 0:
			r.weight = w
		case strings.HasPrefix(lw, "maxconn:"):
			r.maxconn, r.hasMax = w[len("maxconn:"):], true
		case !r.hasBad:
			r.bad, r.hasBad = w, true
		}
	}
	return r, true
}

// agentWeight reads a weight word of an agent as HAProxy's
// server_parse_weight_change_request does, relative to the server's
// initial weight iw: the weight, or the complaint.
func agentWeight(w string, iw int, dynamic bool) (int, string) {
	if w == "" {
		return 0, "Require <weight> or <weight%>.\n"
	}
	v, rest := leadingInt(w)
	switch {
	case rest == w:
		return 0, "Empty weight string empty or preceded by garbage"
	case rest == "%":
		if v < 0 {
			return 0, "Relative weight must be positive.\n"
		}
		v = min(int64(iw)*min(v, 25600)/100, 256)
	case v < 0 || v > 256:
		return 0, "Absolute weight can only be between 0 and 256 inclusive.\n"
	case rest != "":
		return 0, "Trailing garbage in weight string"
	}
	if v != 0 && v != int64(iw) && !dynamic {
		return 0, "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
	}
	return int(v), ""
}

// agentMaxConn reads the value of a "maxconn:" word as HAProxy's
// server_parse_maxconn_change_request does.
func agentMaxConn(s string) (int64, string) {
	if s == "" {
		return 0, "Require <maxconn>.\n"
	}
	v, rest := leadingInt(s)
	switch {
	case rest == s:
		return 0, "maxconn string empty or preceded by garbage"
	case rest != "":
		return 0, "Trailing garbage in maxconn string"
	}
	return v, ""
}

// leadingInt reads an optionally signed decimal number at the start of s
// (saturating, as strtol does) and returns the rest; rest is s when no
// digit came.
func leadingInt(s string) (int64, string) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	start := i
	var v int64
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v < 1<<62 {
			v = v*10 + int64(s[i]-'0')
		}
	}
	if i == start {
		return 0, s
	}
	if s[0] == '-' {
		v = -v
	}
	return v, s[i:]
}

// agentDone applies a finished agent check of a server of b: first the
// administrative state, weight and maxconn its reply asks for (each a
// change of its own, logged as such), then its health, as HAProxy's
// agent reply handling and set_server_check_status do.
func (e *Engine) agentDone(b *Backend, live *serverLive, out agentOutcome, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	sn := b.snap.Load()
	i := sn.indexOf(live)
	if i < 0 || !sn.servers[i].cond.agent.on {
		live.agent.probing.Store(false)
		return // gone, or its agent disabled while the check ran
	}
	r := *live.agent.last()
	prevStatus := r.Status
	status, desc := out.status, out.desc
	health := sn.servers[i].cond.agent.health
	switch {
	case out.incomplete:
		status, desc = r.Status, "Ignoring incomplete line from agent"
	case out.line:
		status, desc = e.applyAgentReply(b, live, out.reply, &health)
	}
	r.Status, r.Code, r.Desc, r.Duration, r.At = status, 0, desc, d, time.Now()
	if res := status.Result(); res != CheckResultUnknown {
		r.Result = res
	}
	// Reaching the agent, or not, only counts when the agent spoke.
	said := health // what the reply set, before the result counts
	switch r.Result {
	case CheckResultFailed:
		if status > checkL57Data && health > 0 {
			health, r.Failed = 0, r.Failed+1
		}
	case CheckResultPassed, CheckResultCondPass:
		health = 1
	}
	live.agent.report.Store(&r)
	live.agent.probing.Store(false)
	sn = b.snap.Load()
	if i = sn.indexOf(live); i < 0 {
		return
	}
	s := sn.servers[i]
	cond := s.cond
	cond.agent.health = health
	maint := cond.admin&AdminMaintFlags != 0
	switch {
	case r.Result == CheckResultFailed && status == CheckL7Sts && health == 0 && !maint:
		cond.op = OpStopped
	case r.Result == CheckResultPassed && !maint && cond.op != OpStopping &&
		(cond.check&CheckEnabled == 0 || cond.health >= cond.rise):
		cond.comeUp()
	}
	why := cause{report: &r}
	if b.proxy.Options.LogHealthChecks {
		// Each agent check that changes the status or the agent's
		// health is logged; the state changes then go without its words.
		if r.Status != prevStatus || health != said {
			b.logCheck("Agent", s, &r, &condition{health: health, rise: 1, fall: 1})
		}
		why = cause{}
	}
	e.changeLocked(b, sn, i, why, func(s *server) { s.cond = cond })
}

// applyAgentReply applies the administrative state, weight and maxconn of
// an agent's reply to its server, sets health as the reply's health word
// asks, and returns the status and details the check reports.
func (e *Engine) applyAgentReply(b *Backend, live *serverLive, rep agentReply, health *int) (CheckStatus, string) {
	change := func(f func(s *server)) {
		sn := b.snap.Load()
		if i := sn.indexOf(live); i >= 0 {
			e.changeLocked(b, sn, i, cause{}, f)
		}
	}
	switch strings.ToLower(rep.admin) {
	case "drain":
		change(func(s *server) { s.cond.admin |= AdminFDrain })
	case "maint":
		change(func(s *server) { s.cond.enterMaint(AdminFMaint) })
	case "ready":
		change(func(s *server) {
			s.cond.admin &^= AdminFDrain
			s.cond.leaveMaint(AdminFMaint)
		})
	}
	var warn string
	dynamic := balance.Dynamic(b.proxy.Balance)
	if rep.weight != "" {
		sn := b.snap.Load()
		if i := sn.indexOf(live); i >= 0 {
			w, msg := agentWeight(rep.weight, sn.servers[i].iweight, dynamic)
			if msg == "" {
				change(func(s *server) { s.weight = w })
			}
			warn = msg
		}
	}
	if rep.hasMax {
		v, msg := agentMaxConn(rep.maxconn)
		if msg == "" {
			change(func(s *server) {
				s.maxConn = int(v)
				s.warmAt(time.Now(), dynamic)
			})
		}
		if warn == "" {
			warn = msg
		}
	}
	status := CheckChecked
	switch strings.ToLower(rep.health) {
	case "up":
		*health, status = 1, CheckL7OK
	case "down", "stopped", "fail":
		*health, status = 0, CheckL7Sts
	}
	switch {
	case rep.health != "":
		msg := rep.desc
		if msg == "" || status == CheckL7OK {
			switch {
			case rep.bad != "":
				msg = rep.bad
			case warn != "":
				msg = warn
			}
		}
		w := "via agent : " + rep.health
		if msg != "" {
			w += " (" + msg + ")"
		}
		return status, w
	case rep.bad != "":
		return status, "agent reports an error : " + rep.bad
	case warn != "":
		return status, "agent warns : " + warn
	}
	return status, ""
}

// agentStarts marks an agent check of the server as running: as HAProxy,
// its report's result is unknown and its details empty until it ends.
func (e *Engine) agentStarts(live *serverLive) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r := *live.agent.last()
	r.Result, r.Desc = CheckResultUnknown, ""
	live.agent.report.Store(&r)
	live.agent.probing.Store(true)
}

// agentInter is the interval between agent checks of s.
func agentInter(s *server) time.Duration {
	if s.cfg.Agent.Inter > 0 {
		return s.cfg.Agent.Inter
	}
	return config.DefaultAgentInter
}
