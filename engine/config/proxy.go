package config

import (
	"strings"
	"time"
)

// proxyKeyword is one entry of the proxy keyword table: the sections that
// accept it and its parser, which receives the arguments after the keyword.
type proxyKeyword struct {
	caps  Cap // CapDefaults, CapFrontend, CapBackend: where the keyword applies
	parse func(p *parser, px *Proxy, a []string)
}

// proxyKeywords is the table of proxy keywords tether implements.
var proxyKeywords map[string]proxyKeyword

func init() {
	all := CapDefaults | CapFrontend | CapBackend
	proxyKeywords = map[string]proxyKeyword{
		"mode":                  {all, (*parser).parseMode},
		"bind":                  {CapFrontend, (*parser).parseBind},
		"default_backend":       {CapDefaults | CapFrontend, (*parser).parseDefaultBackend},
		"use_backend":           {CapFrontend, (*parser).parseUseBackend},
		"balance":               {CapDefaults | CapBackend, (*parser).parseBalance},
		"hash-type":             {CapDefaults | CapBackend, (*parser).parseHashType},
		"hash-balance-factor":   {all, (*parser).parseHashBalanceFactor}, // no warning in a frontend, as HAProxy
		"cookie":                {CapDefaults | CapBackend, (*parser).parseCookie},
		"dynamic-cookie-key":    {CapDefaults | CapBackend, (*parser).parseDynamicCookieKey},
		"option":                {all, (*parser).parseOption},
		"http-check":            {CapDefaults | CapBackend, (*parser).parseHTTPCheck},
		"tcp-check":             {CapDefaults | CapBackend, (*parser).parseTCPCheck},
		"retries":               {CapDefaults | CapBackend, (*parser).parseRetries},
		"http-reuse":            {CapDefaults | CapBackend, (*parser).parseHTTPReuse},
		"retry-on":              {all, (*parser).parseRetryOn}, // a frontend is refused by its parser, as HAProxy does
		"timeout":               {all, (*parser).parseTimeout},
		"maxconn":               {CapDefaults | CapFrontend, (*parser).parseMaxConn},
		"fullconn":              {CapDefaults | CapBackend, (*parser).parseFullConn},
		"max-keep-alive-queue":  {all, (*parser).parseMaxKAQueue},
		"id":                    {CapFrontend | CapBackend, (*parser).parseProxyID},
		"description":           {CapFrontend | CapBackend, (*parser).parseDescription},
		"capture":               {CapFrontend, (*parser).parseCapture},
		"monitor-uri":           {CapFrontend | CapDefaults, (*parser).parseMonitorURI},
		"server":                {CapBackend, (*parser).parseServerLine},
		"server-template":       {CapBackend, (*parser).parseServerTemplate},
		"default-server":        {CapDefaults | CapBackend, (*parser).parseDefaultServer},
		"force-persist":         {CapBackend, (*parser).parsePersistRule},
		"ignore-persist":        {CapBackend, (*parser).parsePersistRule},
		"use-server":            {CapBackend, (*parser).parseUseServer},
		"acl":                   {CapFrontend | CapBackend, (*parser).parseACL},
		"log":                   {all, (*parser).parseProxyLog},
		"log-tag":               {all, (*parser).parseProxyLogTag},
		"errorfile":             {all, (*parser).parseErrorFile},
		"errorfiles":            {all, (*parser).parseErrorFiles},
		"http-request":          {all, (*parser).parseHTTPRule},
		"http-response":         {all, (*parser).parseHTTPRule},
		"redirect":              {CapFrontend | CapBackend, (*parser).parseRedirect},
		"stats":                 {all, (*parser).parseStats},
		"http-send-name-header": {all, (*parser).parseSendNameHeader},
		"http-error":            {all, (*parser).parseHTTPError},
		"log-format":            {all, (*parser).parseLogFormatLine},
		"unique-id-format":      {all, (*parser).parseUniqueIDFormat},
		"unique-id-header":      {all, (*parser).parseUniqueIDHeader},
		"tcp-request":           {all, (*parser).parseTCPRequest},
		"errorloc":              {all, func(p *parser, px *Proxy, a []string) { p.parseErrorLoc(px, a, "302 Found") }},
		"errorloc302":           {all, func(p *parser, px *Proxy, a []string) { p.parseErrorLoc(px, a, "302 Found") }},
		"errorloc303":           {all, func(p *parser, px *Proxy, a []string) { p.parseErrorLoc(px, a, "303 See Other") }},
		"source":                {CapDefaults | CapBackend, (*parser).parseSource},
		"usesrc":                {CapDefaults | CapBackend, (*parser).parseUsesrc},
	}
}

