package runtime

import (
	"net/netip"
	"strconv"
	"strings"
)

// serverCommands change servers. All need admin but `get weight`.
var serverCommands = []command{
	{words: []string{"set", "server"}, level: LevelAdmin,
		usage: "set server <bk>/<srv> <what> ...", help: "change a server's state, health, weight or address",
		run: runSetServer},
	{words: []string{"get", "weight"}, level: LevelUser,
		usage: "get weight <bk>/<srv>", help: "print a server's current and initial weights",
		run: runGetWeight},
	{words: []string{"set", "weight"}, level: LevelAdmin,
		usage: "set weight <bk>/<srv> <w>[%]", help: "same as set server <bk>/<srv> weight",
		run: runSetWeight},
	{words: []string{"enable", "server"}, level: LevelAdmin,
		usage: "enable server <bk>/<srv>", help: "same as set server <bk>/<srv> state ready",
		run: runEnableServer},
	{words: []string{"disable", "server"}, level: LevelAdmin,
		usage: "disable server <bk>/<srv>", help: "same as set server <bk>/<srv> state maint",
		run: runEnableServer},
	{words: []string{"enable", "health"}, level: LevelAdmin,
		usage: "enable health <bk>/<srv>", help: "resume a server's configured health checks",
		run: runEnableHealth},
	{words: []string{"disable", "health"}, level: LevelAdmin,
		usage: "disable health <bk>/<srv>", help: "pause a server's health checks",
		run: runEnableHealth},
	{words: []string{"enable", "agent"}, level: LevelAdmin,
		usage: "enable agent <bk>/<srv>", help: "resume a server's configured agent checks",
		run: runEnableAgent},
	{words: []string{"disable", "agent"}, level: LevelAdmin,
		usage: "disable agent <bk>/<srv>", help: "stop a server's agent checks",
		run: runEnableAgent},
	{words: []string{"shutdown", "sessions", "server"}, level: LevelAdmin,
		usage: "shutdown sessions server <bk>/<srv>", help: "end every exchange a server carries",
		run: runShutdownSessions},
	{words: []string{"add", "server"}, level: LevelAdmin,
		usage: "add server <bk>/<srv> <addr> [kw ...]", help: "create a server, in maintenance, from server line keywords",
		run: runAddServer},
	{words: []string{"del", "server"}, level: LevelAdmin,
		usage: "del server <bk>/<srv>", help: "remove a server that is in maintenance",
		run: runDelServer},
}

// target is a resolved <bk>/<srv> argument.
type target struct {
	be *BackendView
	sv *ServerView
}

// findTarget resolves the <bk>/<srv> argument of the commands that change a
// server, or prints why it cannot: both names are required, the backend
// must exist, then the server, and the proxy must be enabled.
func findTarget(s *session, spec string) (target, bool) {
	bk, sv, _ := strings.Cut(spec, "/")
	if bk == "" || sv == "" {
		s.print(msgRequireBackendServer)
		return target{}, false
	}
	t, ok := lookupTarget(s, bk, sv, false)
	if ok && t.be.Disabled {
		s.print(msgProxyDisabled)
		return target{}, false
	}
	return t, ok
}

// lookupTarget finds backend bk and its server sv in the current views, or
// prints "No such backend." or "No such server.", with its LF unless noLF
// (add and del server print them without).
func lookupTarget(s *session, bk, sv string, noLF bool) (target, bool) {
	msg := ""
	be := findBackend(s.ctl.Backends(), bk)
	var srv *ServerView
	if be == nil {
		msg = msgNoSuchBackend
	} else if srv = findServer(be, sv); srv == nil {
		msg = msgNoSuchServer
	}
	if msg != "" {
		if noLF {
			msg = strings.TrimSuffix(msg, "\n")
		}
		s.print(msg)
		return target{}, false
	}
	return target{be, srv}, true
}

