package engine

import (
	"net"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"tether/engine/accesslog"
	"tether/engine/balance"
	"tether/engine/config"
	"tether/persist"
)

// Backend is one backend-capable proxy (a backend or listen section). Its
// servers, their states and its persistence table live in an immutable
// snapshot behind an atomic pointer: the loops load it once per request,
// the control plane builds a new one and swaps it in. Backend is safe for
// concurrent use.
type Backend struct {
	// Name is the section name.
	Name string
	// ID is the proxy id as HAProxy numbers it.
	ID int

	proxy     *config.Proxy
	index     int // position among the engine's backends, for per-loop state
	snap      atomic.Pointer[snapshot]
	conns     atomic.Int64  // requests assigned to the backend whose exchange goes on, queued ones included (HAProxy's beconn)
	connsMax  atomic.Int64  // highest conns (smax)
	queued    atomic.Int64  // requests waiting in the backend's queue for any server
	queuedMax atomic.Int64  // highest queued (qmax)
	load      *balance.Load // conns against fullconn, for servers with a minconn (minconn.go)
	taken     atomic.Int64  // requests the backend's queue gave a server slot to (HAProxy's queue index)
	total     atomic.Int64  // requests the backend took
	failed    atomic.Int64  // requests given up after failed connections (econ)
	retries   atomic.Int64  // connection retries on the same server (wretr)
	redisp    atomic.Int64  // requests redispatched to another server (wredis)
	downs     atomic.Int64  // times it was left with no usable server
	// changed is when it last went from no usable server to some or back
	// (UnixNano), and downFor how long it had no usable server before
	// that, in whole seconds: HAProxy's last_change and down_time.
	// Written under the engine's control mutex.
	changed atomic.Int64
	downFor atomic.Int64

	checks *checkSpec        // how its servers are checked
	events *accesslog.Logger // where its servers' state changes are logged; nil for nowhere
}

// snapshot is an immutable view of a backend's servers and the data the
// loops derive from them. A loop keeps the one it loaded for a whole
// exchange.
type snapshot struct {
	servers  []*server
	table    *persist.Table
	lb       *balance.Table
	counters *balance.Counters // live counts by server index, shared by the snapshots of one server list
	dynamic  bool              // `cookie ... dynamic` is enabled
	active   int               // usable active (not backup) servers with a weight: HAProxy's srv_act
	key      string            // dynamic-cookie-key
	warnings []string
}

// server is one server of a snapshot. It never changes: a change makes a
// new server value in a new snapshot, sharing live.
type server struct {
	name      string
	id        int
	place     string // where its line is, "file:line"; "(null):0" for one added at run time, as HAProxy prints it
	addr      netip.AddrPort
	tcp       *net.TCPAddr  // addr for the dialer, built once
	weight    int           // current weight
	iweight   int           // configured weight
	state     persist.State // derived from cond by settle
	cond      condition
	cfg       *config.Server // the server line, shared, never changed
	checkAddr netip.Addr     // where checks go instead of addr; invalid for addr
	checkPort int            // the port checks go to; 0 for addr's
	backup    bool
	maxConn   int
	maxQueue  int
	warm      int           // share of the weight a slow start gives, in sixteenths (HAProxy's w); 16 for all of it
	limit     int           // maxconn as a slow start allows it; maxConn outside one
	cookie    string        // explicit cookie value, "" without one
	noDynamic bool          // added at run time: no dynamic cookie until its address changes
	since     time.Time     // when state last changed
	downFor   time.Duration // time stopped before since, in whole seconds
	live      *serverLive
}

// serverLive holds what survives snapshot swaps: the live counters of a
// server and its slot, which indexes the per-loop idle pools.
type serverLive struct {
	slot     int
	cur      atomic.Int64                // connections being used
	curMax   atomic.Int64                // highest cur (smax)
	total    atomic.Int64                // requests sent
	picked   atomic.Int64                // times balancing chose it (lbtot)
	connects atomic.Int64                // new connections tried (connect)
	reuses   atomic.Int64                // requests sent on an idle connection (reuse)
	failed   atomic.Int64                // requests given up after failed connections (econ)
	retries  atomic.Int64                // connection retries on it (wretr)
	redisp   atomic.Int64                // requests redispatched away from it
	taken    atomic.Int64                // requests the server's queue gave a slot to (HAProxy's queue index)
	addrGen  atomic.Uint32               // bumped on an address change: older idle connections are dropped
	report   atomic.Pointer[CheckReport] // the last health check; nil before the first
	probing  atomic.Bool                 // a health check is running
	agent    agentLive                   // the agent check's report
	errors   atomic.Int32                // observed errors in a row (observe)
	hurry    chan struct{}               // a run of observed errors asks the checker for fastinter; nil when not observed
}