// unsupportedProxy lists proxy keywords HAProxy 2.6 knows that tether does
// not implement yet.
var unsupportedProxy = map[string]bool{
	"http-after-response": true,
	"tcp-response":        true, "stick-table": true, "stick": true,
	"compression": true, "monitor": true, "max-session-srv-conns": true,
	"log-format-sd": true, "error-log-format": true,
	"disabled": true, "enabled": true,
	"grace":                  true,
	"rate-limit":             true,
	"server-state-file-name": true, "load-server-state-from-file": true, "email-alert": true,
	"external-check": true, "declare": true, "filter": true,
	"persist": true, "bind-process": true, "backlog": true,
	"dispatch": true, "use-fcgi-app": true,
	"clitcpka-cnt": true, "clitcpka-idle": true, "clitcpka-intvl": true,
	"srvtcpka-cnt": true, "srvtcpka-idle": true, "srvtcpka-intvl": true, "guid": true,
	"transparent": true,
}

// tooMany alerts and returns true when a keyword got more than max
// arguments.
func (p *parser) tooMany(kw string, a []string, max int) bool {
	if len(a) <= max {
		return false
	}
	p.alert("'" + kw + "' cannot handle unexpected argument '" + a[max] + "'.")
	return true
}

// proxyType names a proxy's kind as HAProxy does in messages.
func proxyType(px *Proxy) string {
	switch {
	case px.Cap&CapDefaults != 0:
		return "defaults"
	case px.Cap == CapFrontend|CapBackend:
		return "listen"
	case px.Cap&CapFrontend != 0:
		return "frontend"
	}
	return "backend"
}

// describe returns "backend 'web'" for diagnostics.
func describe(px *Proxy) string {
	if px.Name == "" {
		return proxyType(px)
	}
	return proxyType(px) + " '" + px.Name + "'"
}

// startProxy opens a defaults, frontend, backend or listen section.
func (p *parser) startProxy(words []string) {
	kind := words[0]
	var c Cap
	switch kind {
	case "defaults":
		c = CapDefaults
	case "frontend":
		c = CapFrontend
	case "backend":
		c = CapBackend
	default:
		c = CapFrontend | CapBackend
	}
	a := args(words[1:])
	name := ""
	if len(a) > 0 && a[0] != "from" {
		name, a = a[0], a[1:]
	}
	p.sectionName = kind
	if name != "" {
		p.sectionName = name
	}
	if name == "" && c&CapDefaults == 0 {
		p.alert("'" + kind + "' expects an <id> argument")
		p.sect = sectSkipped
		return
	}
	if c&CapDefaults == 0 {
		if ch := badNameChar(name); ch != 0 {
			p.alert("character '" + string(ch) + "' is not permitted in '" + kind + "' name '" + name + "'.")
			p.sect = sectSkipped
			return
		}
	}
	def, from, ok := p.defaultsFor(kind, name, c, a)
	if !ok {
		p.sect = sectSkipped
		return
	}
	p.checkRuleDefaults(def, c)
	px := inherit(def, c)
	px.Name, px.From, px.File, px.Line = name, from, p.file, p.line
	if c&CapDefaults == 0 {
		for _, o := range p.cfg.Proxies {
			if o.Name == name && o.Cap&c != 0 {
				p.alert(kind + " '" + name + "' has the same name as " + proxyType(o) + " '" + o.Name + "' declared at " + place(o.File, o.Line) + ".")
				break
			}
		}
		p.cfg.Proxies = append(p.cfg.Proxies, px)
	} else {
		p.cfg.Defaults = append(p.cfg.Defaults, px)
		p.lastDefaults = px
	}
	p.px = px
	p.acls = map[string]*ACL{}
	p.servers = map[string]*Server{}
	p.sect = sectProxy
	p.sectionDesc = describe(px)
}

