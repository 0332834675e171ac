package engine

import (
	"errors"
	"net/netip"
	"strconv"
	"time"

	"tether/engine/config"
	"tether/persist"
)

// Server states for SetServerState, as persistence sees them; each is
// derived from a server's administrative flags and operational state.
const (
	StateReady = persist.Ready // running, balanced
	StateDrain = persist.Drain // running, persistent requests only
	StateMaint = persist.Maint // administratively stopped
	StateDown  = persist.Down  // stopped by health
)

// Errors of the control methods; their texts are HAProxy's replies where
// the runtime API has one.
var (
	ErrNoBackend   = errors.New("No such backend.")
	ErrNoServer    = errors.New("No such server.")
	ErrWeight      = errors.New("Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.")
	ErrServerExist = errors.New("Already exists a server with the same name in backend.")
	ErrPinned      = errors.New("This server cannot be removed at runtime due to other configuration elements pointing to it.")
	ErrNotMaint    = errors.New("Only servers in maintenance mode can be deleted.")
	ErrServerBusy  = errors.New("Server still has connections attached to it, cannot remove it.")
	ErrNoFrontend  = errors.New("No such frontend.")
	// The refusals of disable, enable and shutdown frontend.
	ErrFrontendShut   = errors.New("Frontend was already shut down.")
	ErrShutNoDisable  = errors.New("Frontend was previously shut down, cannot disable.")
	ErrShutNoEnable   = errors.New("Frontend was previously shut down, cannot enable.")
	ErrAllDisabled    = errors.New("All sockets are already disabled.")
	ErrAllEnabled     = errors.New("All sockets are already enabled.")
	ErrFrontendResume = errors.New("Failed to resume frontend, check logs for precise cause (port conflict?).")
	// ErrMaxConnRange: a maxconn over the process's hard limit, or negative.
	ErrMaxConnRange = errors.New("Value out of range.")
)

// BackendInfo is a copy of a backend's state for the runtime API.
type BackendInfo struct {
	ID            int
	Name          string
	DynamicCookie bool          // `cookie ... dynamic` is enabled
	Key           string        // dynamic-cookie-key
	Conns         int64         // requests in the backend, queued ones included (HAProxy's beconn, scur)
	ConnsMax      int64         // highest Conns (smax)
	Queued        int64         // requests waiting in its queue for any server (qcur)
	QueuedMax     int64         // highest Queued (qmax)
	Requests      int64         // requests taken
	Downs         int64         // times it was left with no usable server (chkdown)
	FullConn      int           // fullconn, as configured or computed (slim)
	Failed        int64         // requests given up after failed connections (econ)
	Retries       int64         // connection retries on the same server (wretr)
	Redisp        int64         // requests redispatched to another server (wredis)
	Since         time.Duration // since it last went from no usable server to some or back, in whole seconds of the clock
	Downtime      time.Duration // time with no usable server, in whole seconds as HAProxy counts it
	Traffic       Traffic
	Servers       []ServerInfo
}

// ServerInfo is a copy of one server's state and counters.
type ServerInfo struct {
	ID        int
	Name      string
	Addr      netip.AddrPort
	Weight    int // current weight
	IWeight   int // configured weight
	Warm      int // share of Weight a slow start gives, in sixteenths (HAProxy's w); 16 for all of it
	State     persist.State
	Admin     AdminFlags // administrative state bits
	Op        OpState    // operational state
	Health    int        // check health counter
	Check     CheckState // check state bits
	Rise      int        // check rise count
	Fall      int        // check fall count
	Backup    bool
	MaxConn   int
	Cookie    string // the value in use, explicit or dynamic; "" without one
	Since     time.Duration
	Conns     int64 // connections in use
	ConnsMax  int64 // highest Conns (smax)
	Queued    int64 // requests waiting in its queue (qcur)
	QueuedMax int64 // highest Queued (qmax)
	Requests  int64 // requests sent
	Picked    int64 // times balancing chose it (lbtot)
	Connects  int64 // new connections tried (connect)
	Reuses    int64 // requests sent on an idle connection (reuse)
	Failed    int64 // requests given up after failed connections (econ)
	Retries   int64 // connection retries on it (wretr)
	Redisp    int64 // requests redispatched away from it (wredis)
	Traffic   Traffic
	// CheckReport is the server's last health check.
	CheckReport CheckReport
	Downtime    time.Duration // time spent stopped (down or in maintenance), in whole seconds
	Track       string        // the server it tracks, "backend/server"; "" for none
	CheckAddr   netip.Addr    // where checks go instead of Addr; invalid for Addr
	CheckPort   int           // the port checks go to; 0 for Addr's
	// Config is the server's line as parsed; it is shared and never
	// changes.
	Config *config.Server
	Agent  AgentInfo // the agent check
}

