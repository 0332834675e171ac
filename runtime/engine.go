package runtime

import (
	"errors"
	"net/netip"
	"os"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"tether/engine"
	"tether/engine/config"
)

// Errors of the engine adapter whose text is the reply line.
var (
	errPortMap  = errors.New("tether does not support port maps.")
	errBadWords = errors.New("Invalid character in server arguments.")
)

// errNoDynamicCookie is HAProxy's reply to `add server ... cookie`.
var errNoDynamicCookie = errors.New("'cookie' option is not accepted for dynamic server")

// engineControl is Control over a tether engine. Names and ids are resolved
// by the runtime from Backends; every change goes through the engine's
// control methods, which build a new snapshot and swap it in before
// returning.
//
// The engine keeps one persistence state per server (ready, drain, maint,
// down); HAProxy keeps administrative flags and an operational state apart.
// engineControl records the two for every server the runtime has touched
// and derives the engine's state from them; a server whose engine state
// changed behind its back (or that was never touched) is described from the
// engine's state alone.
type engineControl struct {
	e *engine.Engine

	mu      sync.Mutex // serialises changes, so a record and its engine state agree
	records map[serverKey]*serverRecord
}

// serverKey names a server of a backend.
type serverKey struct{ backend, server string }

// serverRecord is HAProxy's view of a server's states.
type serverRecord struct {
	admin   AdminFlags
	op      OpState
	health  int          // check health counter, as `show servers state` prints it
	check   int          // check state bits (CHK_ST_*) as dumped
	applied engine.State // the engine state this record last produced
}

// Check state bits of `show servers state` (CHK_ST_*).
const (
	checkConfigured = 0x02
	checkEnabled    = 0x04
	checkPaused     = 0x08
)

// EngineControl returns the Control of a tether engine. It is safe for
// concurrent use.
func EngineControl(e *engine.Engine) Control {
	return &engineControl{e: e, records: make(map[serverKey]*serverRecord)}
}

// proxy returns the configuration section of a backend, or nil.
func (c *engineControl) proxy(name string) *config.Proxy { return c.e.Config().Backend(name) }

// serverConfig returns the configuration of a server, or nil for a server
// added at run time.
func (c *engineControl) serverConfig(backend, server string) *config.Server {
	if p := c.proxy(backend); p != nil {
		return p.Server(server)
	}
	return nil
}

// riseFall returns a server's check rise and fall counts.
func riseFall(cs *config.Server) (rise, fall int) {
	if cs == nil || cs.Rise == 0 {
		return 2, 3
	}
	return cs.Rise, cs.Fall
}

// derive describes a server from its engine state alone, as HAProxy would
// show a server configured that way.
func derive(cs *config.Server, si *engine.ServerInfo) serverRecord {
	rise, _ := riseFall(cs)
	r := serverRecord{op: OpRunning, health: rise, applied: si.State}
	if cs != nil && cs.Check {
		r.check = checkConfigured | checkEnabled
	}
	switch si.State {
	case engine.StateDrain:
		r.admin = AdminFDrain
	case engine.StateDown:
		r.op, r.health = OpStopped, 0
	case engine.StateMaint:
		r.op, r.health = OpStopped, 0
		switch {
		case cs != nil && cs.Disabled:
			r.admin = AdminCMaint | AdminFMaint
			r.check |= checkPaused
		case !si.Addr.IsValid():
			r.admin = AdminRMaint
		default:
			r.admin = AdminFMaint
		}
	}
	return r
}

// record returns the states of a server, creating its record from the
// engine's state when it has none or when the engine state changed since.
// It must be called with c.mu held.
func (c *engineControl) record(backend string, si *engine.ServerInfo) *serverRecord {
	k := serverKey{backend, si.Name}
	r := c.records[k]
	if r == nil || r.applied != si.State {
		d := derive(c.serverConfig(backend, si.Name), si)
		r = &d
		c.records[k] = r
	}
	return r
}

// maintFlags are the administrative flags that stop a server.
const maintFlags = AdminFMaint | AdminIMaint | AdminRMaint | AdminHMaint

// state is the engine state a record asks for.
func (r *serverRecord) state() engine.State {
	switch {
	case r.admin&maintFlags != 0:
		return engine.StateMaint
	case r.op == OpStopped:
		return engine.StateDown
	case r.admin&AdminFDrain != 0 || r.op == OpStopping:
		return engine.StateDrain
	}
	return engine.StateReady
}

