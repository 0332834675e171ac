// Package config reads HAProxy 2.6 configuration syntax into a typed,
// immutable model. Everything the engine needs is parsed here once:
// addresses, durations, sizes, enums and compiled conditions; nothing
// downstream parses configuration strings again.
//
// A Config is built by Load or Parse and is never changed afterwards; it is
// safe for concurrent readers.
package config

import (
	"io/fs"
	"net/netip"
	"regexp"
	"time"

	"tether/persist"
)

// Config is one loaded configuration.
type Config struct {
	Files     []string     // the files read, in order
	Global    Global       // the merged global sections
	Defaults  []*Proxy     // defaults sections, in declaration order
	Proxies   []*Proxy     // frontends, backends and listens, in declaration order
	Resolvers []*Resolvers // resolvers sections, in declaration order
	Warnings  []Diag       // warnings raised while loading
}

// Global holds the process-wide settings of the global section.
type Global struct {
	StatsSockets []StatsSocket
	StatsTimeout time.Duration // idle timeout of runtime API connections; default 10s
	NbThread     int           // 0: one event loop per core
	MaxConn      int           // 0: unset
	PidFile      string        // "" when unset
	LogTag       string        // `log-tag`: the tag of syslog headers; "" for the program name
	Logs         []LogTarget
	BufSize      int    // tune.bufsize in bytes; default 16384
	MaxHdr       int    // tune.http.maxhdr; default 101
	Daemon       bool   // accepted; tether stays in the foreground
	Node         string // `node`: the name show info gives; "" for the host name
	Description  string // `description`: what show info describes the process as
	Quiet        bool   // `quiet`: no warnings printed at start
	ZeroWarning  bool   // `zero-warning`: a warning at start stops it
	// Chroot, GID and UID are where the process confines itself and whom it
	// runs as once its sockets are bound (`chroot`, `group`/`gid`,
	// `user`/`uid`); "" and 0 leave them as they are, as in HAProxy.
	Chroot   string
	GID, UID int
	// SpreadChecks is `spread-checks`: each check interval varies at
	// random by up to this percentage either way (0 to 50).
	SpreadChecks int
	// MaxSpreadChecks is `max-spread-checks`: the first checks are spread
	// over at most this time; 0 for no bound.
	MaxSpreadChecks time.Duration
	// HardStopAfter bounds a graceful stop (`hard-stop-after`); 0 waits for
	// every connection, as HAProxy's soft stop does.
	HardStopAfter time.Duration
	// UlimitN is the descriptor limit to set at start (`ulimit-n`); 0
	// raises the soft limit to the hard one.
	UlimitN int
}

// Level is the privilege level of a runtime API socket.
type Level uint8

const (
	// LevelUser may only read non-sensitive state.
	LevelUser Level = iota
	// LevelOperator may also change non-sensitive state (the HAProxy default).
	LevelOperator
	// LevelAdmin may do everything.
	LevelAdmin
)

// String returns the keyword of the level.
func (l Level) String() string {
	switch l {
	case LevelUser:
		return "user"
	case LevelAdmin:
		return "admin"
	}
	return "operator"
}

// Network is the family of a listening or connecting address.
type Network uint8

const (
	// NetTCP4 is TCP over IPv4.
	NetTCP4 Network = iota
	// NetTCP6 is TCP over IPv6.
	NetTCP6
	// NetUnix is a unix stream socket.
	NetUnix
)

// String returns the Go net package's name of the network.
func (n Network) String() string {
	switch n {
	case NetTCP6:
		return "tcp6"
	case NetUnix:
		return "unix"
	}
	return "tcp4"
}

// StatsSocket is one `stats socket` line: a runtime API listener.
type StatsSocket struct {
	ListenAddr             // e.g. "ipv4@127.0.0.1:9999"
	Level      Level       // default LevelOperator
	Mode       fs.FileMode // unix socket permissions; 0: unset
	User       string      // owner of the unix socket; "" unset
	Group      string      // group of the unix socket; "" unset
	UID        int         // resolved User, -1 when unset
	GID        int         // resolved Group, -1 when unset
	ExposeFD   bool        // `expose-fd listeners`: may hand listening sockets to a new process
	File       string
	Line       int
}