// Backends returns a copy of every backend's state, in configuration
// order.
func (e *Engine) Backends() []BackendInfo {
	out := make([]BackendInfo, len(e.backends))
	now := time.Now()
	for i, b := range e.backends {
		sn := b.snap.Load()
		bi := BackendInfo{ID: b.ID, Name: b.Name, DynamicCookie: sn.dynamic, Key: sn.key,
			Conns: b.conns.Load(), ConnsMax: b.connsMax.Load(), Queued: b.queued.Load(), QueuedMax: b.queuedMax.Load(),
			Requests: b.total.Load(), Downs: b.downs.Load(), Traffic: e.backendTraffic(i),
			Failed: b.failed.Load(), Retries: b.retries.Load(), Redisp: b.redisp.Load(), FullConn: e.fullConn(b),
			Since: wholeSeconds(now) - wholeSeconds(time.Unix(0, b.changed.Load())), Downtime: b.downtime(sn, now),
			Servers: make([]ServerInfo, len(sn.servers))}
		for j, s := range sn.servers {
			check := s.cond.check
			if s.live.probing.Load() {
				check |= CheckInProgress
			}
			bi.Servers[j] = ServerInfo{ID: s.id, Name: s.name, Addr: s.addr, Weight: s.weight, IWeight: s.iweight, Warm: s.warm,
				State: s.state, Admin: s.cond.admin, Op: s.cond.op, Health: s.cond.health, Check: check,
				Rise: s.cond.rise, Fall: s.cond.fall, Config: s.cfg, Backup: s.backup, MaxConn: s.maxConn, Cookie: string(sn.table.ServerCookie(j)),
				Since: wholeSeconds(now) - wholeSeconds(s.since), Conns: s.live.cur.Load(), ConnsMax: s.live.curMax.Load(),
				Queued: int64(sn.counters.Queued(j)), QueuedMax: int64(sn.counters.QueuedPeak(j)), Requests: s.live.total.Load(),
				Failed: s.live.failed.Load(), Retries: s.live.retries.Load(), Redisp: s.live.redisp.Load(), Picked: s.live.picked.Load(),
				Connects: s.live.connects.Load(), Reuses: s.live.reuses.Load(),
				Traffic: e.serverTraffic(s.live.slot), CheckReport: *s.live.checkReport(),
				CheckAddr: s.checkAddr, CheckPort: s.checkPort, Downtime: s.downtime(now), Track: s.trackName(),
				Agent: s.agentInfo()}
		}
		out[i] = bi
	}
	return out
}

// Info is the process-wide part of the runtime API's `show info`.
type Info struct {
	Start    time.Time
	Loops    int
	MaxConn  int
	HardMax  int   // the maxconn the process started with (SetMaxConn's ceiling)
	Conns    int   // client connections being served
	CumConns int64 // client connections accepted
	CumReqs  int64 // requests received
	Stopping bool
}

// Info returns the process-wide figures.
func (e *Engine) Info() Info {
	in := Info{Start: e.start, CumConns: e.cumConns.Load(), CumReqs: e.cumReqs.Load()}
	if s := e.server(); s != nil {
		in.Loops, in.MaxConn, in.HardMax, in.Conns, in.Stopping = s.cfg.Loops, s.MaxConn(), s.HardMaxConn(), s.Clients(), s.Draining()
	}
	return in
}