func runSetServer(s *session, args []string, _ []byte) {
	t, ok := findTarget(s, arg(args, 2))
	if !ok {
		return
	}
	bk, sv := t.be.Name, t.sv.Name
	switch arg(args, 3) {
	case "weight":
		setWeight(s, t, arg(args, 4))
	case "state":
		var st AdminState
		switch arg(args, 4) {
		case "ready":
			st = AdminReady
		case "drain":
			st = AdminDrain
		case "maint":
			st = AdminMaint
		default:
			s.print(msgStateExpects)
			return
		}
		s.printErr(s.ctl.SetServerAdmin(bk, sv, st))
	case "health":
		if t.sv.Tracking {
			s.print(msgHealthTracking)
			return
		}
		var h Health
		switch arg(args, 4) {
		case "up":
			h = HealthUp
		case "stopping":
			h = HealthStopping
		case "down":
			h = HealthDown
		default:
			s.print(msgHealthExpects)
			return
		}
		s.printErr(s.ctl.SetServerHealth(bk, sv, h))
	case "addr":
		addr, port, hasPort := addrArgs(args)
		if addr == "" {
			s.print(msgAddrRequires)
			return
		}
		change, msg := planAddrChange(t.sv, addr, port, hasPort)
		if err := s.ctl.SetServerAddr(bk, sv, change); err != nil {
			s.printErr(err)
			return
		}
		s.print(msg)
	case "agent":
		ac, ok := s.agents(t)
		if !ok {
			return
		}
		var up bool
		switch arg(args, 4) {
		case "up":
			up = true
		case "down":
		default:
			s.print(msgAgentExpects)
			return
		}
		s.printErr(ac.SetAgentHealth(bk, sv, up))
	case "check-addr":
		addr, port, hasPort := addrArgs(args)
		if addr == "" {
			s.print(msgCheckAddrRequires)
			return
		}
		setCheckTarget(s, t, addr, port, hasPort, false)
	case "agent-addr":
		addr, port, hasPort := addrArgs(args)
		if addr == "" {
			s.print(msgAgentAddrRequires)
			return
		}
		setCheckTarget(s, t, addr, port, hasPort, true)
	case "agent-port":
		if arg(args, 4) == "" {
			s.print(msgAgentPortRequires)
			return
		}
		setCheckTarget(s, t, "", arg(args, 4), true, true)
	case "agent-send":
		if ac, ok := s.agents(t); ok {
			s.printErr(ac.SetAgentSend(bk, sv, arg(args, 4)))
		}
	case "check-port":
		if arg(args, 4) == "" {
			s.print(msgCheckPortRequires)
			return
		}
		setCheckTarget(s, t, "", args[4], true, false)
	default:
		s.print(msgSetServerUsage)
	}
}

// addrArgs reads the words `set server <b>/<s> addr|check-addr <addr>
// [port <port>]` end with.
func addrArgs(args []string) (addr, port string, hasPort bool) {
	hasPort = arg(args, 5) == "port"
	if hasPort {
		port = arg(args, 6)
	}
	return arg(args, 4), port, hasPort
}

// setCheckTarget validates a new address (when addr is not empty) and
// port (when hasPort) of the health check, or of the agent check, in
// HAProxy's order, then applies both or neither. A refusal is a warning
// line.
func setCheckTarget(s *session, t target, addr, port string, hasPort, agent bool) {
	ac, hasAgents := s.ctl.(AgentControl)
	switch {
	case agent && (!hasAgents || t.sv.Agent.State&checkEnabled == 0):
		s.print("agent checks are not enabled on this server")
		return
	case !agent && t.sv.Check.State&checkEnabled == 0:
		s.print("health checks are not enabled on this server")
		return
	}
	var ip netip.Addr
	if addr != "" {
		var err error
		if ip, err = netip.ParseAddr(addr); err != nil || ip.Zone() != "" {
			s.print("invalid addr '" + addr + "'")
			return
		}
	}
	p := 0
	if hasPort {
		v, rest, _ := strtol(port)
		switch {
		case rest != "":
			s.print("provided port is not an integer")
			return
		case v < 0 || v > 65535:
			s.print("provided port is invalid")
			return
		}
		p = int(v)
	}
	if agent {
		s.printErr(ac.SetAgentTarget(t.be.Name, t.sv.Name, ip, addr != "", p, hasPort))
		return
	}
	s.printErr(s.ctl.SetCheckTarget(t.be.Name, t.sv.Name, ip, addr != "", p, hasPort))
}