// defaultsFor returns the defaults section a new section inherits from:
// the one named after `from`, or else the latest one (none for a defaults
// section). ok is false when the named section does not exist.
func (p *parser) defaultsFor(kind, name string, c Cap, a []string) (def *Proxy, from string, ok bool) {
	switch {
	case len(a) >= 2 && a[0] == "from":
		from = a[1]
		def = p.findDefaults(from)
		if def == nil {
			p.alert("defaults section '" + from + "' not found for " + kind + " '" + name + "'.")
			return nil, "", false
		}
		if ch := badNameChar(from); ch != 0 {
			p.alert("character '" + string(ch) + "' is not permitted in defaults section name '" + from + "' when designated by its name (section found at " + place(def.File, def.Line) + ").")
		}
		for _, o := range p.cfg.Defaults {
			if o.Name == from && o != def {
				p.alert("ambiguous defaults section name '" + from + "' referenced by " + kind + " '" + name + "' exists at least at " + place(o.File, o.Line) + " and " + place(def.File, def.Line) + ".")
				break
			}
		}
		p.explicitDefs[def] = true
		if len(a) > 2 {
			p.alert("'" + kind + "' cannot handle unexpected argument '" + a[2] + "'.")
		}
	case len(a) > 0:
		p.alert("'" + kind + "' cannot handle unexpected argument '" + a[0] + "'.")
	case c&CapDefaults == 0 && p.lastDefaults != nil:
		def = p.lastDefaults
		p.implicitDefs[def] = true
	}
	// HAProxy prints this as an alert but does not fail on it.
	if def != nil && c&CapDefaults == 0 && p.explicitDefs[def] && p.implicitDefs[def] && def.Name != "" {
		p.warn("defaults section '" + def.Name + "' (declared at " + place(def.File, def.Line) +
			") is explicitly referenced by another proxy and implicitly used here. To avoid any ambiguity don't mix both usage. Add a last defaults section not explicitly used or always use explicit references.")
	}
	return def, from, true
}

// findDefaults returns the latest defaults section named name.
func (p *parser) findDefaults(name string) *Proxy {
	for i := len(p.cfg.Defaults) - 1; i >= 0; i-- {
		if p.cfg.Defaults[i].Name == name {
			return p.cfg.Defaults[i]
		}
	}
	return nil
}

// parseProxy parses one line of a proxy section.
func (p *parser) parseProxy(words []string) {
	px := p.px
	kw := words[0]
	inv := false
	if kw == "no" && len(words) > 1 {
		inv, kw, words = true, words[1], words[1:]
	}
	p.kw = kw
	k, ok := proxyKeywords[kw]
	if !ok {
		if unsupportedProxy[kw] {
			p.notSupported("'" + kw + "'")
			return
		}
		p.alert("unknown keyword '" + kw + "' in '" + proxyType(px) + "' section")
		return
	}
	if inv && kw != "option" && kw != "log" {
		p.alert("'no' is not supported on '" + kw + "'")
		return
	}
	if px.Cap&CapDefaults != 0 && k.caps&CapDefaults == 0 {
		name := kw
		if a := args(words[1:]); kw == "capture" && len(a) > 0 && (a[0] == "cookie" || a[0] == "request" || a[0] == "response") {
			name += " " + a[0] // HAProxy names the capture's kind
		}
		p.alert("'" + name + "' not allowed in 'defaults' section.")
		return
	}
	p.warnCap(px, k.caps, kw)
	p.no = inv
	k.parse(p, px, args(words[1:]))
}

