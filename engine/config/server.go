package config

import (
	"net/netip"
	"slices"
	"strings"
	"time"
)

// unsupportedServer lists server keywords HAProxy 2.6 knows that tether
// does not implement yet.
var unsupportedServer = map[string]bool{
	"ssl": true, "verify": true, "verifyhost": true, "sni": true, "crt": true, "ca-file": true,
	"crl-file": true, "alpn": true, "npn": true, "proto": true,
	"send-proxy-v2-ssl": true, "send-proxy-v2-ssl-cn": true,
	"redir": true, "tfo": true, "non-stick": true, "namespace": true,
	"check-ssl": true, "check-sni": true, "check-alpn": true,
	"check-proto": true, "check-via-socks4": true,
	"ws": true, "tcp-ut": true, "socks4": true,
	"set-proxy-v2-tlv-fmt": true, "log-proto": true, "allow-0rtt": true, "ciphers": true,
	"ciphersuites": true, "no-ssl": true, "ssl-reuse": true, "no-ssl-reuse": true,
	"no-tls-tickets": true, "ssl-min-ver": true, "ssl-max-ver": true, "force-sslv3": true,
	"force-tlsv10": true, "force-tlsv11": true, "force-tlsv12": true, "force-tlsv13": true,
	"stick": true, "curves": true, "sigalgs": true,
	"client-sigalgs": true, "shard": true,
	"init-state": true, "guid": true,
}

// parseServerLine parses `server <name> <addr> [options]`.
func (p *parser) parseServerLine(px *Proxy, a []string) {
	if len(a) < 2 {
		p.alert("'server' expects <name> and <addr>[:<port>] as arguments.")
		return
	}
	name := a[0]
	if ch := badNameChar(name); ch != 0 {
		p.alert("character '" + string(ch) + "' is not permitted in server name '" + name + "'.")
		return
	}
	p.kw = "server " + px.Name + "/" + name
	addr, msg := parseServerAddr(a[1])
	if msg != "" {
		p.alert(msg)
		return
	}
	s := p.newServer(px, name, addr)
	if !p.parseServerOptions(s, a[2:]) || !p.finishAgent(s) {
		return
	}
	p.addServer(px, s)
}

// parseServerTemplate parses `server-template <prefix> <num|low-high>
// <addr> [options]`: it makes servers <prefix><n> that share the options.
func (p *parser) parseServerTemplate(px *Proxy, a []string) {
	if len(a) < 3 {
		p.alert("'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments.")
		return
	}
	prefix := a[0]
	lo, hi, ok := parseTemplateRange(a[1])
	if !ok {
		p.alert("Wrong server-template number or range arg '" + a[1] + "'.")
		return
	}
	if ch := badNameChar(prefix); ch != 0 {
		p.alert("character '" + string(ch) + "' is not permitted in server-template prefix '" + prefix + "'.")
		return
	}
	p.kw = "server-template " + px.Name + "/" + prefix
	addr, msg := parseServerAddr(a[2])
	if msg != "" {
		p.alert(msg)
		return
	}
	tmpl := p.newServer(px, "", addr)
	if !p.parseServerOptions(tmpl, a[3:]) || !p.finishAgent(tmpl) {
		return
	}
	for n := lo; n <= hi; n++ {
		s := *tmpl
		s.InitAddr = slices.Clone(tmpl.InitAddr)
		s.Name = prefix + itoa(n)
		s.Template = prefix
		p.addServer(px, &s)
	}
}

// parseTemplateRange reads "<num>" (1..num) or "<low>-<high>".
func parseTemplateRange(s string) (lo, hi int, ok bool) {
	if i := strings.IndexByte(s, '-'); i > 0 {
		if !isInteger(s[:i]) || !isInteger(s[i+1:]) {
			return 0, 0, false
		}
		lo, hi = int(atoi(s[:i])), int(atoi(s[i+1:]))
		return lo, hi, lo >= 0 && hi >= lo && hi-lo < 1<<16
	}
	if !isInteger(s) {
		return 0, 0, false
	}
	n := int(atoi(s))
	return 1, n, n > 0 && n <= 1<<16
}

