package runtime

import (
	"errors"
	"strings"
	"sync"

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
	// servers holds the configuration of servers changed at run time: the
	// parsed line of an added server, nil for a deleted configured one.
	servers map[serverKey]*config.Server
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
	return &engineControl{e: e, records: make(map[serverKey]*serverRecord), servers: make(map[serverKey]*config.Server)}
}

// proxy returns the configuration section of a backend, or nil.
func (c *engineControl) proxy(name string) *config.Proxy { return c.e.Config().Backend(name) }

// serverConfig returns the configuration of a server, or nil when it has
// none. It must be called with c.mu held.
func (c *engineControl) serverConfig(backend, server string) *config.Server {
	if cs, ok := c.servers[serverKey{backend, server}]; ok {
		return cs
	}
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

// lookup returns the record of a server (see record). It must be called
// with c.mu held.
func (c *engineControl) lookup(backend, server string) (*serverRecord, error) {
	si, err := c.find(backend, server)
	if err != nil {
		return nil, err
	}
	return c.record(backend, si), nil
}

// change applies edit to a server's record and sets the engine state the
// record then asks for; it returns after the engine swapped its snapshot.
func (c *engineControl) change(backend, server string, edit func(r *serverRecord, cs *config.Server)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.lookup(backend, server)
	if err != nil {
		return err
	}
	next := *r // kept only once the engine took the change
	edit(&next, c.serverConfig(backend, server))
	next.applied = next.state()
	if err := c.e.SetServerState(backend, server, next.applied); err != nil {
		return err
	}
	*r = next
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
	r, err := c.lookup(backend, server)
	if err != nil {
		return err
	}
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
	// Checks of an added server start disabled (`enable health` starts
	// them), with a zero health counter.
	r := &serverRecord{admin: AdminFMaint, op: OpStopped, applied: engine.StateMaint}
	if cs.Check {
		r.check = checkConfigured
	}
	if cs.Disabled {
		r.admin |= AdminCMaint
		r.check |= checkPaused
	}
	c.records[serverKey{backend, server}] = r
	c.servers[serverKey{backend, server}] = cs
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
	if !cs.IDSet {
		cs.ID = 0 // the engine gives it the first free id
	}
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
	c.servers[serverKey{backend, server}] = nil
	return nil
}