// The bounds and default of `log ... len`.
const (
	MinLogLen     = 80
	MaxLogLen     = 65535
	DefaultLogLen = 1024
)

// LogTarget is one `log` line. Global is set for `log global` in a proxy,
// which means "use the global section's targets".
type LogTarget struct {
	Global   bool
	Address  string     // "127.0.0.1:514", "stdout", "/dev/log", as written
	Format   string     // "" or the `format` argument
	Len      int        // `len`: the longest line sent, header included; 0 for the default (DefaultLogLen)
	Sample   *LogSample // `sample`: which lines are sent; nil for all
	Facility string
	Level    string // "" or the maximum level
	MinLevel string // "" or the minimum level
}

// Cap is the set of capabilities of a proxy section.
type Cap uint8

const (
	// CapFrontend: the proxy accepts connections (frontend, listen).
	CapFrontend Cap = 1 << iota
	// CapBackend: the proxy has servers (backend, listen).
	CapBackend
	// CapDefaults: the section is a defaults section.
	CapDefaults
)

// Mode is the proxy mode.
type Mode uint8

const (
	// ModeTCP is HAProxy's default mode; tether refuses it for now.
	ModeTCP Mode = iota
	// ModeHTTP is layer-7 HTTP proxying.
	ModeHTTP
)

// Proxy is one frontend, backend, listen or defaults section after
// inheritance from its defaults section.
type Proxy struct {
	Name   string
	Cap    Cap
	ID     int  // the `id` keyword's, or numbered as HAProxy numbers the others (from 1, or 2 with a stats socket, skipping the ids taken)
	IDSet  bool // ID comes from an `id` keyword
	IDLine int  // the line of that keyword
	// Description is the `description` text; it shows in no CSV column.
	Description string
	From        string // name of the defaults section it inherited from; "" for none or unnamed
	File        string
	Line        int
	Mode        Mode
	Timeouts    Timeouts
	Options     Options
	Logs        []LogTarget
	LogTag      string // `log-tag`: the tag of its syslog headers; "" for the global one

	// Frontend side.
	Binds          []Bind
	MaxConn        int // frontend maxconn; 0 unset
	DefaultBackend *Proxy
	UseBackends    []UseBackend
	CaptureCookie  CaptureCookie
	// MonitorURI is `monitor-uri`: requests for it are answered 200 by the
	// frontend itself and not logged; "" when unset.
	MonitorURI string
	// CaptureRequest and CaptureResponse are the `capture request header`
	// and `capture response header` lines, in order (frontends only).
	CaptureRequest, CaptureResponse []CaptureHeader

	// Backend side.
	Balance          Balance
	Cookie           persist.Options
	DynamicCookieKey string
	Retries          int     // default 3
	RetryOn          RetryOn // `retry-on`; default conn-failure
	FullConn         int     // `fullconn`; 0 unset: a tenth of the maxconn of the frontends that can send here
	// MaxKAQueue is `max-keep-alive-queue` plus one, as HAProxy keeps it:
	// `option prefer-last-server` keeps a client on a server at its
	// maxconn only while fewer than MaxKAQueue-1 requests wait for it. 0
	// (the default, -1) and below: no limit.
	MaxKAQueue    int
	Servers       []*Server
	DefaultServer Server // the `default-server` settings every later server starts from
	// HTTPReuse is `http-reuse`: which requests may take an idle server
	// connection; the zero value is HAProxy's default, safe.
	HTTPReuse    HTTPReuse
	PersistRules []PersistRule
	UseServers   []UseServer
	HTTPCheck    HTTPCheck
	// Source is `source`: the local address (and port, 0 for any) of the
	// connections to servers without a Source of their own; invalid when
	// unset.
	Source netip.AddrPort

	ACLs []*ACL // the named ACLs declared in the section

	HTTPRequest  []*HTTPRule // `http-request` rules, a named defaults section's first
	HTTPResponse []*HTTPRule // `http-response` rules, a named defaults section's first
	Redirects    []*HTTPRule // `redirect` lines (RuleRedirect), run after HTTPRequest
	TCPConnRules []TCPRule   // `tcp-request connection` rules

	Stats          Stats     // the statistics page
	LogFormat      LogFormat // `log-format`: the lines the frontend logs, instead of httplog's; nil for none
	UniqueIDFormat LogFormat // `unique-id-format`: each request's unique ID; nil for none
	UniqueIDHeader string    // `unique-id-header`: the field the ID is sent to the server in; "" for none
	SendNameHeader string    // `http-send-name-header`: the field naming the server a request goes to

	errorFiles   errorFiles           // `errorfile` replies by status (see ErrorFile)
	errorSeqs    [len(errorCodes)]int // which line set each of them (parser.nextErrorSeq); 0 for none
	errorImports []errorImport        // `errorfiles` lines, resolved by finish

	defaultBackend string // name until resolved
}