// find returns backend, its current snapshot and the index of server srv
// in it. The caller holds e.mu.
func (e *Engine) find(backend, srv string) (*Backend, *snapshot, int, error) {
	b := e.byName[backend]
	if b == nil {
		return nil, nil, -1, ErrNoBackend
	}
	sn := b.snap.Load()
	i := sn.index(srv)
	if i < 0 {
		return nil, nil, -1, ErrNoServer
	}
	return b, sn, i, nil
}

// update builds a new snapshot of backend's servers with change applied to
// a copy of server's entry, under the control mutex, and swaps it in. It
// returns after the swap.
func (e *Engine) update(backend, srv string, change func(s *server) error) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, sn, i, err := e.find(backend, srv)
	if err != nil {
		return err
	}
	servers := append([]*server(nil), sn.servers...)
	s := servers[i].clone()
	if err := change(s); err != nil {
		return err
	}
	servers[i] = s
	b.snap.Store(b.build(servers, sn.dynamic, sn.key, sn.counters))
	return nil
}

// SetServerWeight sets a server's current weight (0 to 256).
func (e *Engine) SetServerWeight(backend, srv string, weight int) error {
	if weight < 0 || weight > 256 {
		return ErrWeight
	}
	return e.changeServer(backend, srv, cause{}, func(s *server) { s.weight = weight })
}

// SetServerAddr changes a server's address and/or port. Idle connections
// to the old address are dropped and its dynamic cookie is recomputed. A
// server with an address leaves resolution maintenance, as `set server
// ... addr` does in HAProxy 2.6 even when nothing else changes.
func (e *Engine) SetServerAddr(backend, srv string, addr netip.Addr, setAddr bool, port uint16, setPort bool) error {
	host := e.hostOf(backend, srv)
	return e.changeServer(backend, srv, cause{host: host}, func(s *server) {
		ap := s.addr
		if setAddr {
			// An IPv4-mapped address stays IPv6, as HAProxy keeps it: it is
			// shown so and hashed as 16 bytes into the dynamic cookie.
			ap = netip.AddrPortFrom(addr, ap.Port())
		}
		if setPort {
			ap = netip.AddrPortFrom(ap.Addr(), port)
		}
		s.changeAddr(ap)
		if s.addr.IsValid() {
			s.cond.leaveMaint(AdminRMaint)
		}
	})
}

// hostOf returns the name a server resolves, for messages: its SRV
// record's target, or the name on its line.
func (e *Engine) hostOf(backend, srv string) string {
	if t := e.SRVTarget(backend, srv); t != "" {
		return t
	}
	if _, sn, i, err := e.find(backend, srv); err == nil && sn.servers[i].cfg != nil {
		return sn.servers[i].cfg.Addr.Host
	}
	return ""
}

// changeAddr gives s, a copy for a new snapshot, address ap. A new address
// drops idle connections to the old one and lets the server have a dynamic
// cookie.
func (s *server) changeAddr(ap netip.AddrPort) {
	if ap == s.addr {
		return
	}
	s.setAddr(ap)
	s.noDynamic = false
	s.live.addrGen.Add(1)
}

// rebuild swaps in a new snapshot of backend with new cookie settings.
func (e *Engine) rebuild(backend string, change func(dynamic *bool, key *string)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.byName[backend]
	if b == nil {
		return ErrNoBackend
	}
	sn := b.snap.Load()
	dyn, key := sn.dynamic, sn.key
	change(&dyn, &key)
	b.snap.Store(b.build(sn.servers, dyn, key, sn.counters))
	return nil
}

// SetDynamicCookie turns dynamic cookies on or off for a backend.
func (e *Engine) SetDynamicCookie(backend string, enabled bool) error {
	return e.rebuild(backend, func(d *bool, _ *string) { *d = enabled })
}

// SetDynamicCookieKey sets a backend's dynamic-cookie-key.
func (e *Engine) SetDynamicCookieKey(backend, key string) error {
	return e.rebuild(backend, func(_ *bool, k *string) { *k = key })
}