// warnCap warns when a keyword applies only to a side (frontend or backend)
// the proxy does not have. As in HAProxy, the line is still parsed, so its
// errors are still reported, and the setting is ignored by the engine.
func (p *parser) warnCap(px *Proxy, caps Cap, what string) {
	if px.Cap&CapDefaults != 0 || px.Cap&caps != 0 {
		return
	}
	side := "backend"
	if caps&CapFrontend != 0 {
		side = "frontend"
	}
	msg := "'" + what + "' ignored because " + describe(px) + " has no " + side + " capability."
	if what == "maxconn" {
		msg += " Maybe you want 'fullconn' instead ?"
	}
	p.warn(msg)
}

func (p *parser) parseMode(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'mode' expects one of 'http', 'tcp' or 'health'.")
		return
	}
	if p.tooMany("mode", a, 1) {
		return
	}
	switch a[0] {
	case "http":
		px.Mode = ModeHTTP
	case "tcp":
		px.Mode = ModeTCP // refused by checkProxy once the section is complete
	case "health":
		p.notSupported("'mode health'")
	default:
		p.alert("unknown proxy mode '" + a[0] + "'.")
	}
}

func (p *parser) parseBind(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'bind' expects {<path>|[addr1]:port1[-end1]}{,[addr]:port[-end]}... as arguments.")
		return
	}
	v6only, acceptProxy := false, false
	for _, o := range a[1:] {
		switch o {
		case "v6only":
			v6only = true
		case "v4v6":
			v6only = false
		case "accept-proxy":
			acceptProxy = true
		default:
			p.notSupported("'" + o + "' on 'bind'")
			return
		}
	}
	for _, one := range strings.Split(a[0], ",") {
		la, msg := parseListenAddr(one, false)
		if msg != "" {
			p.alert(msg)
			return
		}
		la.V6Only, la.AcceptProxy = v6only, acceptProxy
		px.Binds = append(px.Binds, Bind{ListenAddr: la, File: p.file, Line: p.line})
	}
}

func (p *parser) parseDefaultBackend(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'default_backend' expects a backend name.")
		return
	}
	if p.tooMany("default_backend", a, 1) {
		return
	}
	px.defaultBackend = a[0]
}

func (p *parser) parseRetries(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'retries' expects an integer argument (dispatch counts for one).")
		return
	}
	if p.tooMany("retries", a, 1) {
		return
	}
	px.Retries = int(atoi(a[0]))
}

// httpReuseModes maps the `http-reuse` arguments to their modes.
var httpReuseModes = map[string]HTTPReuse{
	"never": ReuseNever, "safe": ReuseSafe, "aggressive": ReuseAggressive, "always": ReuseAlways,
}

// parseHTTPReuse parses `http-reuse never|safe|aggressive|always`.
func (p *parser) parseHTTPReuse(px *Proxy, a []string) {
	m, ok := httpReuseModes[at(a, 0)]
	if !ok {
		p.alert("'http-reuse' only supports 'never', 'safe', 'aggressive', 'always'.")
		return
	}
	if p.tooMany("http-reuse "+a[0], a, 1) {
		return
	}
	px.HTTPReuse = m
}

func (p *parser) parseMaxConn(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'maxconn' expects an integer argument.")
		return
	}
	if p.tooMany("maxconn", a, 1) {
		return
	}
	px.MaxConn = int(atoi(a[0]))
}

// parseProxyID reads `id <n>`, the proxy's number in the runtime API.
func (p *parser) parseProxyID(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'id' expects an integer argument.")
		return
	}
	n := atoi(a[0])
	if n <= 0 {
		p.alert("custom id has to be > 0.")
		return
	}
	if p.tooMany("id", a, 1) {
		return
	}
	for _, o := range p.cfg.Proxies {
		if o != px && o.IDSet && o.ID == int(n) {
			p.alert(describe(px) + " reuses same custom id as " + describe(o) + " (declared at " + o.File + ":" + itoa(o.IDLine) + ").")
			return
		}
	}
	px.ID, px.IDSet, px.IDLine = int(n), true, p.line
}

