package config

import (
	"net/netip"
	"strings"
)

// unsupportedOptions lists options HAProxy 2.6 knows that tether does not
// implement yet.
var unsupportedOptions = map[string]bool{
	"accept-invalid-http-request": true, "accept-invalid-http-response": true, "http-buffer-request": true,
	"http-use-proxy-header": true, "independent-streams": true,
	"ldap-check":  true,
	"mysql-check": true, "nolinger": true,
	"socket-stats":  true,
	"spop-check":    true,
	"ssl-hello-chk": true,
	"tcplog":        true, "transparent": true,
	"disable-h2-upgrade": true, "h1-case-adjust-bogus-client": true,
	"h1-case-adjust-bogus-server": true, "external-check": true, "idle-close-on-response": true,
	"http_proxy": true, "httpslog": true,
}

// noEffect are options whose effect tether always has or never needs, with
// the sides they apply to: TCP_DEFER_ACCEPT and delayed connects, sending
// without delay (tether never holds data back), splicing (a tunnel is
// spliced anyway) and counting as transfers go (tether always does). They
// are checked as HAProxy checks them and change nothing. abortonclose is
// one of them: haproxy 2.6 serves a complete HTTP/1 request waiting in a
// queue whose client shut its side, or closed, with the option as without
// it (TestAbortOnCloseHAProxyDifferential), and so does tether.
var noEffect = map[string]Cap{
	"abortonclose":     CapBackend,
	"tcp-smart-accept": CapFrontend, "tcp-smart-connect": CapBackend, "http-no-delay": CapFrontend | CapBackend,
	"splice-auto": CapFrontend | CapBackend, "splice-request": CapFrontend | CapBackend,
	"splice-response": CapFrontend | CapBackend, "contstats": CapFrontend,
}

// parseOption parses `[no] option <name> [args]`.
func (p *parser) parseOption(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'option' expects an option name.")
		return
	}
	name := a[0]
	p.kw = "option " + name
	o := &px.Options
	on := !p.no
	if p.no && (name == "forwardfor" || name == "httpchk" || name == "httplog" || name == "originalto" || name == "http-restrict-req-hdr-names" ||
		name == "tcp-check" || name == "redis-check" || name == "smtpchk" || name == "pgsql-check") {
		p.alert("negation/default is not supported for option '" + name + "'.")
		return
	}
	maxArgs := map[string]int{"redispatch": 1, "persist": 0, "http-keep-alive": 0, "http-server-close": 0,
		"httpclose": 0, "dontlognull": 0, "dontlog-normal": 0, "log-separate-errors": 0, "checkcache": 0, "allbackups": 0, "prefer-last-server": 0, "http-ignore-probes": 0, "logasap": 0, "http-pretend-keepalive": 0}
	if _, ok := noEffect[name]; ok {
		maxArgs[name] = 0
	}
	switch name {
	case "tcpka", "clitcpka", "srvtcpka":
		maxArgs[name] = 0
	}
	if n, ok := maxArgs[name]; ok && p.tooMany("option "+name, a[1:], n) {
		return
	}
	switch name {
	case "redispatch":
		p.warnCap(px, CapBackend, "redispatch")
		o.Redispatch = on
		o.RedispatchInterval = -1
		if on && len(a) > 1 {
			o.RedispatchInterval = int(atoi(a[1]))
			if o.RedispatchInterval == 0 {
				o.Redispatch = false
			}
		}
	case "persist":
		p.warnCap(px, CapBackend, "persist")
		o.Persist = on
	case "forwardfor":
		p.parseForwardFor(px, a[1:])
	case "originalto":
		p.parseOriginalTo(px, a[1:])
	case "http-keep-alive", "http-server-close", "httpclose":
		mode := map[string]ConnMode{"http-keep-alive": KeepAlive, "http-server-close": ServerClose, "httpclose": Close}[name]
		switch {
		case on:
			o.ConnMode = mode
		case o.ConnMode == mode:
			o.ConnMode = KeepAlive
		}
	case "httplog":
		if px.Cap&CapDefaults == 0 && px.Cap&CapFrontend == 0 {
			p.warn(describe(px) + " : 'option httplog' directive is ignored in backends.")
		}
		if len(a) > 1 && a[1] != "clf" {
			p.alert("keyword 'httplog' only supports option 'clf'.")
			return
		}
		o.HTTPLog, o.HTTPLogCLF = true, len(a) > 1
		px.LogFormat = nil // the last line setting the format wins
	case "dontlognull":
		p.warnCap(px, CapFrontend, "dontlognull")
		o.DontLogNull = on
	case "dontlog-normal":
		p.warnCap(px, CapFrontend, "dontlog-normal")
		o.DontLogNormal = on
	case "log-separate-errors":
		p.warnCap(px, CapFrontend, "log-separate-errors")
		o.LogSeparateErrors = on
	case "log-health-checks":
		p.warnCap(px, CapBackend, "log-health-checks")
		o.LogHealthChecks = on
	case "http-ignore-probes":
		p.warnCap(px, CapFrontend, "http-ignore-probes")
		o.IgnoreProbes = on
	case "httpchk":
		p.warnCap(px, CapBackend, "httpchk")
		o.HTTPChk = HTTPChk{Enabled: true, Method: defaultChkMethod, URI: defaultChkURI, Version: defaultChkVer}
		o.TCPChk.Kind = TCPChkNone
		switch a = a[1:]; len(a) {
		case 0:
		case 1:
			o.HTTPChk.URI = a[0]
		default:
			o.HTTPChk.Method, o.HTTPChk.URI = a[0], a[1]
			if len(a) > 2 {
				o.HTTPChk.Version = a[2]
			}
			p.tooMany("option httpchk", a, 3)
		}
	case "tcp-check", "redis-check":
		p.parseCheckOption(px, name, a[1:])
	case "smtpchk":
		p.parseSMTPChk(px, a[1:])
	case "pgsql-check":
		p.parsePgSQLChk(px, a[1:])
	case "tcpka":
		o.CliTCPKA, o.SrvTCPKA = on, on
	case "clitcpka":
		p.warnCap(px, CapFrontend, "clitcpka")
		o.CliTCPKA = on
	case "srvtcpka":
		p.warnCap(px, CapBackend, "srvtcpka")
		o.SrvTCPKA = on
	case "checkcache":
		p.warnCap(px, CapBackend, "checkcache")
		o.CheckCache = on
	case "allbackups":
		p.warnCap(px, CapBackend, "allbackups")
		o.AllBackups = on
	case "prefer-last-server":
		p.warnCap(px, CapBackend, "prefer-last-server")
		o.PreferLast = on
	case "http-restrict-req-hdr-names":
		policy := map[string]HdrNames{"preserve": HdrNamesPreserve, "delete": HdrNamesDelete, "reject": HdrNamesReject}
		switch {
		case len(a) < 2:
			p.alert("missing parameter. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.")
		case len(a) > 2:
			p.alert("'option' cannot handle unexpected argument '" + a[2] + "'.")
		default:
			v, ok := policy[a[1]]
			if !ok {
				p.alert("invalid parameter '" + a[1] + "'. option 'http-restrict-req-hdr-names' expects 'preserve', 'reject' or 'delete' option.")
				return
			}
			o.HdrNames = v
		}
	case "http-pretend-keepalive":
		p.warnCap(px, CapBackend, "http-pretend-keepalive")
		o.PretendKeepAlive = on
	case "logasap":
		p.warnCap(px, CapFrontend, "logasap")
		o.LogASAP = on
	default:
		if caps, ok := noEffect[name]; ok {
			p.warnCap(px, caps, name)
			return
		}
		if unsupportedOptions[name] {
			p.notSupported("'option " + name + "'")
			return
		}
		p.kw = "option"
		p.alert("unknown option '" + name + "'.")
	}
}

