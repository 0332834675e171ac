package engine

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"

	"tether/engine/accesslog"
	"tether/engine/balance"
	"tether/engine/config"
	"tether/engine/dns"
	"tether/h1"
)

// ErrConfig: the configuration uses something the engine cannot run.
var ErrConfig = errors.New("engine: unsupported configuration")

// Engine is tether's HTTP/1.1 reverse proxy built from one configuration:
// its frontends (listeners and routing rules), its backends (servers
// behind snapshots) and the transport Server running them. The control
// methods (control.go) are safe for concurrent use; the data plane runs on
// the Server's loops.
type Engine struct {
	cfg           *config.Config
	srv           atomic.Pointer[Server]    // made by transport, under mu
	serving       atomic.Bool               // Serve was called
	stats         atomic.Pointer[StatsPage] // what `stats uri` pages show (SetStatsPage)
	requests      atomic.Int64              // requests received (%rt), counted only when a log-format prints them (countRequests)
	countRequests bool
	hostname      string // the machine's (%H)
	pid           int    // the process's (%pid)
	fronts        []*frontend
	backends      []*Backend
	byName        map[string]*Backend
	feOf          map[*Listener]*frontend // read-only once serving
	lns           []*Listener
	limits        h1.Limits
	tick          time.Duration // timer wheel resolution; 0: the Server's default
	start         time.Time
	loggers       []*accesslog.Logger

	mu          sync.Mutex                // serialises the control plane's snapshot writers
	nextSlot    int                       // slots handed to servers so far (under mu)
	resolvers   []*dns.Resolver           // running, one per resolvers section in use (under mu)
	resolversOn bool                      // resolvers were started or stopped: never again (under mu)
	srvTargets  map[serverName]string     // SRV target each template slot resolves (under mu)
	checks      checkers                  // the health checkers (under mu)
	warm        warmups                   // the slow start timers (under mu)
	trackers    map[*serverLive][]tracker // the servers tracking each tracked one; built by New
	tracked     map[*serverLive]tracker   // the server each tracking one tracks; built by New

	cumConns atomic.Int64
	cumReqs  atomic.Int64

	statesMu sync.Mutex   // guards states
	states   []*loopState // every loop's state, for the traffic sums (stats.go)
}

// frontend is one frontend-capable proxy: where its clients' requests go
// and how their connections behave. It never changes once built.
type frontend struct {
	name     string
	proxy    *config.Proxy
	routes   []route
	def      *Backend
	timeouts config.Timeouts
	fwd      config.ForwardFor
	mode     config.ConnMode
	log      *accesslog.Logger
	httplog  bool         // `option httplog` or a log-format: a line per exchange
	logged   atomic.Int64 // lines logged (%lc)
	conns    atomic.Int64
	connsMax atomic.Int64 // highest conns (HAProxy's smax)
	maxConn  atomic.Int64 // the frontend's maxconn; -1: none of its own (the process's applies)
	lns      []*Listener  // its bind lines' listeners, set by Listen
	state    atomic.Int32 // feOpen, fePaused or feStopped (runtime API)
	index    int          // position among the engine's frontends, for per-loop counts

	ignoreProbes bool // `option http-ignore-probes`
}

// full reports whether the frontend holds its maxconn of clients: its
// listeners wait until one leaves (or `set maxconn frontend` raises it).
func (fe *frontend) full() bool {
	m := fe.maxConn.Load()
	return m >= 0 && fe.conns.Load() >= m
}

// route is one use_backend rule.
type route struct {
	cond *config.Cond
	be   *Backend
}

