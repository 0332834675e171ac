package config

import (
	"regexp"
	"regexp/syntax"
	"strings"
)

// parseHTTPCheck parses `http-check disable-on-404|send|expect ...`.
func (p *parser) parseHTTPCheck(px *Proxy, a []string) {
	sub := at(a, 0)
	p.kw = "http-check " + sub
	switch sub {
	case "disable-on-404":
		p.kw = "http-check"
		if !p.tooMany("http-check", a, 1) {
			px.HTTPCheck.DisableOn404 = true
		}
		return
	case "send":
		r, ok := p.parseCheckSend(a[1:])
		if ok {
			p.addCheckRule(px, r)
		}
		return
	case "expect":
		r, ok := p.parseCheckExpect(a[1:])
		if ok {
			p.addCheckRule(px, r)
		}
		return
	case "send-state", "comment", "connect", "set-var", "set-var-fmt", "unset-var":
		p.notSupported("'http-check " + sub + "'")
		return
	}
	if strings.HasPrefix(sub, "set-var") || strings.HasPrefix(sub, "unset-var") {
		p.notSupported("'http-check " + sub + "'")
		return
	}
	p.kw = "http-check"
	p.alert("'http-check' only supports 'disable-on-404', 'send-state', 'comment', 'connect', 'send', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got '" + sub + "'")
}

// addCheckRule appends a rule; the first rule of a backend replaces the
// rules it inherited from defaults.
func (p *parser) addCheckRule(px *Proxy, r CheckRule) {
	if px.HTTPCheck.inherited {
		px.HTTPCheck.Rules, px.HTTPCheck.inherited = nil, false
	}
	px.HTTPCheck.Rules = append(px.HTTPCheck.Rules, r)
}

// parseCheckSend parses the arguments of `http-check send`.
func (p *parser) parseCheckSend(a []string) (CheckRule, bool) {
	r := CheckRule{Kind: CheckSend}
	for i := 0; i < len(a); i++ {
		kw := a[i]
		switch kw {
		case "meth", "uri", "ver", "body":
			if i+1 >= len(a) {
				p.alert("'" + kw + "' expects a string as argument.")
				return r, false
			}
			v := a[i+1]
			switch kw {
			case "meth":
				r.Method = v
			case "uri":
				r.URI = v
			case "ver":
				r.Version = v
			default:
				r.Body = v
			}
			i++
		case "hdr":
			if i+2 >= len(a) {
				p.alert("'hdr' expects <name> and <value> as arguments.")
				return r, false
			}
			r.Headers = append(r.Headers, Header{Name: a[i+1], Value: a[i+2]})
			i += 2
		case "comment", "uri-lf", "body-lf":
			p.notSupported("'http-check send " + kw + "'")
			return r, false
		default:
			p.alert("expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got '" + kw + "' as argument.")
			return r, false
		}
	}
	return r, true
}

// parseCheckExpect parses the arguments of `http-check expect`.
func (p *parser) parseCheckExpect(a []string) (CheckRule, bool) {
	r := CheckRule{Kind: CheckExpect}
	i := 0
	if at(a, 0) == "!" {
		r.Negate, i = true, 1
	}
	kind := at(a, i)
	if strings.HasPrefix(kind, "!") && len(kind) > 1 {
		r.Negate, kind = true, kind[1:]
	}
	switch kind {
	case "status":
		r.Expect = ExpectStatus
	case "rstatus":
		r.Expect = ExpectRStatus
	case "string":
		r.Expect = ExpectString
	case "rstring":
		r.Expect = ExpectRString
	case "min-recv", "string-lf", "hdr", "fhdr", "comment":
		p.notSupported("'http-check expect " + kind + "'")
		return r, false
	default:
		p.alert("'only supports min-recv, [!]string', '[!]rstring', '[!]string-lf', '[!]status', '[!]rstatus', [!]hdr, [!]fhdr or comment but got '" + kind + "' as argument.")
		return r, false
	}
	pat := at(a, i+1)
	if pat == "" {
		p.alert("'" + kind + "' expects a <pattern> as argument.")
		return r, false
	}
	if len(a) > i+2 {
		p.notSupported("'http-check expect' option '" + a[i+2] + "'")
		return r, false
	}
	r.Pattern = pat
	switch r.Expect {
	case ExpectStatus:
		ranges, bad := parseStatusList(pat)
		if bad != 0 {
			p.alert("invalid character '" + string(bad) + "' in the list of status codes.")
			return r, false
		}
		r.Statuses = ranges
	case ExpectRStatus, ExpectRString:
		re, err := regexp.Compile(pat)
		if err != nil {
			p.alert("regex '" + pat + "' is invalid (" + regexpError(err) + ").")
			return r, false
		}
		r.Regexp = re
	}
	return r, true
}

// parseStatusList reads "200", "200-399" or a comma-separated list of
// them. It returns the first unexpected character on failure.
func parseStatusList(s string) ([]StatusRange, byte) {
	var list []StatusRange
	for _, part := range strings.Split(s, ",") {
		lo, hi, found := strings.Cut(part, "-")
		if !found {
			hi = lo
		}
		if bad := trimDigits(lo); bad != "" || lo == "" {
			return nil, firstOr(bad, part)
		}
		if bad := trimDigits(hi); bad != "" || hi == "" {
			return nil, firstOr(bad, part)
		}
		list = append(list, StatusRange{Lo: int(atoi(lo)), Hi: int(atoi(hi))})
	}
	return list, 0
}

// firstOr returns the first byte of s, or of alt when s is empty, or '-'.
func firstOr(s, alt string) byte {
	switch {
	case s != "":
		return s[0]
	case alt != "":
		return alt[0]
	}
	return '-'
}

// regexpError shortens a Go regexp error to its reason.
func regexpError(err error) string {
	if e, ok := err.(*syntax.Error); ok {
		return "error=" + string(e.Code)
	}
	return err.Error()
}
