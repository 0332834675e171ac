package config

import (
	"net/netip"
	"strings"
	"time"
)

// Defaults of a resolvers section (HAProxy 2.6 §5.3.2).
const (
	defaultPayloadSize = 512
	defaultResRetries  = 3
	defaultResTimeout  = time.Second
	defaultHoldValid   = 10 * time.Second
	defaultHoldOther   = 30 * time.Second
)

// newResolvers returns a resolvers section with HAProxy's defaults.
func newResolvers(name string) *Resolvers {
	return &Resolvers{
		Name:                name,
		AcceptedPayloadSize: defaultPayloadSize,
		ResolveRetries:      defaultResRetries,
		TimeoutResolve:      defaultResTimeout,
		TimeoutRetry:        defaultResTimeout,
		Hold: Hold{
			NX: defaultHoldOther, Refused: defaultHoldOther, Timeout: defaultHoldOther,
			Other: defaultHoldOther, Valid: defaultHoldValid,
		},
	}
}

// startResolvers opens a resolvers section.
func (p *parser) startResolvers(words []string) {
	a := args(words[1:])
	if len(a) == 0 {
		p.alert("missing name for resolvers section.")
		p.sect = sectSkipped
		return
	}
	name := a[0]
	if ch := badNameChar(name); ch != 0 {
		p.alert("character '" + string(ch) + "' is not permitted in 'resolvers' name '" + name + "'.")
		p.sect = sectSkipped
		return
	}
	for _, o := range p.cfg.Resolvers {
		if o.Name == name {
			p.alert("resolvers '" + name + "' has same name as another resolvers (declared at " + place(o.File, o.Line) + ").")
			p.sect = sectSkipped
			return
		}
	}
	r := newResolvers(name)
	r.File, r.Line = p.file, p.line
	p.cfg.Resolvers = append(p.cfg.Resolvers, r)
	p.res = r
	p.sect = sectResolvers
	p.sectionName = name
	p.sectionDesc = "resolvers '" + name + "'"
}

// parseResolvers parses one line of a resolvers section.
func (p *parser) parseResolvers(words []string) {
	r := p.res
	kw := words[0]
	p.kw = kw
	a := args(words[1:])
	switch kw {
	case "nameserver":
		if len(a) < 2 {
			p.alert("'nameserver' expects <name> and <addr>[:<port>] as arguments.")
			return
		}
		for _, o := range r.Nameservers {
			if o.Name == a[0] {
				p.alert("nameserver '" + a[0] + "' has same name as another nameserver.")
				return
			}
		}
		addr, tcp := a[1], false
		if strings.HasPrefix(addr, "tcp@") {
			addr, tcp = addr[4:], true
		} else if strings.HasPrefix(addr, "udp@") {
			addr = addr[4:]
		}
		host, port, hasPort := splitHostPort(addr)
		if !hasPort {
			p.alert("missing port specification in '" + a[1] + "'")
			return
		}
		n, ok := parsePort(port)
		ip, err := netip.ParseAddr(host)
		if !ok || err != nil {
			p.alert("invalid address: '" + a[1] + "'")
			return
		}
		r.Nameservers = append(r.Nameservers, Nameserver{Name: a[0], Addr: netip.AddrPortFrom(ip.Unmap(), uint16(n)), TCP: tcp})
	case "parse-resolv-conf":
		r.ParseResolvConf = true
	case "accepted_payload_size":
		n := atoi(at(a, 0))
		if n < 12 || n > 65535 {
			p.alert("'accepted_payload_size' must be between 12 and 65535 inclusive (was " + at(a, 0) + ").")
			return
		}
		r.AcceptedPayloadSize = int(n)
	case "resolve_retries":
		if len(a) == 0 {
			p.alert("'resolve_retries' expects <nb> as argument.")
			return
		}
		r.ResolveRetries = int(atoi(a[0]))
	case "timeout":
		which := at(a, 0)
		if (which != "resolve" && which != "retry") || len(a) < 2 {
			p.alert("'timeout' expects 'retry' or 'resolve' and <time> as arguments got '" + which + "'.")
			return
		}
		p.kw = "timeout " + which
		d, ok := p.resolverTime("timeout "+which, a[1])
		if !ok {
			return
		}
		if which == "resolve" {
			r.TimeoutResolve = d
		} else {
			r.TimeoutRetry = d
		}
	case "hold":
		var field *time.Duration
		switch at(a, 0) {
		case "nx":
			field = &r.Hold.NX
		case "refused":
			field = &r.Hold.Refused
		case "timeout":
			field = &r.Hold.Timeout
		case "other":
			field = &r.Hold.Other
		case "valid":
			field = &r.Hold.Valid
		case "obsolete":
			field = &r.Hold.Obsolete
		default:
			p.alert("'hold' unknown <event>: '" + at(a, 0) + "', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'.")
			return
		}
		if len(a) < 2 {
			p.alert("'hold' expects <event> and <time> as arguments.")
			return
		}
		d, ok := p.resolverTime("hold "+a[0], a[1])
		if !ok {
			return
		}
		*field = d
	default:
		p.alert("unknown keyword '" + kw + "' in 'resolvers' section")
	}
}

// resolverTime reads a duration in milliseconds for a resolvers keyword.
func (p *parser) resolverTime(kw, val string) (time.Duration, bool) {
	n, trailing, terr := parseTime(val, time.Millisecond)
	if terr != nil {
		if terr.overflow {
			p.alert("timer overflow in argument <" + val + "> to <" + kw + ">, maximum value is 2147483647 ms (~24.8 days).")
		} else {
			p.alert("unexpected character '" + string(terr.bad) + "' in argument to <" + kw + ">.")
		}
		return 0, false
	}
	if trailing {
		p.warnTrailing(val)
	}
	return time.Duration(n) * time.Millisecond, true
}