// New builds an engine from cfg. It binds nothing yet (see Listen).
func New(cfg *config.Config) (*Engine, error) {
	e := &Engine{
		cfg:    cfg,
		byName: make(map[string]*Backend),
		feOf:   make(map[*Listener]*frontend),
		start:  time.Now(),
		limits: h1.DefaultLimits(),
	}
	e.hostname, _ = os.Hostname()
	for _, px := range cfg.Proxies {
		// One counter for every loop is a shared cache line per request:
		// kept only for a log-format or a unique ID that prints it.
		e.countRequests = e.countRequests || px.LogFormat.Uses(config.LogReqCounter) ||
			px.UniqueIDFormat.Uses(config.LogReqCounter)
	}
	e.pid = os.Getpid()
	if cfg.Global.BufSize > 0 {
		e.limits.BufSize = cfg.Global.BufSize
	}
	if cfg.Global.MaxHdr > 0 {
		e.limits.MaxHeaders = cfg.Global.MaxHdr
	}
	for _, p := range cfg.Proxies {
		if p.Mode != config.ModeHTTP {
			return nil, fmt.Errorf("%w: proxy '%s' is not in mode http", ErrConfig, p.Name)
		}
		if p.Cap&config.CapBackend == 0 {
			continue
		}
		b := &Backend{Name: p.Name, ID: p.ID, proxy: p, index: len(e.backends), checks: newCheckSpec(p)}
		b.load = balance.NewLoad(&b.conns)
		b.changed.Store(e.start.UnixNano())
		if targets := accesslog.Targets(p.Logs, cfg.Global.Logs); len(targets) > 0 {
			lg, err := accesslog.New(targets, accesslog.Options{Events: true, LineLen: accesslog.LineLen(cfg),
				Tag: cmp.Or(p.LogTag, cfg.Global.LogTag)})
			if err != nil {
				e.closeLogs()
				return nil, err
			}
			b.events = lg
			e.loggers = append(e.loggers, lg)
		}
		servers := make([]*server, len(p.Servers))
		for i, cs := range p.Servers {
			servers[i] = newServer(cs, e.nextSlot, e.start)
			e.nextSlot++
			if cs.Addr.Host != "" {
				if err := initAddr(servers[i], cs); err != nil {
					return nil, err
				}
			}
		}
		b.snap.Store(b.build(servers, p.Cookie.Dynamic, p.DynamicCookieKey, nil))
		e.backends = append(e.backends, b)
		e.byName[p.Name] = b
	}
	e.linkTrackers()
	for _, p := range cfg.Proxies {
		if p.Cap&config.CapFrontend == 0 {
			continue
		}
		fe := &frontend{name: p.Name, proxy: p, index: len(e.fronts), timeouts: p.Timeouts, fwd: p.Options.ForwardFor,
			mode: p.Options.ConnMode, httplog: p.Options.HTTPLog || p.LogFormat != nil, ignoreProbes: p.Options.IgnoreProbes}
		fe.maxConn.Store(-1)
		if p.MaxConn > 0 {
			fe.maxConn.Store(int64(p.MaxConn))
		}
		for _, ub := range p.UseBackends {
			fe.routes = append(fe.routes, route{cond: ub.Cond, be: e.byName[ub.Backend.Name]})
		}
		switch {
		case p.DefaultBackend != nil:
			fe.def = e.byName[p.DefaultBackend.Name]
		case p.Cap&config.CapBackend != 0:
			fe.def = e.byName[p.Name]
		}
		if targets := accesslog.Targets(p.Logs, cfg.Global.Logs); len(targets) > 0 {
			lg, err := accesslog.New(targets, accesslog.Options{DontLogNull: p.Options.DontLogNull,
				DontLogNormal: p.Options.DontLogNormal, SeparateErrors: p.Options.LogSeparateErrors,
				CLF: p.Options.HTTPLogCLF, LineLen: accesslog.LineLen(cfg), Tag: cmp.Or(p.LogTag, cfg.Global.LogTag)})
			if err != nil {
				e.closeLogs()
				return nil, err
			}
			fe.log = lg
			e.loggers = append(e.loggers, lg)
		}
		e.fronts = append(e.fronts, fe)
	}
	return e, nil
}

// Listen binds the listeners of every bind line, taking sockets from
// inherited (a previous process's, see FetchListeners) when they are there.
func (e *Engine) Listen(inherited map[string]*os.File) error {
	for _, fe := range e.fronts {
		for k, b := range fe.proxy.Binds {
			if b.Network == config.NetUnix {
				return fmt.Errorf("%w: unix bind %q", ErrConfig, b.Name)
			}
			ln, err := Listen(b.ListenAddr, inherited)
			if err != nil {
				e.closeListeners()
				return fmt.Errorf("engine: cannot bind %q for proxy '%s': %w", b.Name, fe.name, err)
			}
			ln.Full = fe.full
			ln.Data = fe
			ln.KeepAlive = fe.proxy.Options.CliTCPKA
			ln.AcceptProxy = b.AcceptProxy
			ln.ID = strconv.Itoa(k + 1)
			e.lns = append(e.lns, ln)
			fe.lns = append(fe.lns, ln)
			e.feOf[ln] = fe
		}
	}
	return nil
}