// setWeight validates a weight argument against the server and its
// backend, then applies it.
func setWeight(s *session, t target, text string) {
	w, msg := parseWeight(text, t.sv.IWeight, t.be.DynamicLB)
	if msg != "" {
		s.print(msg)
		return
	}
	s.printErr(s.ctl.SetServerWeight(t.be.Name, t.sv.Name, w))
}

// parseWeight reads an absolute weight "W" (0 to 256) or a relative one "W%"
// of the initial weight (capped at 256), in HAProxy's order of checks, and
// returns the weight or the reply explaining the refusal. A backend whose
// algorithm is static only accepts 0 and the initial weight.
func parseWeight(text string, initial int, dynamic bool) (int, string) {
	if text == "" {
		return 0, msgWeightRequire
	}
	v, rest, _ := strtol(text)
	switch {
	case rest == text:
		return 0, msgWeightEmpty
	case rest == "%":
		if v < 0 {
			return 0, msgWeightRelative
		}
		v = min(v, 25600)
		v = min(int64(initial)*v/100, 256)
	case v < 0 || v > 256:
		return 0, msgWeightAbsolute
	case rest != "":
		return 0, msgWeightTrailing
	}
	if v != 0 && v != int64(initial) && !dynamic {
		return 0, msgWeightStatic
	}
	return int(v), ""
}

// planAddrChange works out what `set server B/S addr A [port P]` changes on
// sv and the reply describing it, worded and ordered as HAProxy 2.6 does: an
// address change is kept when the port then fails; a switch to a port offset
// (+N, -N) needs a dedicated health check port; ports are 16-bit.
func planAddrChange(sv *ServerView, addrText, portText string, hasPort bool) (AddrChange, string) {
	var c AddrChange
	var msg strings.Builder
	done := func() (AddrChange, string) { return c, msg.String() + byCLI }
	addr, err := netip.ParseAddr(addrText)
	switch {
	case err != nil || addr.Zone() != "": // inet_pton takes no zone
		msg.WriteString("Invalid addr '" + addrText + "'")
		return done()
	case !sv.Addr.IsValid():
		msg.WriteString("Update for the current server address family is only supported through configuration file")
		return done()
	case addr == sv.Addr:
		msg.WriteString("no need to change the addr")
	default:
		c.SetAddr, c.Addr = true, addr
		msg.WriteString("IP changed from '" + addrWord(sv.Addr) + "' to '" + addrText + "'")
	}
	if !hasPort {
		return done()
	}
	msg.WriteString(", ")
	v, rest, overflow := strtol(portText)
	if overflow || rest == portText {
		msg.WriteString("problem converting port '" + portText + "' to an int")
		return done()
	}
	newPort := uint16(v)
	current := uint16(sv.Port)
	sign := byte(0)
	if portText != "" {
		sign = portText[0]
	}
	offset := sign == '+' || sign == '-'
	change := current != newPort
	if offset && !sv.PortMap {
		if sv.Check.Port == 0 {
			msg.WriteString("can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive.")
			return done()
		}
		change = true
	}
	if !change {
		msg.WriteString("no need to change the port")
		return done()
	}
	c.SetPort, c.Port, c.PortMap = true, uint32(newPort), offset
	msg.WriteString("port changed from '")
	if sv.PortMap {
		msg.WriteString("+")
	}
	msg.WriteString(strconv.Itoa(int(current)) + "' to '")
	shown := newPort
	if offset {
		msg.WriteByte(sign)
		if sign == '-' {
			shown = -newPort
		}
	}
	msg.WriteString(strconv.Itoa(int(shown)) + "'")
	return done()
}

