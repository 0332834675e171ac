package runtime

import (
	"net/netip"
	"time"

	"tether/engine"
)

// Control is everything the runtime API needs from the engine. The engine
// implements it; tests implement it with an in-memory fake.
//
// Reads return copies: a BackendView or StatRow is a value the caller owns and
// that never changes after the call.
//
// Every mutating method returns only after the change is live, that is after
// the engine has built the new snapshot and swapped it in, so a script that
// sends traffic right after the reply sees the change. Backends and servers
// are named by their resolved names (never "#id"); the runtime resolves ids
// from Backends first and checks everything it can there, so the errors of
// the mutating methods are for what only the engine can know, or for a
// backend or server that vanished in between. The text of such an error is
// the reply line sent to the client verbatim (HAProxy's wording, no trailing
// newline), for example "No such server." or "Only servers in maintenance
// mode can be deleted.".
//
// Implementations must be safe for concurrent use: every socket connection
// runs on its own goroutine.
type Control interface {
	// Backends returns every backend-capable proxy (backend and listen
	// sections, not frontends, not internal proxies) in configuration order.
	Backends() []BackendView
	// Info returns the process-wide figures of `show info`.
	Info() Info
	// Stats returns the rows of `show stat` in HAProxy's order: for each
	// proxy in configuration order its FRONTEND row, then its servers, then
	// its BACKEND row (rows a proxy lacks the capability for are omitted).
	Stats() []StatRow

	// SetDynamicCookie turns `cookie ... dynamic` on or off for a backend.
	// Turning it on computes every server's cookie from the backend's key
	// (when it has one); turning it off drops every dynamic cookie.
	SetDynamicCookie(backend string, enabled bool) error
	// SetDynamicCookieKey replaces the backend's dynamic-cookie-key and
	// recomputes the servers' cookies when dynamic cookies are enabled.
	SetDynamicCookieKey(backend, key string) error

	// SetServerAdmin puts a server in the ready, drain or maint state.
	SetServerAdmin(backend, server string, state AdminState) error
	// SetServerHealth forces the operational state as a health check would.
	SetServerHealth(backend, server string, health Health) error
	// SetServerWeight sets the user weight (0-256), already validated.
	SetServerWeight(backend, server string, weight int) error
	// SetServerAddr applies an address and/or port change and clears the
	// resolution maintenance flag (as HAProxy 2.6 does even when nothing
	// else changes). A changed address or port recomputes the dynamic
	// cookie and purges idle connections to the old address.
	SetServerAddr(backend, server string, change AddrChange) error
	// SetCheckTarget changes where the server's health checks go: to addr
	// when setAddr, to port (0: the server's own) when setPort; both are
	// already validated.
	SetCheckTarget(backend, server string, addr netip.Addr, setAddr bool, port int, setPort bool) error
	// SetHealthCheck enables or disables the configured health check.
	SetHealthCheck(backend, server string, enabled bool) error
	// ShutdownSessions ends the exchanges the server carries, logged as
	// killed by an administrator.
	ShutdownSessions(backend, server string) error

	// PauseFrontend closes a frontend's listening sockets until
	// ResumeFrontend (`disable frontend`); ResumeFrontend binds them
	// again; StopFrontend closes them for good. Their errors are
	// HAProxy's replies ("All sockets are already disabled.", ...).
	PauseFrontend(frontend string) error
	ResumeFrontend(frontend string) error
	StopFrontend(frontend string) error

	// ClearCounters restarts the maxima of `show stat` from zero, or
	// every counter with all, as `clear counters [all]` does.
	ClearCounters(all bool)

	// SetServerMaxConn sets a server's maxconn (0: no limit).
	SetServerMaxConn(backend, server string, maxconn int) error
	// SetFrontendMaxConn sets a frontend's maxconn (0 or more); an unknown
	// frontend is "No such frontend.".
	SetFrontendMaxConn(frontend string, maxconn int) error
	// SetGlobalMaxConn sets the process's maxconn: at most Info's
	// HardMaxconn ("Value out of range." over it), which 0 or less restores.
	SetGlobalMaxConn(maxconn int) error

	// AddServer creates a server from the words of a `server` line after
	// its name (address then keywords), in maintenance, as `add server`
	// does. The engine parses the words with the configuration parser and
	// its error texts (for example "'cookie' option is not accepted for
	// dynamic server" or "Already exists a server with the same name in
	// backend."). An added server gets its dynamic cookie at once.
	AddServer(backend, server string, words []string) error
	// DelServer removes a server that is in maintenance and has no
	// connection attached; otherwise it returns HAProxy's refusal text.
	DelServer(backend, server string) error
}

// AgentControl is what a Control offers for agent checks when it runs
// them (the engine's does); without it, no server has an agent to
// command.
type AgentControl interface {
	// SetAgentCheck enables or disables the configured agent check; an
	// agent that is not configured cannot be enabled.
	SetAgentCheck(backend, server string, enabled bool) error
	// SetAgentHealth forces the agent's verdict, up or down; the agent
	// must be enabled.
	SetAgentHealth(backend, server string, up bool) error
	// SetAgentTarget changes where the agent checks go, as SetCheckTarget
	// does for health checks; SetAgentSend what they send first.
	SetAgentTarget(backend, server string, addr netip.Addr, setAddr bool, port int, setPort bool) error
	SetAgentSend(backend, server, send string) error
}