// Listeners returns the bound listeners, in bind line order.
func (e *Engine) Listeners() []*Listener { return append([]*Listener(nil), e.lns...) }

// Serve runs the proxy on the bound listeners until Stop or Shutdown.
func (e *Engine) Serve() error {
	srv := e.transport()
	e.followLoad()
	e.serving.Store(true)
	if err := e.startResolvers(); err != nil {
		return err
	}
	e.startChecks()
	return srv.Serve(e.lns...)
}

// transport returns the transport server, made on first use.
func (e *Engine) transport() *Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.srv.Load(); s != nil {
		return s
	}
	s := NewServer(Config{Loops: e.cfg.Global.NbThread, MaxConn: e.cfg.Global.MaxConn, Tick: e.tick}, e)
	e.srv.Store(s)
	return s
}

// server returns the transport server, or nil before Ready or Serve.
func (e *Engine) server() *Server { return e.srv.Load() }

// Ready returns a channel closed once Serve accepts connections.
func (e *Engine) Ready() <-chan struct{} { return e.transport().Ready() }

// Shutdown stops gracefully (see Server.Shutdown), then closes the logs.
func (e *Engine) Shutdown(ctx context.Context) error {
	e.stopResolvers()
	e.stopChecks()
	e.stopWarmUps()
	var err error
	if e.serving.Load() {
		err = e.server().Shutdown(ctx)
	} else {
		e.closeListeners()
	}
	e.closeLogs()
	return err
}

// Stop stops at once (see Server.Stop), then closes the logs.
func (e *Engine) Stop(ctx context.Context) error {
	e.stopResolvers()
	e.stopChecks()
	e.stopWarmUps()
	var err error
	if e.serving.Load() {
		err = e.server().Stop(ctx)
	} else {
		e.closeListeners()
	}
	e.closeLogs()
	return err
}

func (e *Engine) closeListeners() {
	for _, ln := range e.lns {
		_ = ln.Close()
	}
}

func (e *Engine) closeLogs() {
	for _, lg := range e.loggers {
		_ = lg.Close()
	}
}

// Accept makes the endpoint of a client connection (Handler).
func (e *Engine) Accept(l *Loop, ln *Listener, c gnet.Conn) Endpoint {
	fe := e.feOf[ln]
	if fe == nil {
		return nil
	}
	if rules := fe.proxy.TCPConnRules; len(rules) > 0 && !acceptConn(rules, peerAddr(c.RemoteAddr(), ln.dual).Addr()) {
		return nil
	}
	if fe.full() {
		return nil
	}
	raiseMax(&fe.connsMax, fe.conns.Add(1))
	e.cumConns.Add(1)
	ls := loopStateOf(e, l)
	if ls.stats.e == nil {
		ls.stats.join(e) // the loop's rates share periods from its first connection
	}
	ls.stats.fronts[fe.index].conns.add(1, ls.rateNow()) // the loop's clock: no system clock read
	cc := newClientConn(e, ls, fe, c, ln.dual)
	if ln.AcceptProxy {
		cc.proxyFrom = ln
	}
	return cc
}

// Drain closes idle clients of l and makes busy ones close after their
// exchange (Handler).
func (e *Engine) Drain(l *Loop) {
	ls := loopStateOf(e, l)
	for cc := ls.clients.next; cc != &ls.clients; {
		next := cc.next
		cc.drain()
		cc = next
	}
}

// addrPort converts a connection's address to a netip.AddrPort (the zero
// value if it is not TCP), IPv4 as IPv4: the standard library holds it
// IPv4-mapped.
func addrPort(a net.Addr) netip.AddrPort {
	t, ok := a.(*net.TCPAddr)
	if !ok {
		return netip.AddrPort{}
	}
	ap := t.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// peerAddr is a client's address: on a socket taking both IPv6 and IPv4
// (dual), an IPv4 client keeps its IPv4-mapped IPv6 address, as HAProxy
// logs and forwards it ("::ffff:127.0.0.1").
func peerAddr(a net.Addr, dual bool) netip.AddrPort {
	ap := addrPort(a)
	if dual && ap.Addr().Is4() {
		return netip.AddrPortFrom(netip.AddrFrom16(ap.Addr().As16()), ap.Port())
	}
	return ap
}

// cumConnsActive returns the client connections being served.
func (e *Engine) cumConnsActive() int64 {
	if s := e.server(); s != nil {
		return int64(s.Clients())
	}
	return 0
}