// find returns the engine's copy of a server.
func (c *engineControl) find(backend, server string) (*engine.ServerInfo, error) {
	for _, b := range c.e.Backends() {
		if b.Name != backend {
			continue
		}
		for i := range b.Servers {
			if b.Servers[i].Name == server {
				return &b.Servers[i], nil
			}
		}
		return nil, engine.ErrNoServer
	}
	return nil, engine.ErrNoBackend
}

// change applies edit to a server's record and sets the engine state the
// record then asks for; it returns after the engine swapped its snapshot.
func (c *engineControl) change(backend, server string, edit func(r *serverRecord, cs *config.Server)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	si, err := c.find(backend, server)
	if err != nil {
		return err
	}
	r := c.record(backend, si)
	edit(r, c.serverConfig(backend, server))
	st := r.state()
	if err := c.e.SetServerState(backend, server, st); err != nil {
		return err
	}
	r.applied = st
	return nil
}

func (c *engineControl) SetServerAdmin(backend, server string, st AdminState) error {
	return c.change(backend, server, func(r *serverRecord, cs *config.Server) {
		wasMaint := r.admin&maintFlags != 0
		r.admin &^= AdminFMaint | AdminFDrain
		switch st {
		case AdminDrain:
			r.admin |= AdminFDrain
		case AdminMaint:
			r.admin |= AdminFMaint
		}
		switch {
		case r.admin&maintFlags != 0:
			r.op, r.health = OpStopped, 0
		case wasMaint && (cs == nil || !cs.Check):
			r.op = OpRunning // nothing checks it: leaving maintenance brings it up
		}
	})
}

func (c *engineControl) SetServerHealth(backend, server string, h Health) error {
	return c.change(backend, server, func(r *serverRecord, cs *config.Server) {
		rise, fall := riseFall(cs)
		switch h {
		case HealthUp:
			r.op, r.health = OpRunning, rise+fall-1
		case HealthStopping:
			r.op, r.health = OpStopping, rise+fall-1
		case HealthDown:
			r.op, r.health = OpStopped, 0
		}
		if r.admin&maintFlags != 0 {
			r.op = OpStopped
		}
	})
}

func (c *engineControl) SetHealthCheck(backend, server string, enabled bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	si, err := c.find(backend, server)
	if err != nil {
		return err
	}
	r := c.record(backend, si)
	if enabled {
		r.check |= checkEnabled
	} else {
		r.check &^= checkEnabled
	}
	return nil
}

func (c *engineControl) SetServerWeight(backend, server string, weight int) error {
	return c.e.SetServerWeight(backend, server, weight)
}