// parseForwardFor parses the arguments of `option forwardfor`.
func (p *parser) parseForwardFor(px *Proxy, a []string) {
	f := &px.Options.ForwardFor
	*f = ForwardFor{Enabled: true, Header: defaultXFFHeader}
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case "except":
			if i+1 >= len(a) {
				p.alert("'option forwardfor' : 'except' expects <address>[/mask] as argument.")
				return
			}
			pfx, ok := parsePrefix(a[i+1])
			if !ok {
				p.alert("'option forwardfor' : invalid address: '" + a[i+1] + "'.")
				return
			}
			f.Except = pfx
			i++
		case "header":
			if i+1 >= len(a) {
				p.alert("'option forwardfor' : 'header' expects <header_name> as argument.")
				return
			}
			f.Header = a[i+1]
			i++
		case "if-none":
			f.IfNone = true
		default:
			p.alert("'option forwardfor' only supports optional values 'except', 'header' and 'if-none'.")
			return
		}
	}
}

// parseOriginalTo parses `option originalto [except <net>] [header
// <name>]`.
func (p *parser) parseOriginalTo(px *Proxy, a []string) {
	f := &px.Options.OriginalTo
	*f = OriginalTo{Enabled: true, Header: "X-Original-To"}
	for i := 0; i < len(a); i++ {
		switch a[i] {
		case "except":
			pfx, ok := netip.Prefix{}, false
			if i+1 < len(a) {
				pfx, ok = parsePrefix(a[i+1])
			}
			if !ok {
				p.alert("'option originalto except' expects <address>[/mask] as argument.")
				return
			}
			f.Except = pfx
			i++
		case "header":
			if i+1 >= len(a) {
				p.alert("'option originalto header' expects <header_name> as argument.")
				return
			}
			f.Header = a[i+1]
			i++
		default:
			p.alert("'option originalto' only supports optional values: 'except' and 'header'.")
			return
		}
	}
}

// parsePrefix reads an address or a network in CIDR or address/mask form.
func parsePrefix(s string) (netip.Prefix, bool) {
	if i := strings.IndexByte(s, '/'); i >= 0 {
		if pfx, err := netip.ParsePrefix(s); err == nil {
			if a := pfx.Addr(); a.Is4In6() && pfx.Bits() >= 96 {
				pfx = netip.PrefixFrom(a.Unmap(), pfx.Bits()-96)
			}
			return pfx.Masked(), true
		}
		ip, err1 := netip.ParseAddr(s[:i])
		mask, err2 := netip.ParseAddr(s[i+1:])
		if err1 != nil || err2 != nil || !ip.Is4() || !mask.Is4() {
			return netip.Prefix{}, false
		}
		bits, ok := maskBits(mask.As4())
		if !ok {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(ip, bits).Masked(), true
	}
	ip, err := netip.ParseAddr(s)
	if err != nil || ip.Zone() != "" {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), true
}

// maskBits converts a contiguous dotted netmask into a prefix length.
func maskBits(m [4]byte) (int, bool) {
	v := uint32(m[0])<<24 | uint32(m[1])<<16 | uint32(m[2])<<8 | uint32(m[3])
	bits := 0
	for v&0x80000000 != 0 {
		bits++
		v <<= 1
	}
	return bits, v == 0
}