// parseDefaultServer parses `default-server [options]`.
func (p *parser) parseDefaultServer(px *Proxy, a []string) {
	p.kw = "default-server"
	s := px.DefaultServer
	s.InitAddr = slices.Clone(s.InitAddr)
	if p.parseServerOptions(&s, a) {
		px.DefaultServer = s
	}
}

// newServer starts a server from the proxy's default-server settings.
func (p *parser) newServer(px *Proxy, name string, addr ServerAddr) *Server {
	s := px.DefaultServer
	s.InitAddr = slices.Clone(s.InitAddr)
	s.Name, s.Addr, s.File, s.Line = name, addr, p.file, p.line
	return &s
}

// addServer appends a server to the backend after checking its name is new.
func (p *parser) addServer(px *Proxy, s *Server) {
	if o := p.servers[s.Name]; o != nil {
		p.alert(describe(px) + ", another server named '" + s.Name + "' was already defined at line " + itoa(o.Line) + ", please use distinct names.")
		return
	}
	px.Servers = append(px.Servers, s)
	p.servers[s.Name] = s
}

// serverKeyword is one entry of the server keyword table: whether it takes
// a value and how it applies to a server. parse returns false after an
// alert.
type serverKeyword struct {
	arg   bool
	parse func(p *parser, s *Server, kw, val string) bool
}

// serverKeywords is the table of server keywords tether implements, for
// server, server-template and default-server lines.
var serverKeywords = map[string]serverKeyword{
	"check":          {false, func(_ *parser, s *Server, _, _ string) bool { s.Check = true; return true }},
	"no-check":       {false, func(_ *parser, s *Server, _, _ string) bool { s.Check = false; return true }},
	"backup":         {false, func(_ *parser, s *Server, _, _ string) bool { s.Backup = true; return true }},
	"no-backup":      {false, func(_ *parser, s *Server, _, _ string) bool { s.Backup = false; return true }},
	"disabled":       {false, func(_ *parser, s *Server, _, _ string) bool { s.Disabled = true; return true }},
	"enabled":        {false, func(_ *parser, s *Server, _, _ string) bool { s.Disabled = false; return true }},
	"inter":          {true, func(p *parser, s *Server, kw, v string) bool { return p.serverDelay(&s.Inter, kw, v, s.Name) }},
	"fastinter":      {true, func(p *parser, s *Server, kw, v string) bool { return p.serverDelay(&s.FastInter, kw, v, s.Name) }},
	"downinter":      {true, func(p *parser, s *Server, kw, v string) bool { return p.serverDelay(&s.DownInter, kw, v, s.Name) }},
	"rise":           {true, func(p *parser, s *Server, kw, v string) bool { return p.serverCount(&s.Rise, kw, v) }},
	"fall":           {true, func(p *parser, s *Server, kw, v string) bool { return p.serverCount(&s.Fall, kw, v) }},
	"maxconn":        {true, func(_ *parser, s *Server, _, v string) bool { s.MaxConn = int(atoi(v)); return true }},
	"maxqueue":       {true, func(_ *parser, s *Server, _, v string) bool { s.MaxQueue = int(atoi(v)); return true }},
	"minconn":        {true, func(_ *parser, s *Server, _, v string) bool { s.MinConn = int(atoi(v)); return true }},
	"port":           {true, (*parser).serverPort},
	"addr":           {true, (*parser).serverAddr},
	"weight":         {true, (*parser).serverWeight},
	"cookie":         {true, (*parser).serverCookie},
	"resolvers":      {true, (*parser).serverResolvers},
	"init-addr":      {true, (*parser).serverInitAddr},
	"resolve-prefer": {true, (*parser).serverPrefer},
	"resolve-opts":   {true, (*parser).serverResolveOpts},
	"resolve-net":    {true, (*parser).serverResolveNet},
	"id":             {true, (*parser).serverID},
	"track":          {true, func(_ *parser, s *Server, _, v string) bool { s.trackit = v; return true }},
	"slowstart":      {true, (*parser).serverSlowstart},
	"observe":        {true, (*parser).serverObserve},
	"error-limit":    {true, (*parser).serverErrorLimit},
	"on-error":       {true, (*parser).serverOnError},
	"on-marked-down": {true, func(p *parser, s *Server, kw, v string) bool {
		return p.serverAction(&s.OnMarkedDown, kw, v, "shutdown-sessions")
	}},
	"on-marked-up": {true, func(p *parser, s *Server, kw, v string) bool {
		return p.serverAction(&s.OnMarkedUp, kw, v, "shutdown-backup-sessions")
	}},
	"send-proxy":          {false, func(_ *parser, s *Server, _, _ string) bool { s.ProxyProto |= ProxyV1; return true }},
	"no-send-proxy":       {false, func(_ *parser, s *Server, _, _ string) bool { s.ProxyProto &^= ProxyV1; return true }},
	"send-proxy-v2":       {false, func(_ *parser, s *Server, _, _ string) bool { s.ProxyProto |= ProxyV2; return true }},
	"no-send-proxy-v2":    {false, func(_ *parser, s *Server, _, _ string) bool { s.ProxyProto &^= ProxyV2; return true }},
	"proxy-v2-options":    {true, (*parser).serverProxyV2Options},
	"check-send-proxy":    {false, func(_ *parser, s *Server, _, _ string) bool { s.CheckSendProxy = true; return true }},
	"no-check-send-proxy": {false, func(_ *parser, s *Server, _, _ string) bool { s.CheckSendProxy = false; return true }},
	"source":              {true, (*parser).serverSource},
	"usesrc":              {true, (*parser).serverUsesrc},
	"pool-max-conn":       {true, (*parser).serverPoolMaxConn},
	"pool-purge-delay":    {true, (*parser).serverPoolPurgeDelay},
	"pool-low-conn": {true, func(p *parser, s *Server, kw, v string) bool {
		return p.serverInt(&s.PoolLowConn, kw, v)
	}},
	"max-reuse": {true, func(p *parser, s *Server, kw, v string) bool {
		return p.serverInt(&s.MaxReuse, kw, v)
	}},
}