// parseDescription reads `description <text>`.
func (p *parser) parseDescription(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'description' expects a string argument.")
		return
	}
	px.Description = strings.Join(a, " ")
}

// parseFullConn reads `fullconn <n>`: the backend load at which servers
// with a `minconn` reach their maxconn.
func (p *parser) parseFullConn(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'fullconn' expects an integer argument.")
		return
	}
	if p.tooMany("fullconn", a, 1) {
		return
	}
	px.FullConn = int(atoi(a[0]))
}

func (p *parser) parseCapture(px *Proxy, a []string) {
	if len(a) >= 2 && (a[0] == "request" || a[0] == "response") && a[1] == "header" {
		p.parseCaptureHeader(px, a)
		return
	}
	if len(a) == 0 || a[0] != "cookie" {
		p.alert("'capture' expects 'cookie' or 'request header' or 'response header'.")
		return
	}
	if len(a) < 4 || a[2] != "len" {
		p.alert("'capture' expects 'cookie' <cookie_name> 'len' <len>.")
		return
	}
	if px.CaptureCookie.Name != "" && px.Cap&CapDefaults == 0 {
		p.warn("'capture cookie' : overriding previous 'capture cookie'.")
	}
	px.CaptureCookie = CaptureCookie{Name: a[1], Len: int(min(atoi(a[3]), 64))}
	if px.CaptureCookie.Len <= 0 {
		px.CaptureCookie = CaptureCookie{}
		p.alert("'capture cookie' expects a positive length.")
	}
}

// parseMonitorURI parses `monitor-uri <uri>`; the last one counts.
func (p *parser) parseMonitorURI(px *Proxy, a []string) {
	if len(a) == 0 || a[0] == "" {
		p.alert("'monitor-uri' expects an URI.")
		return
	}
	if !p.tooMany("monitor-uri", a, 1) {
		px.MonitorURI = a[0]
	}
}

// parseCaptureHeader parses `capture request header <name> len <length>`
// and `capture response header ...`. As in HAProxy, the length is read as
// atol reads it: "x" is 0, which captures an empty value.
func (p *parser) parseCaptureHeader(px *Proxy, a []string) {
	kw := "capture " + a[0]
	if len(a) < 5 || a[2] == "" || a[3] != "len" || a[4] == "" {
		p.alert("'" + kw + "' expects 'header' <header_name> 'len' <len>.")
		return
	}
	if p.tooMany(kw, a, 5) {
		return
	}
	c := CaptureHeader{Name: a[2], Len: int(max(atoi(a[4]), 0))}
	if a[0] == "request" {
		px.CaptureRequest = append(px.CaptureRequest, c)
	} else {
		px.CaptureResponse = append(px.CaptureResponse, c)
	}
}

func (p *parser) parseProxyLog(px *Proxy, a []string) {
	if p.no {
		px.Logs = nil
		return
	}
	if t, ok := p.parseLog(a, true); ok {
		px.Logs = append(px.Logs, t)
	}
}

