package config

// TCPRule is a `tcp-request connection accept|reject [if|unless <cond>]`
// line: evaluated on each connection a frontend accepts, in order, before
// anything is read; the first that holds decides, and a connection no
// rule decides is accepted. Only the client's address is known then.
type TCPRule struct {
	Accept bool
	Cond   *Cond // nil: always
}

// tcpConnActions lists the actions HAProxy 2.6 knows after `tcp-request
// connection`, as its message names them.
const tcpConnActions = "'accept', 'reject', 'capture', 'expect-proxy', 'expect-netscaler-cip', " +
	"'track-sc0' ... 'track-sc2', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', " +
	"'sc-set-gpt0(*)', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', " +
	"'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop'"

// parseTCPRequest parses `tcp-request connection accept|reject [if|unless
// <cond>]`; the other rule sets and actions are refused as not supported.
func (p *parser) parseTCPRequest(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("missing argument for 'tcp-request' in " + proxyType(px) + " '" + px.Name + "'")
		return
	}
	if a[0] != "connection" {
		p.notSupported("'tcp-request " + a[0] + "'")
		return
	}
	if px.Cap&CapFrontend == 0 {
		p.alert("tcp-request connection is not allowed because " + proxyType(px) + " " + px.Name + " is not a frontend")
		return
	}
	act := ""
	if len(a) > 1 {
		act = a[1]
	}
	if act != "accept" && act != "reject" {
		if act != "" && knownAction(tcpConnActions, act) || act == "track-sc0" || act == "track-sc1" || act == "track-sc2" {
			p.notSupported("'tcp-request connection " + act + "'")
			return
		}
		p.alert("'tcp-request connection' expects " + tcpConnActions + " in " + proxyType(px) + " '" + px.Name + "' (got '" + act + "').")
		return
	}
	ru := TCPRule{Accept: act == "accept"}
	if rest := a[2:]; len(rest) > 0 {
		if rest[0] != "if" && rest[0] != "unless" {
			p.alert("'tcp-request connection " + act + "' only accepts 'if' or 'unless', in " + proxyType(px) + " '" + px.Name + "' (got '" + rest[0] + "')")
			return
		}
		if ru.Cond = p.parseCond(rest, "'tcp-request connection' rule"); ru.Cond == nil {
			return
		}
		p.warnConnCond(px, ru.Cond)
	}
	px.TCPConnRules = append(px.TCPConnRules, ru)
}

// warnConnCond warns, with HAProxy's messages, about the ACLs of a
// tcp-request connection condition that can never match: all but src.
func (p *parser) warnConnCond(px *Proxy, c *Cond) {
	where := proxyType(px) + " tcp-request connection rule"
	for _, s := range c.Suites {
		for _, t := range s {
			if t.ACL.Name == "" {
				if e := t.ACL.Exprs[0]; e.Fetch != FetchSrc && e.Fetch != FetchConst {
					p.warn("anonymous acl will never match in 'tcp-request connection' because it uses keyword '" + e.Keyword + "' which is incompatible with '" + where + "'")
				}
				continue
			}
			all := true
			for _, e := range t.ACL.Exprs {
				all = all && e.Fetch != FetchSrc && e.Fetch != FetchConst
			}
			if all {
				p.warn("acl '" + t.ACL.Name + "' will never match in 'tcp-request connection' because it only involves keywords that are incompatible with '" + where + "'")
			}
		}
	}
}