// parseServerOptions applies server keywords to s. It returns false after
// an alert.
func (p *parser) parseServerOptions(s *Server, a []string) bool {
	for i := 0; i < len(a); i++ {
		kw := a[i]
		if i >= 2 && afterSource(a[:i]) && (kw == "usesrc" || kw == "interface") {
			p.sourceOption(kw, at(a, i+1))
			return false
		}
		k, ok := serverKeywords[kw]
		if !ok {
			k, ok = agentKeywords[kw]
		}
		if !ok {
			if unsupportedServer[kw] {
				p.notSupported("server keyword '" + kw + "'")
				return false
			}
			p.alert("unknown keyword '" + kw + "'.")
			return false
		}
		val := ""
		if k.arg {
			val = at(a, i+1)
			i++
		}
		if !k.parse(p, s, kw, val) {
			return false
		}
	}
	return true
}

func (p *parser) serverCount(dst *int, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects an integer argument.")
		return false
	}
	n := atoi(val)
	if n <= 0 {
		p.alert("'" + kw + "' has to be > 0.")
		return false
	}
	*dst = int(n)
	return true
}

// serverInt reads a server keyword's integer as HAProxy's atoi does: any
// text is accepted, its leading digits make the value.
func (p *parser) serverInt(dst *int, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects <value> as argument.")
		return false
	}
	*dst = int(atoi(val))
	return true
}

func (p *parser) serverPoolMaxConn(s *Server, kw, val string) bool {
	if !p.serverInt(&s.PoolMaxConn, kw, val) {
		return false
	}
	if s.PoolMaxConn < -1 {
		p.alert("'" + kw + "' must be >= -1.")
		return false
	}
	return true
}