// BackendView is a copy of one backend-capable proxy as the runtime API sees
// it.
type BackendView struct {
	ID        int    // proxy id (be_id, iid), "#ID" selects it
	Name      string // section name
	ForcedID  bool   // the id was set with the `id` keyword
	Disabled  bool   // the proxy is disabled or stopped: server commands refuse it
	DynamicLB bool   // the balancing algorithm accepts weight changes and added servers
	Servers   []ServerView
}

// ServerView is a copy of one server, with the fields `show servers state`,
// `get weight` and the server commands need.
type ServerView struct {
	ID        int        // server id (srv_id, sid), "#ID" selects it
	Name      string     // server name
	ForcedID  bool       // the id was set with the `id` keyword
	Addr      netip.Addr // current address; the zero Addr when none or not IPv4/IPv6
	Port      uint32     // svc_port as HAProxy keeps it; an offset "-N" is stored as 2^32-N
	PortMap   bool       // the port is an offset (+N or -N) from the client's port
	FQDN      string     // hostname to resolve, "" when none
	SRVRecord string     // SRV record name, "" when none

	OpState     OpState       // operational state
	Admin       AdminFlags    // administrative state bits
	UWeight     int           // current user weight
	IWeight     int           // initial (configured) weight
	SinceChange time.Duration // time since the last state change
	Tracking    bool          // the server tracks another one's health
	UseSSL      int           // srv_use_ssl column (0 without TLS)

	Check CheckView // health check
	Agent CheckView // agent check
}

// CheckView is the state of a health or agent check in the numeric form of
// `show servers state`.
type CheckView struct {
	Configured bool       // a check is configured on the server
	Status     int        // HCHK_STATUS_* code (1 = HCHK_STATUS_INI)
	Result     int        // CHK_RES_* code
	Health     int        // health counter
	State      int        // CHK_ST_* bits as dumped (masked by the engine)
	Addr       netip.Addr // check address, the zero Addr when none
	Port       int        // check port, 0 when none
}

// OpState is a server's operational state (srv_op_state), as the engine
// keeps it.
type OpState = engine.OpState

const (
	OpStopped  = engine.OpStopped  // down
	OpStarting = engine.OpStarting // coming up (slowstart)
	OpRunning  = engine.OpRunning  // up
	OpStopping = engine.OpStopping // up but not taking new traffic (health "stopping")
)

// AdminFlags are a server's administrative state bits (srv_admin_state),
// as the engine keeps them.
type AdminFlags = engine.AdminFlags

const (
	AdminFMaint = engine.AdminFMaint // forced maintenance (CLI, stats page)
	AdminIMaint = engine.AdminIMaint // maintenance inherited from a tracked server
	AdminCMaint = engine.AdminCMaint // maintenance from the configuration (`disabled`)
	AdminFDrain = engine.AdminFDrain // forced drain
	AdminIDrain = engine.AdminIDrain // drain inherited from a tracked server
	AdminRMaint = engine.AdminRMaint // maintenance because the address is not resolved
	AdminHMaint = engine.AdminHMaint // the FQDN was set at run time (a slot's SRV record)
)

// AdminState is the administrative state `set server ... state` asks for.
type AdminState = engine.AdminState

const (
	AdminReady = engine.AdminReady // leave maintenance and drain
	AdminDrain = engine.AdminDrain // stop taking new non-persistent traffic
	AdminMaint = engine.AdminMaint // stop taking any traffic
)

// Health is the operational state `set server ... health` forces.
type Health = engine.Health

const (
	HealthUp       = engine.HealthUp       // running, check counter at its maximum
	HealthStopping = engine.HealthStopping // stopping (NOLB)
	HealthDown     = engine.HealthDown     // stopped, check counter at zero
)

// AddrChange is what `set server B/S addr` changes. The zero value changes
// nothing (the engine still clears resolution maintenance).
type AddrChange struct {
	SetAddr bool       // change the address to Addr
	Addr    netip.Addr // new address
	SetPort bool       // change the port to Port
	Port    uint32     // new svc_port: the CLI keeps 16 bits, so "-N" is stored as 65536-N
	PortMap bool       // the new port is an offset (+N or -N) from the client's port
}

// Info is the process-wide part of `show info` that the engine knows.
// Fields HAProxy reports and tether has no equivalent for are printed as 0.
type Info struct {
	Name              string    // product name printed in the Name line
	Version           string    // version string
	ReleaseDate       string    // release date, YYYY/MM/DD
	Nbthread          int       // event loops
	Pid               int       // process id
	Start             time.Time // process start
	Uptime            time.Duration
	UlimitN           int   // file descriptor limit
	Maxsock           int   // sockets the process may hold
	Maxconn           int   // global maxconn
	HardMaxconn       int   // maxconn ceiling
	CurrConns         int   // connections being served
	CumConns          int64 // connections accepted since start
	CumReq            int64 // requests received since start
	ConnRate          int   // connections in the last second
	MaxConnRate       int   // highest ConnRate seen
	SessRate          int   // sessions in the last second
	MaxSessRate       int   // highest SessRate seen
	Tasks             int   // timers and goroutines the engine runs
	RunQueue          int   // runnable work items
	IdlePct           int   // idle percentage of the event loops
	Node              string
	Description       string // "" for none: show info leaves the line out
	Stopping          bool   // the process is stopping (old process of a reload)
	Jobs              int    // listeners plus connections
	Listeners         int    // listening sockets
	BytesOut          int64  // bytes sent since start
	BytesOutRate      int    // bytes sent in the last second
	FailedResolutions int64
}

// checkEnabled is the CheckView.State bit of a running health check
// (CHK_ST_ENABLED).
const checkEnabled = int(engine.CheckEnabled)