// trackName names the server s tracks, "backend/server", or "".
func (s *server) trackName() string {
	if s.cfg == nil || s.cfg.Track == nil {
		return ""
	}
	return s.cfg.TrackBackend + "/" + s.cfg.Track.Name
}

// SetCheckTarget changes where a server's health checks go, as `set
// server ... check-addr` and `check-port` do: to addr when setAddr, to
// port (0 for the server's own) when setPort.
func (e *Engine) SetCheckTarget(backend, srv string, addr netip.Addr, setAddr bool, port int, setPort bool) error {
	return e.update(backend, srv, func(s *server) error {
		if setAddr {
			s.checkAddr = addr
		}
		if setPort {
			s.checkPort = port
		}
		return nil
	})
}

// AddServer adds a server to a backend, in maintenance as `add server`
// does. cs is a server line parsed by the configuration package.
func (e *Engine) AddServer(backend string, cs *config.Server) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b := e.byName[backend]
	if b == nil {
		return ErrNoBackend
	}
	sn := b.snap.Load()
	if sn.index(cs.Name) >= 0 {
		return ErrServerExist
	}
	if cs.IDSet {
		for _, o := range sn.servers {
			if o.id == cs.ID {
				return &IDUsedError{ID: cs.ID, Place: o.place, Server: o.name}
			}
		}
	}
	s := newServer(cs, e.nextSlot, time.Now())
	e.nextSlot++
	// An added server starts in forced maintenance, its checks and agent
	// not yet enabled (`enable health`, `enable agent` start them) and its
	// health counter at 0; one without an address is not in resolution
	// maintenance.
	s.cond.admin = s.cond.admin&AdminCMaint | AdminFMaint
	s.cond.op, s.cond.health = OpStopped, 0
	s.cond.check &^= CheckEnabled
	s.cond.agent.on = false
	s.settle(s.since)
	s.place = "(null):0"
	if !cs.IDSet {
		s.id = firstFreeID(sn.servers)
	}
	servers := append(append([]*server(nil), sn.servers...), s)
	b.snap.Store(b.build(servers, sn.dynamic, sn.key, nil))
	if cs.Track != nil {
		e.linkTracker(b, s)
	}
	if e.checks.on && !e.checks.off && s.cond.check&CheckConfigured != 0 {
		e.runChecker(b, s, s.cond.interval(s))
	}
	if e.checks.on && !e.checks.off && s.cond.agent.conf {
		e.startChecker(b, s, true, 0)
	}
	return nil
}

// IDUsedError refuses an added server whose `id` another server of the
// backend has.
type IDUsedError struct {
	ID     int
	Place  string // where the other server's line is
	Server string // the other server's name
}

func (e *IDUsedError) Error() string {
	return "'id' : custom id " + strconv.Itoa(e.ID) + " already used at " + e.Place + " ('server " + e.Server + "')."
}

// firstFreeID returns the smallest id from 1 that none of servers has, as
// HAProxy numbers a server added without one.
func firstFreeID(servers []*server) int {
	used := make([]bool, len(servers)+2) // one of 1..len+1 is free
	for _, o := range servers {
		if o.id > 0 && o.id < len(used) {
			used[o.id] = true
		}
	}
	id := 1
	for used[id] {
		id++
	}
	return id
}

// DelServer removes a server in maintenance with no connection in use.
func (e *Engine) DelServer(backend, srv string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	b, sn, i, err := e.find(backend, srv)
	if err != nil {
		return err
	}
	s := sn.servers[i]
	if len(e.trackers[s.live]) > 0 {
		return ErrPinned
	}
	if s.cond.admin&AdminMaintFlags == 0 {
		return ErrNotMaint
	}
	if s.live.cur.Load() > 0 {
		return ErrServerBusy
	}
	s.live.addrGen.Add(1) // idle connections are dropped when next met
	e.stopChecker(s.live)
	e.unlinkTracker(s.live)
	servers := append(append([]*server(nil), sn.servers[:i]...), sn.servers[i+1:]...)
	b.snap.Store(b.build(servers, sn.dynamic, sn.key, nil))
	return nil
}