func (p *parser) serverPoolPurgeDelay(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects <value> as argument.")
		return false
	}
	n, trailing, terr := parseTime(val, time.Millisecond)
	switch {
	case terr != nil && terr.overflow:
		p.alert("timer overflow in argument '" + val + "' to '" + kw + "' (maximum value is 2147483647 ms or ~24.8 days).")
		return false
	case terr != nil:
		p.alert("unexpected character '" + string(terr.bad) + "' in argument to <" + kw + ">.")
		return false
	}
	if trailing {
		p.warnTrailing(val)
	}
	s.PoolPurgeDelay = time.Duration(n) * time.Millisecond
	return true
}

func (p *parser) serverPort(s *Server, _, val string) bool {
	n, ok := parsePort(val)
	if !ok {
		p.alert("'port' expects a valid port number (1-65535) as argument.")
		return false
	}
	s.CheckPort = n
	return true
}

func (p *parser) serverAddr(s *Server, _, val string) bool {
	ip, err := netip.ParseAddr(val)
	if err != nil {
		p.alert("'addr' : invalid address: '" + val + "' in '" + val + "'.")
		return false
	}
	s.CheckAddr = ip.Unmap()
	return true
}

func (p *parser) serverWeight(s *Server, _, val string) bool {
	w := atoi(val)
	if w < 0 || w > 256 {
		p.alert("weight of server " + s.Name + " is not within 0 and 256 (" + val + ").")
		return false
	}
	s.Weight = int(w)
	return true
}

func (p *parser) serverCookie(s *Server, _, val string) bool {
	if val == "" {
		p.alert("'cookie' expects <value> as argument.")
		return false
	}
	s.Cookie, s.CookieSet = val, true
	return true
}

func (p *parser) serverResolvers(s *Server, _, val string) bool {
	if val == "" {
		p.alert("'resolvers' expects <resolvers_id> as argument.")
		return false
	}
	s.resolvers = val
	return true
}

func (p *parser) serverInitAddr(s *Server, _, val string) bool {
	ia, msg := parseInitAddr(val)
	if msg != "" {
		p.alert("'init-addr' : " + msg)
		return false
	}
	s.InitAddr = ia
	return true
}

func (p *parser) serverPrefer(s *Server, _, val string) bool {
	switch val {
	case "ipv4":
		s.Prefer = NetTCP4
	case "ipv6":
		s.Prefer = NetTCP6
	default:
		p.alert("'resolve-prefer' expects either ipv4 or ipv6 as argument.")
		return false
	}
	return true
}

// maxResolveNets is how many networks `resolve-net` lines may give a server.
const maxResolveNets = 5

// serverResolveOpts reads `resolve-opts` options, comma-separated.
func (p *parser) serverResolveOpts(s *Server, kw, val string) bool {
	for _, o := range strings.Split(val, ",") {
		switch o {
		case "allow-dup-ip":
			s.AllowDup = true
		case "prevent-dup-ip":
			s.AllowDup = false
		case "ignore-weight":
			s.NoWeight = true
		default:
			p.alert("'" + kw + "' : unknown resolve-opts option '" + o + "', supported methods are 'allow-dup-ip', 'ignore-weight', and 'prevent-dup-ip'.")
			return false
		}
	}
	return true
}

// serverResolveNet adds `resolve-net` networks (IPv4 with a mask or a
// prefix length, IPv6 with a prefix length) to the server's.
func (p *parser) serverResolveNet(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects a list of networks.")
		return false
	}
	nets := slices.Clip(s.Nets)
	for _, n := range strings.Split(val, ",") {
		if len(nets) >= maxResolveNets {
			p.alert("'" + kw + "' exceed " + itoa(maxResolveNets) + " networks.")
			return false
		}
		pfx, ok := parseNet(n)
		if !ok {
			p.alert("'" + kw + "' invalid network '" + n + "'.")
			return false
		}
		nets = append(nets, pfx)
	}
	s.Nets = nets
	return true
}