func (c *engineControl) SetServerAddr(backend, server string, ch AddrChange) error {
	if ch.PortMap {
		return errPortMap
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	si, err := c.find(backend, server)
	if err != nil {
		return err
	}
	if ch.SetAddr || ch.SetPort {
		if err := c.e.SetServerAddr(backend, server, ch.Addr, ch.SetAddr, uint16(ch.Port), ch.SetPort); err != nil {
			return err
		}
		if si, err = c.find(backend, server); err != nil {
			return err
		}
	}
	r := c.record(backend, si)
	if r.admin&AdminRMaint != 0 && si.Addr.IsValid() {
		r.admin &^= AdminRMaint
		st := r.state()
		if err := c.e.SetServerState(backend, server, st); err != nil {
			return err
		}
		r.applied = st
	}
	return nil
}

func (c *engineControl) SetDynamicCookie(backend string, enabled bool) error {
	return c.e.SetDynamicCookie(backend, enabled)
}

func (c *engineControl) SetDynamicCookieKey(backend, key string) error {
	return c.e.SetDynamicCookieKey(backend, key)
}

// AddServer parses the server line with the configuration parser (without
// default-server settings, as HAProxy does for dynamic servers) and adds the
// server in maintenance.
func (c *engineControl) AddServer(backend, server string, words []string) error {
	for _, w := range words {
		if w == "cookie" {
			return errNoDynamicCookie
		}
	}
	cs, err := parseServerLine(backend, server, words)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.e.AddServer(backend, cs); err != nil {
		return err
	}
	rise, _ := riseFall(cs)
	r := &serverRecord{admin: AdminFMaint, op: OpStopped, applied: engine.StateMaint}
	if cs.Check {
		r.check, r.health = checkConfigured|checkEnabled, rise
	}
	c.records[serverKey{backend, server}] = r
	return nil
}

// parseServerLine reads the words of a `server` line after its name with
// the configuration parser. Its error is the parser's first alert message.
func parseServerLine(backend, server string, words []string) (*config.Server, error) {
	var b strings.Builder
	b.WriteString("backend " + quoteWord(backend) + "\n    mode http\n    server " + quoteWord(server))
	for _, w := range words {
		if strings.ContainsAny(w, "\r\n") {
			return nil, errBadWords
		}
		b.WriteString(" " + quoteWord(w))
	}
	b.WriteString("\n")
	cfg, err := config.Parse(config.File{Name: "add server", Data: []byte(b.String())})
	var cerr *config.Error
	switch {
	case errors.As(err, &cerr):
		for _, d := range cerr.Diags {
			if d.Severity == config.Alert {
				return nil, errors.New(d.Message)
			}
		}
		return nil, err
	case err != nil:
		return nil, err
	}
	p := cfg.Backend(backend)
	if p == nil || len(p.Servers) != 1 {
		return nil, errBadWords
	}
	cs := p.Servers[0]
	cs.ID = 0 // the engine numbers it after the backend's servers
	return cs, nil
}

// quoteWord protects a word for the configuration lexer: single quotes
// keep everything, and a single quote is closed, escaped and reopened.
func quoteWord(w string) string {
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}

func (c *engineControl) DelServer(backend, server string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.e.DelServer(backend, server); err != nil {
		return err
	}
	delete(c.records, serverKey{backend, server})
	return nil
}

// Backends describes every backend from the engine's copies and the
// configuration's static attributes.
func (c *engineControl) Backends() []BackendView {
	c.mu.Lock()
	defer c.mu.Unlock()
	infos := c.e.Backends()
	out := make([]BackendView, len(infos))
	for i := range infos {
		bi := &infos[i]
		bv := BackendView{ID: bi.ID, Name: bi.Name, Servers: make([]ServerView, len(bi.Servers))}
		if p := c.proxy(bi.Name); p != nil {
			bv.DynamicLB = dynamicAlgo(p.Balance.Algo)
		}
		for j := range bi.Servers {
			bv.Servers[j] = c.serverView(bi.Name, &bi.Servers[j])
		}
		out[i] = bv
	}
	return out
}

// serverView describes one server. It must be called with c.mu held.
func (c *engineControl) serverView(backend string, si *engine.ServerInfo) ServerView {
	cs := c.serverConfig(backend, si.Name)
	r := c.record(backend, si)
	sv := ServerView{
		ID:          si.ID,
		Name:        si.Name,
		OpState:     r.op,
		Admin:       r.admin,
		UWeight:     si.Weight,
		IWeight:     si.IWeight,
		SinceChange: si.Since,
		Check:       CheckView{Status: 1, Health: r.health, State: r.check},
	}
	if si.Addr.IsValid() {
		sv.Addr, sv.Port = si.Addr.Addr(), uint32(si.Addr.Port())
	}
	if cs != nil {
		sv.Check.Configured = cs.Check
		sv.Check.Port = cs.CheckPort
		sv.Check.Addr = cs.CheckAddr
		if cs.Addr.Host != "" {
			sv.FQDN = cs.Addr.Host
		}
	}
	return sv
}

// dynamicAlgo reports whether an algorithm takes weight changes and added
// servers (HAProxy's hash algorithms are map-based, hence static, unless
// `hash-type consistent`, which tether does not have).
func dynamicAlgo(a config.Algo) bool {
	switch a {
	case config.RoundRobin, config.LeastConn, config.First, config.Random:
		return true
	}
	return false
}

// algoNames are the `balance` keywords, as `show stat` prints them.
var algoNames = map[config.Algo]string{
	config.RoundRobin: "roundrobin", config.StaticRR: "static-rr", config.LeastConn: "leastconn",
	config.First: "first", config.Source: "source", config.Random: "random", config.URI: "uri",
	config.URLParam: "url_param", config.Hdr: "hdr",
}

// Info reports the process-wide figures.
func (c *engineControl) Info() Info {
	ei := c.e.Info()
	in := Info{
		Name:        "tether",
		Version:     version(),
		Nbthread:    ei.Loops,
		Pid:         os.Getpid(),
		Start:       ei.Start,
		Uptime:      time.Since(ei.Start),
		Maxconn:     ei.MaxConn,
		HardMaxconn: ei.MaxConn,
		CurrConns:   ei.Conns,
		CumConns:    ei.CumConns,
		CumReq:      ei.CumReqs,
		Tasks:       goruntime.NumGoroutine(),
		Stopping:    ei.Stopping,
		Listeners:   len(c.e.Listeners()),
	}
	if in.Nbthread == 0 {
		in.Nbthread = goruntime.NumCPU()
	}
	in.Jobs = in.Listeners + in.CurrConns
	var rl syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl) == nil {
		in.UlimitN, in.Maxsock = int(rl.Cur), int(rl.Cur)
	}
	in.Node, _ = os.Hostname()
	return in
}