// Server returns the server named name, or nil.
func (p *Proxy) Server(name string) *Server {
	for _, s := range p.Servers {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// ListenAddr is a listening address (of a `bind` or `stats socket` line),
// read once by the parser (or ParseListenAddr); the engine and the runtime
// API listen on Network and Addr (or Path) as they are: NetTCP6 sockets
// take IPv6 connections only.
type ListenAddr struct {
	Name    string         // the address as written, e.g. "*:80"; a reload matches inherited sockets by it
	Network Network        // NetTCP4, NetTCP6 or NetUnix
	Addr    netip.AddrPort // TCP: the unspecified address for "*" or an empty host; never IPv4-mapped
	Path    string         // unix: the socket file
	// V6Only keeps an IPv6 wildcard address to IPv6 clients (`v6only`);
	// without it the socket takes IPv4 clients too, as IPv4-mapped
	// addresses, as HAProxy's does on a system whose bindv6only is 0.
	V6Only bool
	// AcceptProxy expects a PROXY protocol header first on each
	// connection (`accept-proxy`), which names the client.
	AcceptProxy bool
}

// Bind is one listening address of a `bind` line ("a,b" makes two).
type Bind struct {
	ListenAddr
	File string
	Line int
}

// Timeouts of a proxy. Zero means unset (no timeout), as in HAProxy.
type Timeouts struct {
	Client        time.Duration
	Server        time.Duration
	Connect       time.Duration
	HTTPRequest   time.Duration
	HTTPKeepAlive time.Duration
	Queue         time.Duration
	Tunnel        time.Duration
	Check         time.Duration
	Tarpit        time.Duration // how long a tarpit rule holds a request; timeout connect when unset
	ClientFin     time.Duration // the client's timeout once it shut its side; 0: Client
	ServerFin     time.Duration // the server's timeout once it shut its side, in a tunnel; 0: none of its own
}

// ConnMode is the HTTP connection mode of a proxy.
type ConnMode uint8

const (
	// KeepAlive keeps both sides open between requests (the default).
	KeepAlive ConnMode = iota
	// ServerClose closes the server side after each response.
	ServerClose
	// Close closes both sides after each response.
	Close
)

// Options are the `option` keywords of a proxy.
type Options struct {
	Redispatch         bool
	RedispatchInterval int // -1: on the last retry; N>0: every Nth retry; N<-1: N retries before the last
	Persist            bool
	ForwardFor         ForwardFor
	OriginalTo         OriginalTo
	ConnMode           ConnMode
	HTTPLog            bool
	HTTPLogCLF         bool // `option httplog clf`: the common log format
	DontLogNull        bool
	DontLogNormal      bool // `option dontlog-normal`: only failed exchanges are logged (accesslog.Record.Error)
	LogSeparateErrors  bool // `option log-separate-errors`: failed exchanges are logged at level "err"
	IgnoreProbes       bool // `option http-ignore-probes`: a connection that sends nothing is closed silently
	LogHealthChecks    bool // `option log-health-checks`: every change a check sees is logged
	HTTPChk            HTTPChk
	TCPChk             TCPChk // `option tcp-check`, `option redis-check` and the `tcp-check` rules
	CheckCache         bool
	// CliTCPKA and SrvTCPKA are `option clitcpka` and `option srvtcpka`
	// (`option tcpka` sets both): TCP keep-alive probes on client and on
	// server connections, at the system's intervals.
	CliTCPKA, SrvTCPKA bool
	// AllBackups is `option allbackups`: when no active server is usable,
	// every usable backup server takes traffic, not only the first one.
	AllBackups bool
	// PreferLast is `option prefer-last-server`: a request of a client
	// connection that keeps an idle connection of its own to a usable
	// server of the backend goes to that server rather than to the one
	// balancing would choose (not with the hash algorithms).
	PreferLast bool
	// LogASAP is `option logasap`: an exchange is logged once its response
	// head is out, with the time and bytes so far.
	LogASAP bool
	// PretendKeepAlive is `option http-pretend-keepalive`: under
	// http-server-close or httpclose, the request does not tell the
	// server the connection closes after it (it still does).
	PretendKeepAlive bool
	// HdrNames is `option http-restrict-req-hdr-names`: what becomes of
	// request fields whose name has a byte outside [A-Za-z0-9-].
	HdrNames HdrNames
}

// HdrNames is a policy of `option http-restrict-req-hdr-names`.
type HdrNames uint8

// The policies.
const (
	HdrNamesPreserve HdrNames = iota // forward them
	HdrNamesDelete                   // remove them
	HdrNamesReject                   // answer 403
)

// OriginalTo is `option originalto [except <net>] [header <name>]`: the
// request gets a field naming the address the client connected to.
type OriginalTo struct {
	Enabled bool
	Except  netip.Prefix // invalid when unset: destinations in it get no field
	Header  string       // default "X-Original-To"
}

// ForwardFor is `option forwardfor [except <net>] [header <name>] [if-none]`.
type ForwardFor struct {
	Enabled bool
	Except  netip.Prefix // invalid when unset
	Header  string       // default "X-Forwarded-For"
	IfNone  bool
}

// HTTPChk is `option httpchk [<method>] [<uri>] [<version>]`.
type HTTPChk struct {
	Enabled bool
	Method  string // default "OPTIONS"
	URI     string // default "/"
	Version string // default "HTTP/1.0"
}

// CaptureCookie is `capture cookie <name> len <length>`.
type CaptureCookie struct {
	Name string // "" when unset
	Len  int
}

// CaptureHeader is `capture request header <name> len <length>` or its
// response twin: the last field named Name (compared without case) is
// logged, cut at Len bytes.
type CaptureHeader struct {
	Name string // "" for the slot of an `http-request capture` rule
	Len  int
}

// Algo is a load-balancing algorithm.
type Algo uint8

const (
	// RoundRobin is weighted round robin, adjustable at run time (the default).
	RoundRobin Algo = iota
	// StaticRR is weighted round robin with static weights.
	StaticRR
	// LeastConn picks the server with the fewest connections.
	LeastConn
	// First picks the first server with a free connection slot.
	First
	// Source hashes the client address.
	Source
	// Random picks with power-of-Draws choices.
	Random
	// URI hashes the path (or the whole URI).
	URI
	// URLParam hashes a query-string parameter.
	URLParam
	// Hdr hashes a request header.
	Hdr
)

// Balance is a `balance` line.
type Balance struct {
	Algo          Algo
	Param         string // URLParam: the parameter; Hdr: the header name
	Draws         int    // Random: number of draws; default 2
	Whole         bool   // URI: hash the whole URI, query included
	Len           int    // URI: hash only the first Len characters; 0 all
	Depth         int    // URI: hash only the first Depth directories; 0 all
	PathOnly      bool   // URI: hash from the path's first '/', without an absolute form's scheme and authority
	UseDomainOnly bool   // Hdr: hash only the domain part of the value
	// Factor is `hash-balance-factor`: under consistent hashing (and
	// random), a server takes no more than Factor percent of the average
	// load per weight; 0 for no bound. A line of its own, which a later
	// `balance` line keeps.
	Factor int
	Hash   HashType // the `hash-type` line; a later `balance` line keeps it
	// AllBackups is the backend's `option allbackups` (Options.AllBackups),
	// which balancing needs: set from the option once the configuration is
	// read, since the option is no part of the `balance` line.
	AllBackups bool
}

// HashMethod is how the hash algorithms map a hash to a server.
type HashMethod uint8

const (
	// MapBased looks the hash up modulo the length of the server map (the
	// default).
	MapBased HashMethod = iota
	// Consistent looks the hash up on a ring of points per server.
	Consistent
)

// HashFunc is the function the hash algorithms apply to their input.
type HashFunc uint8

const (
	// SDBM is the sdbm database's hash (the default).
	SDBM HashFunc = iota
	// DJB2 is Dan Bernstein's hash.
	DJB2
	// WT6 is HAProxy's own hash.
	WT6
	// CRC32 is the IEEE CRC-32 of Ethernet, gzip and PNG.
	CRC32
)

// HashType is a `hash-type <method> [<function> [avalanche]]` line.
type HashType struct {
	Method    HashMethod
	Func      HashFunc
	Avalanche bool // the hash goes through a 32-bit avalanche mix before use
}

// PortMode says how a server's port is given.
type PortMode uint8

const (
	// PortFixed: Port is the port.
	PortFixed PortMode = iota
	// PortNone: no port; the client's destination port is used.
	PortNone
	// PortOffset: Port is added to the client's destination port.
	PortOffset
)

// ServerAddr is the address of a server line. Exactly one of IP, Host and
// Path is set.
type ServerAddr struct {
	Network  Network    // NetTCP4 or NetTCP6 for IP and Host (the preferred family), NetUnix for Path
	IP       netip.Addr // an address literal
	Host     string     // a name to resolve
	Path     string     // a unix socket path
	Port     int
	PortMode PortMode
}

// InitMethod is one method of `init-addr`.
type InitMethod uint8

const (
	// InitLast uses the address saved in the server state file.
	InitLast InitMethod = iota
	// InitLibc resolves with the system resolver at start.
	InitLibc
	// InitNone starts without an address, in maintenance.
	InitNone
	// InitIP uses a fixed address.
	InitIP
)

// InitAddr is one step of a server's `init-addr` list.
type InitAddr struct {
	Method InitMethod
	IP     netip.Addr // for InitIP
}

// Observe is what of a server's traffic its health follows (`observe`).
type Observe uint8

const (
	ObserveNone   Observe = iota // nothing
	ObserveLayer4                // connections: a failed one is an error, an established one clears them
	ObserveLayer7                // HTTP responses: failed connections, 5xx statuses, broken responses
)

// OnError is what a server's observed errors set off once ErrorLimit come
// in a row (`on-error`).
type OnError uint8

const (
	OnErrorFailCheck   OnError = iota // count a failed health check
	OnErrorFastinter                  // check again at fastinter
	OnErrorSuddenDeath                // leave the server one failed check from down, then count one
	OnErrorMarkDown                   // take the server down
)

// Server is one server of a backend, after `default-server` and templates
// are applied.
type Server struct {
	Name      string
	ID        int    // HAProxy's id: the `id` keyword's, or numbered as HAProxy numbers the others (the 1-based position without any `id`)
	IDSet     bool   // ID comes from an `id` keyword
	Template  string // prefix of the server-template that made it; "" otherwise
	File      string
	Line      int
	Addr      ServerAddr
	Check     bool
	Inter     time.Duration // default 2s
	FastInter time.Duration // defaults to Inter
	DownInter time.Duration // defaults to Inter
	Rise      int           // default 2
	Fall      int           // default 3
	CheckPort int           // 0: the server's port
	CheckAddr netip.Addr    // invalid: the server's address
	Weight    int           // 0..256, default 1
	Cookie    string        // explicit cookie value; "" with CookieSet false means none
	CookieSet bool          // an explicit `cookie` was given (beats a dynamic one)
	Backup    bool
	Disabled  bool
	MaxConn   int // 0: unlimited
	MaxQueue  int // 0: unlimited
	// MinConn is `minconn`: the server's maxconn while the backend is
	// idle, growing to MaxConn as the backend's load reaches its
	// fullconn. 0 or MaxConn for a static maxconn; a higher one raises
	// MaxConn to it, as HAProxy does.
	MinConn int
	// Observe is what of the traffic to the server counts towards its
	// health (`observe`); ErrorLimit errors in a row (`error-limit`,
	// default 10) set off OnError (`on-error`, default fail-check).
	Observe      Observe
	ErrorLimit   int
	OnError      OnError
	OnMarkedDown bool // on-marked-down shutdown-sessions
	OnMarkedUp   bool // on-marked-up shutdown-backup-sessions
	// Slowstart is how long a server that comes up takes to reach its
	// full weight and maxconn, in whole seconds; 0 for at once.
	Slowstart time.Duration
	Resolvers *Resolvers
	InitAddr  []InitAddr     // default last,libc
	Prefer    Network        // resolve-prefer; default NetTCP6
	Nets      []netip.Prefix // resolve-net: networks whose addresses resolution prefers
	AllowDup  bool           // resolve-opts allow-dup-ip: may share an address with a server of the same name
	NoWeight  bool           // resolve-opts ignore-weight: SRV weights are not applied
	// Track is the server whose state this one follows (`track`), of
	// backend TrackBackend; nil without.
	Track        *Server
	TrackBackend string
	// ProxyProto says which PROXY protocol header starts every new
	// connection to the server (`send-proxy`, `send-proxy-v2`,
	// `proxy-v2-options`); 0 for none.
	ProxyProto ProxyProto
	// CheckSendProxy is `check-send-proxy`: checks send the header too. As
	// in HAProxy, they also do without it when ProxyProto is set and the
	// line gives checks neither a `port` nor an `addr`.
	CheckSendProxy bool
	// Source is `source`: the local address (and port, 0 for any) of the
	// server's connections and checks; invalid for the backend's Source.
	Source netip.AddrPort
	// PoolMaxConn is `pool-max-conn`: at most this many idle connections
	// kept for reuse, -1 (the default) for no limit and 0 for none.
	// PoolPurgeDelay is `pool-purge-delay` (default 5s): every such period
	// HAProxy closes part of the idle connections left unused.
	// PoolLowConn is `pool-low-conn`: below this many idle connections a
	// thread does not take another thread's; it also widens how many idle
	// connections are kept beyond the estimated need.
	// MaxReuse is `max-reuse`: a connection serves at most this many
	// requests after its first (-1, the default, for no limit; 0 for
	// none). HAProxy 2.6 applies it to HTTP/2 and FastCGI connections only,
	// so it has no effect on tether's HTTP/1.1 ones.
	PoolMaxConn    int
	PoolPurgeDelay time.Duration
	PoolLowConn    int
	MaxReuse       int
	Agent          Agent // `agent-check` and its settings

	resolvers string // name until resolved
	trackit   string // `track`'s argument until resolved
}

// HTTPReuse is an `http-reuse` mode, as HAProxy 2.6 reads them.
type HTTPReuse uint8

const (
	// ReuseSafe: the first request of a client connection always opens a
	// new server connection; later ones may take any idle one.
	ReuseSafe HTTPReuse = iota
	// ReuseNever: a server connection serves one client connection only.
	ReuseNever
	// ReuseAggressive: a first request may also take an idle connection
	// that has already served a request after its own first one.
	ReuseAggressive
	// ReuseAlways: any request may take any idle connection.
	ReuseAlways
)

// ProxyProto is a set of PROXY protocol settings of a server, as HAProxy
// keeps them: any bit set makes the server's connections start with a
// header, version 2 with ProxyV2 and version 1 otherwise (so
// `proxy-v2-options` alone sends a version 1 header, as in HAProxy).
type ProxyProto uint16

const (
	// ProxyV1 is `send-proxy`: the text header of version 1.
	ProxyV1 ProxyProto = 1 << iota
	// ProxyV2 is `send-proxy-v2`: the binary header of version 2.
	ProxyV2
	// ProxyV2Authority is `proxy-v2-options authority`: the client's
	// authority (TLS SNI) in a TLV, which a client without TLS has not.
	ProxyV2Authority
	// ProxyV2CRC32C is `proxy-v2-options crc32c`: a TLV with the CRC-32C
	// of the whole header.
	ProxyV2CRC32C
	// ProxyV2UniqueID is `proxy-v2-options unique-id`: a TLV with the
	// request's unique ID, empty without a `unique-id-format`.
	ProxyV2UniqueID
)

// PersistRule is one `force-persist` or `ignore-persist` line; the first
// rule whose condition holds wins.
type PersistRule struct {
	Force bool // force-persist; false for ignore-persist
	Cond  *Cond
}

// UseBackend is one `use_backend` rule; the first rule whose condition
// holds selects its backend.
type UseBackend struct {
	Backend *Proxy
	Cond    *Cond // nil: the rule always applies

	name string
}

// UseServer is one `use-server` rule; the first rule whose condition holds
// selects its server.
type UseServer struct {
	Server *Server
	Cond   *Cond

	name string
	line int
}

// CheckRuleKind is the kind of an `http-check` rule.
type CheckRuleKind uint8

const (
	// CheckSend sets what the health check request contains.
	CheckSend CheckRuleKind = iota
	// CheckExpect tests the health check response.
	CheckExpect
)

// ExpectKind is what an `http-check expect` rule tests.
type ExpectKind uint8

const (
	// ExpectStatus matches the status code against ranges.
	ExpectStatus ExpectKind = iota
	// ExpectRStatus matches the status code against a regular expression.
	ExpectRStatus
	// ExpectString looks for a string in the body.
	ExpectString
	// ExpectRString matches the body against a regular expression.
	ExpectRString
)

// StatusRange is an inclusive range of status codes.
type StatusRange struct{ Lo, Hi int }

// Header is one header name and value.
type Header struct{ Name, Value string }

// CheckRule is one `http-check send` or `http-check expect` line.
type CheckRule struct {
	Kind CheckRuleKind

	// CheckSend.
	Method  string
	URI     string
	Version string
	Headers []Header
	Body    string

	// CheckExpect.
	Expect   ExpectKind
	Negate   bool
	Pattern  string
	Statuses []StatusRange  // ExpectStatus
	Regexp   *regexp.Regexp // ExpectRStatus, ExpectRString
}

// HTTPCheck holds the `http-check` settings of a backend.
type HTTPCheck struct {
	DisableOn404 bool
	Rules        []CheckRule

	inherited bool // Rules came from defaults; the first own rule replaces them
}

// Nameserver is one `nameserver` of a resolvers section.
type Nameserver struct {
	Name string
	Addr netip.AddrPort
	TCP  bool
}

// Hold holds the `hold` periods of a resolvers section.
type Hold struct {
	NX, Refused, Timeout, Other, Valid, Obsolete time.Duration
}

// Resolvers is one resolvers section.
type Resolvers struct {
	Name                string
	File                string
	Line                int
	Nameservers         []Nameserver
	ParseResolvConf     bool
	AcceptedPayloadSize int // default 512
	ResolveRetries      int // default 3
	TimeoutResolve      time.Duration
	TimeoutRetry        time.Duration
	Hold                Hold
}

// HasListener reports whether anything listens: a bind line of a frontend
// or listen, or a stats socket, as HAProxy counts them; tether will not
// start without one.
func (c *Config) HasListener() bool {
	if len(c.Global.StatsSockets) > 0 {
		return true
	}
	for _, px := range c.Proxies {
		if px.Cap&CapFrontend != 0 && len(px.Binds) > 0 {
			return true
		}
	}
	return false
}

// Backend returns the backend or listen named name, or nil.
func (c *Config) Backend(name string) *Proxy {
	for _, px := range c.Proxies {
		if px.Name == name && px.Cap&CapBackend != 0 {
			return px
		}
	}
	return nil
}

// Dial returns the address to connect to for a server with an IP literal
// and a fixed port; ok is false for names to resolve, unix sockets, and
// absent or relative ports, which the engine completes at connect time.
func (a ServerAddr) Dial() (ap netip.AddrPort, ok bool) {
	if !a.IP.IsValid() || a.PortMode != PortFixed {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.IP, uint16(a.Port)), true
}