// parseNet reads a network: an address with a prefix length, an IPv4
// address with a dotted mask, or a lone address (a host).
func parseNet(v string) (netip.Prefix, bool) {
	addr, bits, hasBits := strings.Cut(v, "/")
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	if !hasBits {
		return netip.PrefixFrom(ip, ip.BitLen()), true
	}
	if isInteger(bits) {
		pfx, err := ip.Prefix(int(atoi(bits)))
		return pfx, err == nil && atoi(bits) <= int64(ip.BitLen())
	}
	mask, err := netip.ParseAddr(bits)
	if err != nil || !ip.Is4() || !mask.Is4() {
		return netip.Prefix{}, false
	}
	m := mask.As4()
	ones := 0
	for _, b := range m {
		for i := 7; i >= 0; i-- {
			if b&(1<<i) != 0 {
				ones++
			}
		}
	}
	pfx, err := ip.Prefix(ones)
	return pfx, err == nil
}

// serverDelay reads a check interval in milliseconds into dst.
func (p *parser) serverDelay(dst *time.Duration, kw, val, server string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects a delay as argument.")
		return false
	}
	n, trailing, terr := parseTime(val, time.Millisecond)
	switch {
	case terr != nil && terr.overflow:
		p.alert("timer overflow in argument '" + val + "' to '" + kw + "' of server " + server + ", maximum value is 2147483647 ms (~24.8 days).")
		return false
	case terr != nil:
		p.alert("unexpected character '" + string(terr.bad) + "' in '" + kw + "' argument of server " + server + ".")
		return false
	case n == 0:
		p.alert("invalid value 0 for argument '" + kw + "' of server " + server + ".")
		return false
	}
	if trailing {
		p.warnTrailing(val)
	}
	*dst = time.Duration(n) * time.Millisecond
	return true
}

// serverObserve reads `observe none|layer4|layer7`.
func (p *parser) serverObserve(s *Server, kw, val string) bool {
	switch val {
	case "":
		p.alert("'" + kw + "' expects <mode> as argument.")
		return false
	case "none":
		s.Observe = ObserveNone
	case "layer4":
		s.Observe = ObserveLayer4
	case "layer7":
		s.Observe = ObserveLayer7
	default:
		p.alert("'" + kw + "' expects one of 'none', 'layer4', 'layer7' but got '" + val + "'.")
		return false
	}
	return true
}

// serverErrorLimit reads `error-limit <count>`.
func (p *parser) serverErrorLimit(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects an integer argument.")
		return false
	}
	n := atoi(val)
	if n <= 0 {
		p.alert(kw + " has to be > 0.")
		return false
	}
	s.ErrorLimit = int(n)
	return true
}

// serverOnError reads `on-error fastinter|fail-check|sudden-death|mark-down`.
func (p *parser) serverOnError(s *Server, kw, val string) bool {
	switch val {
	case "fastinter":
		s.OnError = OnErrorFastinter
	case "fail-check":
		s.OnError = OnErrorFailCheck
	case "sudden-death":
		s.OnError = OnErrorSuddenDeath
	case "mark-down":
		s.OnError = OnErrorMarkDown
	default:
		p.alert("'" + kw + "' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got '" + val + "'.")
		return false
	}
	return true
}

// serverAction reads the one action on-marked-down and on-marked-up take.
func (p *parser) serverAction(dst *bool, kw, val, action string) bool {
	if val != action {
		p.alert("'" + kw + "' expects '" + action + "' but got '" + val + "'.")
		return false
	}
	*dst = true
	return true
}