// version returns the module version tether was built at, "dev" when
// unknown.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// Stats returns the `show stat` rows: for each proxy in configuration
// order its FRONTEND row, its servers and its BACKEND row.
func (c *engineControl) Stats() []StatRow {
	c.mu.Lock()
	defer c.mu.Unlock()
	fronts := make(map[string]engine.FrontendInfo)
	for _, f := range c.e.Frontends() {
		fronts[f.Name] = f
	}
	backs := make(map[string]*engine.BackendInfo)
	infos := c.e.Backends()
	for i := range infos {
		backs[infos[i].Name] = &infos[i]
	}
	var rows []StatRow
	for _, p := range c.e.Config().Proxies {
		if f, ok := fronts[p.Name]; ok {
			rows = append(rows, StatRow{Kind: StatFrontend, Proxy: p.Name, ProxyID: p.ID, Status: "OPEN",
				Mode: "http", Pid: 1, Slim: f.MaxConn, Scur: f.Conns})
		}
		if bi := backs[p.Name]; bi != nil {
			rows = c.appendBackendRows(rows, p, bi)
		}
	}
	return rows
}

// appendBackendRows appends the server rows and the BACKEND row of a
// backend. It must be called with c.mu held.
func (c *engineControl) appendBackendRows(rows []StatRow, p *config.Proxy, bi *engine.BackendInfo) []StatRow {
	be := StatRow{Kind: StatBackend, Proxy: p.Name, ProxyID: p.ID, Mode: "http", Pid: 1,
		Algo: algoNames[p.Balance.Algo], Cookie: p.Cookie.Name, LastSess: -1,
		Scur: bi.Conns, Stot: bi.Requests, LbTot: bi.Requests, Status: "DOWN"}
	for i := range bi.Servers {
		si := &bi.Servers[i]
		sv := c.serverView(p.Name, si)
		r := StatRow{Kind: StatServer, Proxy: p.Name, ProxyID: p.ID, Server: si.Name, ServerID: si.ID,
			Mode: "http", Pid: 1, Weight: si.Weight, UWeight: si.Weight, Slim: si.MaxConn,
			LastChg: int64(si.Since.Seconds()), LastSess: -1, Cookie: si.Cookie,
			Scur: si.Conns, Stot: si.Requests, LbTot: si.Requests, Econ: si.Failed,
			Wretr: si.Retries, Wredis: si.Redisp, Connect: si.Requests,
			Check: sv.Check.Configured && sv.Check.State&checkEnabled != 0}
		if sv.Addr.IsValid() {
			r.Addr = netip.AddrPortFrom(sv.Addr, uint16(sv.Port)).String()
		}
		if si.Backup {
			r.Bck = 1
		} else {
			r.Act = 1
		}
		r.Status, r.Maint, r.Down = serverStatus(&sv, r.Check)
		if !r.Maint && !r.Down && sv.Admin&AdminFDrain == 0 && sv.OpState == OpRunning {
			be.Status = "UP"
			be.Weight += si.Weight
			be.Act += r.Act
			be.Bck += r.Bck
		}
		be.UWeight += si.Weight
		if r.Check {
			r.CheckStatus, r.CheckDesc = "INI", "Initializing"
			r.CheckRise, r.CheckFall = riseFall(c.serverConfig(p.Name, si.Name))
			r.CheckHealth = sv.Check.Health
		}
		rows = append(rows, r)
	}
	return append(rows, be)
}

// serverStatus returns the status column of a server row and whether it is
// in maintenance or down.
func serverStatus(sv *ServerView, checked bool) (status string, maint, down bool) {
	switch {
	case sv.Admin&AdminRMaint != 0:
		return "MAINT (resolution)", true, false
	case sv.Admin&maintFlags != 0:
		return "MAINT", true, false
	case sv.Admin&AdminFDrain != 0:
		return "DRAIN", false, false
	case sv.OpState == OpStopped:
		return "DOWN", false, true
	case sv.OpState == OpStopping:
		return "NOLB", false, false
	case checked:
		return "UP", false, false
	}
	return "no check", false, false
}