// timeoutKeywords maps a timeout name to the side it applies to and its
// place in Timeouts.
var timeoutKeywords = map[string]struct {
	caps  Cap
	field func(*Timeouts) *time.Duration
}{
	"client":          {CapFrontend, func(t *Timeouts) *time.Duration { return &t.Client }},
	"server":          {CapBackend, func(t *Timeouts) *time.Duration { return &t.Server }},
	"connect":         {CapBackend, func(t *Timeouts) *time.Duration { return &t.Connect }},
	"http-request":    {CapFrontend | CapBackend, func(t *Timeouts) *time.Duration { return &t.HTTPRequest }},
	"http-keep-alive": {CapFrontend | CapBackend, func(t *Timeouts) *time.Duration { return &t.HTTPKeepAlive }},
	"queue":           {CapBackend, func(t *Timeouts) *time.Duration { return &t.Queue }},
	"tunnel":          {CapBackend, func(t *Timeouts) *time.Duration { return &t.Tunnel }},
	"check":           {CapBackend, func(t *Timeouts) *time.Duration { return &t.Check }},
	"tarpit":          {CapFrontend | CapBackend, func(t *Timeouts) *time.Duration { return &t.Tarpit }},
	"client-fin":      {CapFrontend, func(t *Timeouts) *time.Duration { return &t.ClientFin }},
	"server-fin":      {CapBackend, func(t *Timeouts) *time.Duration { return &t.ServerFin }},
}

func (p *parser) parseTimeout(px *Proxy, a []string) {
	name := ""
	if len(a) > 0 {
		name = a[0]
	}
	k, ok := timeoutKeywords[name]
	if !ok {
		p.alert("'timeout' supports 'client', 'server', 'connect', 'check', 'queue', 'http-keep-alive', 'http-request', 'tunnel', 'tarpit', 'client-fin' and 'server-fin' (got '" + name + "')")
		return
	}
	p.kw = "timeout " + name
	if len(a) < 2 {
		p.alert("'timeout " + name + "' expects an integer value (in milliseconds)")
		return
	}
	n, trailing, terr := parseTime(a[1], time.Millisecond)
	if terr != nil {
		switch {
		case terr.overflow:
			p.alert("timer overflow in argument '" + a[1] + "' to 'timeout " + name + "' (maximum value is 2147483647 ms or ~24.8 days)")
		case terr.underflow:
			p.alert("timer underflow in argument '" + a[1] + "' to 'timeout " + name + "' (minimum non-null value is 1 ms)")
		default:
			p.alert("unexpected character '" + string(terr.bad) + "' in 'timeout " + name + "'")
		}
		return
	}
	if len(a) > 2 {
		p.alert("'timeout " + name + "' : unexpected extra argument '" + a[2] + "' after value '" + a[1] + "'.")
		return
	}
	if trailing {
		p.warnTrailing(a[1])
	}
	if px.Cap&CapDefaults == 0 && px.Cap&k.caps == 0 {
		side := "backend"
		if k.caps&CapFrontend != 0 {
			side = "frontend"
		}
		p.warn("'timeout " + name + "' will be ignored because " + describe(px) + " has no " + side + " capability")
	}
	*k.field(&px.Timeouts) = time.Duration(n) * time.Millisecond
}

// parseSource parses `source <addr>[:<port>]`: the local address of the
// connections to servers without a `source` of their own. Its `usesrc` and
// `interface` options are refused (see sourceOption).
func (p *parser) parseSource(px *Proxy, a []string) {
	if len(a) == 0 || a[0] == "" {
		p.alert("'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>.")
		return
	}
	ap, msg := parseSource(a[0], false)
	if msg != "" {
		p.alert("'source " + a[0] + "' : " + msg)
		return
	}
	if len(a) > 1 {
		if a[1] != "usesrc" && a[1] != "interface" {
			p.alert("'source' only supports optional keywords 'interface' and 'usesrc'.")
		} else {
			p.sourceOption(a[1], at(a, 2))
		}
		return
	}
	px.Source = ap
}

// parseUsesrc refuses `usesrc` away from a `source`, as HAProxy does.
func (p *parser) parseUsesrc(*Proxy, []string) {
	p.alert("'usesrc' only allowed after a 'source' statement.")
}

// parseSendNameHeader parses `http-send-name-header <name>`: each attempt
// of a request carries the name of the server it goes to in that field
// (its others are removed). Further arguments are ignored, as by HAProxy.
func (p *parser) parseSendNameHeader(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'http-send-name-header' requires a header string.")
		return
	}
	p.warnCap(px, CapBackend, "http-send-name-header")
	px.SendNameHeader = a[0]
}
