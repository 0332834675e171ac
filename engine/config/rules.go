package config

import "strings"

// parseACL parses `acl <name> <fetch> [flags] [patterns]`. A name used on
// several lines ORs the lines.
func (p *parser) parseACL(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'acl' expects an ACL name.")
		return
	}
	name := a[0]
	if ch := badNameChar(name); ch != 0 {
		p.alert("character '" + string(ch) + "' is not permitted in acl name '" + name + "'.")
		return
	}
	e, warn, fail := compileExpr(a[1:])
	if fail != "" {
		p.alert("error detected while parsing ACL '" + name + "' : " + fail)
		return
	}
	if warn != "" {
		p.warn(warn)
	}
	acl := p.acls[name]
	if acl == nil {
		acl = &ACL{Name: name}
		p.acls[name] = acl
		px.ACLs = append(px.ACLs, acl)
	}
	acl.Exprs = append(acl.Exprs, e)
}

// parseCond compiles `if|unless <condition>` from a[0]. what names the
// rule in messages ("switching rule", "a 'force-persist' rule"). It returns
// nil after an alert.
func (p *parser) parseCond(a []string, what string) *Cond {
	c := &Cond{Unless: a[0] == "unless", File: p.file, Line: p.line}
	var suite []Term
	neg := false
	for i := 1; i < len(a); i++ {
		w := a[i]
		if len(w) > 1 && w[0] == '!' {
			neg, w = !neg, w[1:] // "!name", and "!{" opening an anonymous ACL
		}
		switch {
		case w == "||" || w == "or":
			if len(suite) > 0 {
				c.Suites = append(c.Suites, suite)
			}
			suite, neg = nil, false
			continue
		case w == "!":
			neg = !neg
			continue
		case w == "{":
			end := i + 1
			for end < len(a) && a[end] != "}" {
				end++
			}
			if end == len(a) {
				p.alert("error detected while parsing " + what + " : missing closing '}' in condition.")
				return nil
			}
			e, warn, fail := compileExpr(a[i+1 : end])
			if fail != "" {
				p.alert("error detected while parsing " + what + " : " + fail)
				return nil
			}
			if warn != "" {
				p.warn(warn)
			}
			suite = append(suite, Term{Neg: neg, ACL: &ACL{Exprs: []*Expr{e}}})
			i, neg = end, false
			continue
		}
		acl := p.lookupACL(w)
		if acl == nil {
			p.alert("error detected while parsing " + what + " : no such ACL : '" + w + "'.")
			return nil
		}
		suite = append(suite, Term{Neg: neg, ACL: acl})
		neg = false
	}
	if len(suite) > 0 {
		c.Suites = append(c.Suites, suite)
	}
	return c
}

// lookupACL finds a named ACL of the current section or a predefined one.
func (p *parser) lookupACL(name string) *ACL {
	if acl := p.acls[name]; acl != nil {
		return acl
	}
	words, ok := predefinedACLs[name]
	if !ok {
		return nil
	}
	e, _, fail := compileExpr(words)
	if fail != "" {
		panic("BUG: predefined ACL " + name + ": " + fail)
	}
	return &ACL{Name: name, Exprs: []*Expr{e}}
}

// ruleCond reads the mandatory `if|unless <cond>` of a rule starting at
// a[i]. It returns nil after an alert.
func (p *parser) ruleCond(a []string, i int, kw, what string) *Cond {
	if i >= len(a) || (a[i] != "if" && a[i] != "unless") {
		p.alert("'" + kw + "' requires either 'if' or 'unless' followed by a condition.")
		return nil
	}
	return p.parseCond(a[i:], what)
}

// parseUseBackend parses `use_backend <name> [if|unless <cond>]`.
func (p *parser) parseUseBackend(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'use_backend' expects a backend name.")
		return
	}
	if strings.Contains(a[0], "%[") {
		p.notSupported("dynamic backend names in 'use_backend'")
		return
	}
	r := UseBackend{name: a[0]}
	if len(a) > 1 {
		if a[1] != "if" && a[1] != "unless" {
			p.alert("'use_backend' expects a condition after the backend name, starting with 'if' or 'unless' (got '" + a[1] + "').")
			return
		}
		r.Cond = p.parseCond(a[1:], "switching rule")
		if r.Cond == nil {
			return
		}
	}
	px.UseBackends = append(px.UseBackends, r)
}

// parseUseServer parses `use-server <name> if|unless <cond>`.
func (p *parser) parseUseServer(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'use-server' expects a server name.")
		return
	}
	c := p.ruleCond(a, 1, "use-server", "switching rule")
	if c == nil {
		return
	}
	px.UseServers = append(px.UseServers, UseServer{name: a[0], line: p.line, Cond: c})
}

// parsePersistRule parses `force-persist|ignore-persist if|unless <cond>`.
func (p *parser) parsePersistRule(px *Proxy, a []string) {
	kw := p.kw
	c := p.ruleCond(a, 0, kw, "a '"+kw+"' rule")
	if c == nil {
		return
	}
	px.PersistRules = append(px.PersistRules, PersistRule{Force: kw == "force-persist", Cond: c})
}