// serverSlowstart reads `slowstart <time>` (milliseconds by default), kept
// in whole seconds rounded up, as HAProxy keeps it; 0 turns it off.
func (p *parser) serverSlowstart(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects a delay as argument.")
		return false
	}
	n, trailing, terr := parseTime(val, time.Millisecond)
	switch {
	case terr != nil && terr.overflow:
		p.alert("overflow in argument <" + val + "> to <" + kw + "> of server " + s.Name + ", maximum value is 2147483647 ms (~24.8 days).")
		return false
	case terr != nil && terr.underflow:
		p.alert("underflow in argument <" + val + "> to <" + kw + "> of server " + s.Name + ", minimum non-null value is 1 ms.")
		return false
	case terr != nil:
		p.alert("unexpected character '" + string(terr.bad) + "' in '" + kw + "' argument of server " + s.Name + ".")
		return false
	}
	if trailing {
		p.warnTrailing(val)
	}
	s.Slowstart = time.Duration((n+999)/1000) * time.Second
	return true
}

// parseInitAddr reads a comma-separated list of init-addr methods.
func parseInitAddr(val string) ([]InitAddr, string) {
	if val == "" {
		return nil, "missing method(s) as argument."
	}
	var list []InitAddr
	for _, m := range strings.Split(val, ",") {
		switch m {
		case "last":
			list = append(list, InitAddr{Method: InitLast})
		case "libc":
			list = append(list, InitAddr{Method: InitLibc})
		case "none":
			list = append(list, InitAddr{Method: InitNone})
		default:
			ip, err := netip.ParseAddr(m)
			if err != nil {
				return nil, "unknown init-addr method '" + m + "', supported methods are 'libc', 'last', 'none'."
			}
			list = append(list, InitAddr{Method: InitIP, IP: ip.Unmap()})
		}
	}
	return list, ""
}

// serverID parses a server line's `id`: a positive integer (read as atol
// reads it, then as a C int) that no earlier server line of the backend
// fixed. server-template and default-server lines do not take it yet.
func (p *parser) serverID(s *Server, kw, val string) bool {
	if !strings.HasPrefix(p.kw, "server ") {
		p.notSupported("'" + kw + "' on '" + strings.Fields(p.kw)[0] + "'")
		return false
	}
	if val == "" {
		p.alert("'" + kw + "' : expects an integer argument.")
		return false
	}
	id := int(int32(atoi(val)))
	if id <= 0 {
		p.alert("'" + kw + "' : custom id has to be > 0.")
		return false
	}
	for _, o := range p.px.Servers {
		if o.IDSet && o.ID == id {
			p.alert("'" + kw + "' : custom id " + itoa(id) + " already used at " + place(o.File, o.Line) + " ('server " + o.Name + "').")
			return false
		}
	}
	s.ID, s.IDSet = id, true
	return true
}

// numberServers gives the servers of px without an `id` theirs as HAProxy
// does once every line is read: in order, the first identifier not taken by
// an `id`, starting after the position of the server before.
func numberServers(px *Proxy) {
	fixed := make(map[int]bool)
	for _, s := range px.Servers {
		if s.IDSet {
			fixed[s.ID] = true
		}
	}
	next := 1
	for _, s := range px.Servers {
		if !s.IDSet {
			for fixed[next] {
				next++
			}
			s.ID = next
		}
		next++
	}
}

// proxyV2Options maps the `proxy-v2-options` tether implements to their
// bits; the TLS ones (ssl, cert-cn, cert-key, cert-sig, ssl-cipher) are
// refused, since tether's clients have no TLS to describe.
var proxyV2Options = map[string]ProxyProto{
	"authority": ProxyV2Authority,
	"crc32c":    ProxyV2CRC32C,
	"unique-id": ProxyV2UniqueID,
}

// serverProxyV2Options reads `proxy-v2-options <opt>[,<opt>...]`, adding
// to the options the server has.
func (p *parser) serverProxyV2Options(s *Server, _, val string) bool {
	pp := s.ProxyProto
	for _, o := range strings.Split(val, ",") {
		bit, ok := proxyV2Options[o]
		switch {
		case ok:
			pp |= bit
		case o == "ssl" || o == "cert-cn" || o == "cert-key" || o == "cert-sig" || o == "ssl-cipher":
			p.notSupported("proxy v2 option '" + o + "' (TLS)")
			return false
		default:
			p.alert("'" + o + "' : proxy v2 option not implemented.")
			return false
		}
	}
	s.ProxyProto = pp
	return true
}