func runGetWeight(s *session, args []string, _ []byte) {
	bk, sv, _ := strings.Cut(arg(args, 2), "/")
	if sv == "" {
		s.print(msgRequireBackendServer)
		return
	}
	t, ok := lookupTarget(s, bk, sv, false)
	if !ok {
		return
	}
	s.print(strconv.Itoa(t.sv.UWeight) + " (initial " + strconv.Itoa(t.sv.IWeight) + ")\n")
}

func runSetWeight(s *session, args []string, _ []byte) {
	if t, ok := findTarget(s, arg(args, 2)); ok {
		setWeight(s, t, arg(args, 3))
	}
}

func runEnableServer(s *session, args []string, _ []byte) {
	t, ok := findTarget(s, arg(args, 2))
	if !ok {
		return
	}
	st := AdminMaint
	if args[0] == "enable" {
		st = AdminReady
	}
	s.printErr(s.ctl.SetServerAdmin(t.be.Name, t.sv.Name, st))
}

func runEnableHealth(s *session, args []string, _ []byte) {
	t, ok := findTarget(s, arg(args, 2))
	if !ok {
		return
	}
	enable := args[0] == "enable"
	if enable && !t.sv.Check.Configured {
		s.print(msgHealthNotConfig)
		return
	}
	s.printErr(s.ctl.SetHealthCheck(t.be.Name, t.sv.Name, enable))
}

func runEnableAgent(s *session, args []string, _ []byte) {
	t, ok := findTarget(s, arg(args, 2))
	if !ok {
		return
	}
	enable := args[0] == "enable"
	ac, ok := s.ctl.(AgentControl)
	switch {
	case ok:
		s.printErr(ac.SetAgentCheck(t.be.Name, t.sv.Name, enable))
	case enable:
		s.print(msgAgentNotConfig)
	}
}

// agents returns the control's agent commands when the server's agent
// checks run, or prints that they do not.
func (s *session) agents(t target) (AgentControl, bool) {
	ac, ok := s.ctl.(AgentControl)
	if !ok || t.sv.Agent.State&checkEnabled == 0 {
		s.print(msgAgentDisabled)
		return nil, false
	}
	return ac, true
}

// runShutdownSessions ends the exchanges a server carries; it prints
// nothing but the empty line that ends every reply.
func runShutdownSessions(s *session, args []string, _ []byte) {
	if t, ok := findTarget(s, arg(args, 3)); ok {
		s.printErr(s.ctl.ShutdownSessions(t.be.Name, t.sv.Name))
	}
}

// splitDynamic splits the <bk>/<srv> argument of add and del server, where
// the separator is looked for from the second byte on ("/x" names no
// backend and is refused).
func splitDynamic(spec string) (bk, sv string, ok bool) {
	if i := strings.IndexByte(spec, '/'); i > 0 {
		bk, sv = spec[:i], spec[i+1:]
	}
	return bk, sv, sv != ""
}

func runAddServer(s *session, args []string, _ []byte) {
	bk, sv, ok := splitDynamic(arg(args, 2))
	if !ok {
		s.print(strings.TrimSuffix(msgRequireBackendServer, "\n"))
		return
	}
	be := findBackend(s.ctl.Backends(), bk)
	if be == nil {
		s.print(strings.TrimSuffix(msgNoSuchBackend, "\n"))
		return
	}
	if !be.DynamicLB {
		s.print(msgDynamicLBOnly)
		return
	}
	if err := s.ctl.AddServer(be.Name, sv, args[3:]); err != nil {
		s.printErr(err)
		return
	}
	s.print(msgServerRegistered)
}

func runDelServer(s *session, args []string, _ []byte) {
	bk, sv, ok := splitDynamic(arg(args, 2))
	if !ok {
		s.print(strings.TrimSuffix(msgRequireBackendServer, "\n"))
		return
	}
	t, ok := lookupTarget(s, bk, sv, true)
	if !ok {
		return
	}
	if err := s.ctl.DelServer(t.be.Name, t.sv.Name); err != nil {
		s.print(err.Error())
		return
	}
	s.print(msgServerDeleted)
}