// noReport is the report of a server no check has finished for.
var noReport = CheckReport{Status: CheckInit, Duration: -1}

// countDown counts a fall of the server (chkdown) in its report. The
// caller holds the engine's control mutex.
func (l *serverLive) countDown() {
	r := *l.checkReport()
	r.Downs++
	l.report.Store(&r)
}

// checkReport returns the server's last health check report.
func (l *serverLive) checkReport() *CheckReport {
	if r := l.report.Load(); r != nil {
		return r
	}
	return &noReport
}

// usable reports whether a request may be sent to s at all (persistence
// included): drained servers still take persistent requests.
func (s *server) usable() bool { return !s.state.Stopped() }

// build makes a snapshot of servers with the backend's cookie settings.
// counters are the previous snapshot's when the server list is the same,
// or nil for a new list.
func (b *Backend) build(servers []*server, dynamic bool, key string, counters *balance.Counters) *snapshot {
	opts := b.proxy.Cookie
	opts.Dynamic = dynamic
	pb := persist.Backend{
		Name:    b.Name,
		Options: opts,
		Key:     key,
		Persist: b.proxy.Options.Persist,
		Servers: make([]persist.Server, len(servers)),
	}
	if counters == nil {
		counters = balance.NewCounters(len(servers))
		counters.Follow(b.load)
	}
	sn := &snapshot{servers: servers, dynamic: dynamic, key: key, counters: counters}
	lbs := make([]balance.Server, len(servers))
	for i, s := range servers {
		pb.Servers[i] = persist.Server{
			Cookie:    s.cookie,
			Addr:      s.addr.Addr(),
			Port:      uint32(s.addr.Port()),
			State:     s.state,
			NoDynamic: s.noDynamic,
		}
		if !s.backup && s.state == persist.Ready && s.weight > 0 {
			sn.active++
		}
		lbs[i] = balance.Server{ID: s.id, Weight: s.weight, Warm: s.warm, InitWeight: s.iweight, State: lbState(s.state),
			Backup: s.backup, MaxConn: s.limit, MinConn: s.minConn(), MaxQueue: s.maxQueue}
	}
	sn.table, sn.warnings = persist.Build(&pb)
	lb, err := balance.NewTable(b.proxy.Balance, lbs, counters)
	if err != nil {
		// Weights are checked by the configuration and the control
		// methods; keep balancing over no server rather than fail.
		lb, _ = balance.NewTable(b.proxy.Balance, nil, balance.NewCounters(0))
	}
	sn.lb = lb
	return sn
}

// newServer makes the first snapshot entry of a configured server.
func newServer(cs *config.Server, slot int, now time.Time) *server {
	s := &server{
		name:      cs.Name,
		id:        cs.ID,
		place:     cs.File + ":" + strconv.Itoa(cs.Line),
		weight:    cs.Weight,
		iweight:   cs.Weight,
		backup:    cs.Backup,
		maxConn:   cs.MaxConn,
		maxQueue:  cs.MaxQueue,
		warm:      balance.Scale,
		limit:     cs.MaxConn,
		since:     now,
		cfg:       cs,
		live:      &serverLive{slot: slot},
		checkAddr: cs.CheckAddr,
		checkPort: cs.CheckPort,
	}
	if cs.CookieSet {
		s.cookie = cs.Cookie
	}
	if cs.Check && cs.Observe != config.ObserveNone {
		s.live.hurry = make(chan struct{}, 1)
	}
	if ap, ok := cs.Addr.Dial(); ok {
		s.setAddr(ap)
	}
	rise, fall := cs.Rise, cs.Fall
	if rise == 0 { // a line built without the configuration's defaults
		rise, fall = 2, 3
	}
	s.cond = condition{op: OpRunning, health: rise, rise: rise, fall: fall, slow: cs.Slowstart > 0}
	if cs.Check {
		s.cond.check = CheckConfigured | CheckEnabled
	}
	s.cond.agent = newAgentCond(cs)
	switch {
	case cs.Disabled:
		s.cond.check |= CheckPaused
		s.cond.enterMaint(AdminCMaint | AdminFMaint)
	case !s.addr.IsValid():
		s.cond.enterMaint(AdminRMaint) // no address to reach yet
	}
	s.settle(now)
	s.since = now
	return s
}

// setAddr sets the address of a fresh server value.
func (s *server) setAddr(ap netip.AddrPort) {
	s.addr = ap
	s.tcp = net.TCPAddrFromAddrPort(ap)
}

// clone returns a copy of s to change for a new snapshot.
func (s *server) clone() *server {
	c := *s
	return &c
}

// lbState converts a server state for balancing.
func lbState(st persist.State) balance.State {
	switch st {
	case persist.Drain:
		return balance.Drain
	case persist.Maint:
		return balance.Maint
	case persist.Down:
		return balance.Down
	}
	return balance.Ready
}