// serverSource reads `source <addr>[:<port>]` (see parseSource). A port
// range, which HAProxy takes on a server line, is refused.
func (p *parser) serverSource(s *Server, kw, val string) bool {
	if val == "" {
		p.alert("'" + kw + "' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument.")
		return false
	}
	ap, msg := parseSource(val, true)
	if msg != "" {
		p.alert("'" + kw + " " + val + "' : " + msg)
		return false
	}
	s.Source = ap
	return true
}

// serverUsesrc refuses `usesrc` away from a `source` (parseServerOptions
// deals with it after one).
func (p *parser) serverUsesrc(*Server, string, string) bool {
	p.alert("'usesrc' only allowed after a 'source' statement.")
	return false
}

// afterSource reports whether the words a of a server line end with a
// `source <addr>` and any `usesrc` or `interface` options after it, so
// that the next word may be another such option.
func afterSource(a []string) bool {
	for len(a) >= 2 {
		switch a[len(a)-2] {
		case "source":
			return true
		case "usesrc", "interface":
			a = a[:len(a)-2]
		default:
			return false
		}
	}
	return false
}

// sourceOption refuses the `usesrc` and `interface` options of a `source`:
// binding to the client's or another foreign address (transparent
// proxying) and to a device need privileges tether does not take.
func (p *parser) sourceOption(opt, val string) {
	switch {
	case opt == "usesrc" && val == "":
		p.alert("'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument.")
	case opt == "interface" && val == "":
		p.alert("'interface' : missing interface name.")
	case opt == "usesrc":
		p.notSupported("'usesrc' on 'source' (transparent proxying)")
	default:
		p.notSupported("'interface' on 'source'")
	}
}

// parseSource reads the address of a `source`: "[ipv4@|ipv6@]<host>[:<port>]"
// with host an IP literal, or "*" or nothing for any address (of IPv4, or of
// IPv6 with ipv6@), and port 0 or none for any port. A port range is
// refused, as HAProxy refuses it where it is not permitted (a backend's
// `source`) and tether does not implement it (a server's); so are names
// and unix sockets. It returns the alert message on failure.
func parseSource(s string, rangeOK bool) (netip.AddrPort, string) {
	pfx, rest, bad, ok := splitPrefix(s)
	if !ok {
		return netip.AddrPort{}, "address family '" + bad + "' is not supported yet by tether"
	}
	if pfx == prefixUnix || pfx == prefixNone && strings.HasPrefix(rest, "/") {
		return netip.AddrPort{}, "a unix socket as source address is not supported by tether"
	}
	host, port, hasPort := splitHostPort(rest) // "::1" is ":" on port 1, as for HAProxy
	n := 0
	switch {
	case !hasPort || port == "" || port == "0":
	case strings.Contains(port, "-") && rangeOK:
		return netip.AddrPort{}, "port ranges are not supported yet by tether in '" + s + "'"
	case strings.Contains(port, "-"):
		return netip.AddrPort{}, "port range not permitted here in '" + s + "'"
	default:
		if n, ok = parsePort(port); !ok {
			return netip.AddrPort{}, "invalid port '" + port + "'"
		}
	}
	var ip netip.Addr
	switch {
	case host == "" || host == "*":
		ip = netip.IPv4Unspecified()
		if pfx == prefixIPv6 {
			ip = netip.IPv6Unspecified()
		}
	default:
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" || pfx == prefixIPv4 && !a.Unmap().Is4() || pfx == prefixIPv6 && a.Is4() {
			return netip.AddrPort{}, "invalid address: '" + host + "' in '" + s + "'"
		}
		ip = a.Unmap()
	}
	return netip.AddrPortFrom(ip, uint16(n)), ""
}
