package config

import (
	"regexp"
	"strings"
)

// `http-request` and `http-response` rules edit the header fields of a
// request or a response, or answer in the proxy's place, in the order they
// are declared: a named defaults section's first, then the frontend's, then
// the backend's for requests; the backend's, then the frontend's for
// responses. tether implements the header actions, allow and deny; the
// other actions HAProxy 2.6 knows are refused as not supported yet.

// RuleAction is what an http-request or http-response rule does.
type RuleAction uint8

const (
	// RuleAddHeader appends a field named Name whose value is Value.
	RuleAddHeader RuleAction = iota
	// RuleSetHeader removes the fields named Name, then appends one whose
	// value is Value, evaluated before the removal.
	RuleSetHeader
	// RuleDelHeader removes the fields whose name matches Name by Match.
	RuleDelHeader
	// RuleAllow stops the evaluation of the section's rules.
	RuleAllow
	// RuleDeny answers with the proxy's reply for Status.
	RuleDeny
	// RuleRedirect answers with a redirect (Redirect).
	RuleRedirect
	// RuleReplaceHeader replaces the value of each field named Name that
	// Regexp matches with Value, its \N referring to the match's groups.
	RuleReplaceHeader
	// RuleReplaceValue is RuleReplaceHeader on each comma-separated value.
	RuleReplaceValue
	// RuleSetPath sets the request's path (the query stays).
	RuleSetPath
	// RuleSetPathQ sets the request's path and query.
	RuleSetPathQ
	// RuleSetQuery sets the request's query (a '?' stays).
	RuleSetQuery
	// RuleSetURI sets the request target.
	RuleSetURI
	// RuleReplacePath replaces the request's path as RuleReplaceHeader
	// replaces a value.
	RuleReplacePath
	// RuleReplacePathQ replaces the request's path and query so.
	RuleReplacePathQ
	// RuleReplaceURI replaces the request target so.
	RuleReplaceURI
	// RuleSetStatus sets the response's status, and its reason when Value
	// is not nil.
	RuleSetStatus
	// RuleReturn answers with Return.
	RuleReturn
	// RuleReject closes the connection without an answer.
	RuleReject
	// RuleSilentDrop closes the connection without an answer either.
	RuleSilentDrop
	// RuleTarpit holds the request for timeout tarpit, then answers with
	// the proxy's reply for Status.
	RuleTarpit
	// RuleCapture keeps the sample Value[0] in the request capture slot
	// Status of the frontend (%hr), cut at the slot's length.
	RuleCapture
	// RuleDisableL7Retry keeps the request from layer 7 retries
	// (retry-on); connection failures are still retried.
	RuleDisableL7Retry
	// RuleSetVar sets the variable Var to the sample Value[0], unless the
	// sample has nothing to give (set-var).
	RuleSetVar
	// RuleSetVarFmt sets the variable Var to the format Value.
	RuleSetVarFmt
	// RuleUnsetVar removes the variable Var.
	RuleUnsetVar
)

// HTTPRule is one http-request or http-response rule. It is immutable and
// safe for concurrent use.
type HTTPRule struct {
	Action   RuleAction
	Name     string         // the header name (add, set, del-header)
	Value    Format         // the field's value (add, set)
	Var      VarRef         // set-var, set-var-fmt, unset-var
	Match    MatchKind      // how del-header compares names: MatchStr, Beg, End, Sub or Reg
	Regexp   *regexp.Regexp // del-header -m reg
	Status   int            // deny: the status of the reply
	Redirect *Redirect      // redirect
	Return   *Return        // return
	Cond     *Cond          // nil: always
	File     string
	Line     int
}

// Holds reports whether the rule applies to r.
func (ru *HTTPRule) Holds(r Request) bool { return ru.Cond == nil || ru.Cond.Eval(r) }

// MatchName reports whether a field name is one del-header removes: names
// compare without regard to ASCII case; -m reg matches the name in lower
// case.
func (ru *HTTPRule) MatchName(name []byte) bool {
	n := ru.Name
	switch ru.Match {
	case MatchBeg:
		return len(name) >= len(n) && equalFold(name[:len(n)], n)
	case MatchEnd:
		return len(name) >= len(n) && equalFold(name[len(name)-len(n):], n)
	case MatchSub:
		for i := 0; i+len(n) <= len(name); i++ {
			if equalFold(name[i:i+len(n)], n) {
				return true
			}
		}
		return false
	case MatchReg:
		// HAProxy keeps field names in lower case: the expression sees
		// them so.
		var buf [128]byte
		low := buf[:0]
		if len(name) > len(buf) {
			low = make([]byte, 0, len(name))
		}
		for _, c := range name {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			low = append(low, c)
		}
		return ru.Regexp.Match(low)
	}
	return equalFold(name, n)
}

// ruleActions lists the actions HAProxy 2.6 accepts after http-request, in
// the order its message names them; (*) marks those taking a parenthesized
// argument.
const ruleActions = "'wait-for-handshake', 'ot-group', 'set-log-level', 'set-nice', 'use-service', " +
	"'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', 'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', " +
	"'send-spoe-group', 'do-resolve(*)', 'cache-use', 'add-acl(*)', 'add-header', 'allow', 'auth', " +
	"'capture', 'del-acl(*)', 'del-header', 'del-map(*)', 'deny', 'disable-l7-retry', 'early-hint', " +
	"'normalize-uri', 'redirect', 'reject', 'replace-header', 'replace-path', 'replace-pathq', " +
	"'replace-uri', 'replace-value', 'return', 'set-header', 'set-map(*)', 'set-method', 'set-path', " +
	"'set-pathq', 'set-query', 'set-uri', 'strict-mode', 'tarpit', 'track-sc(*)', 'set-timeout', " +
	"'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)', 'set-dst', 'set-dst-port', " +
	"'set-mark', 'set-src', 'set-src-port', 'set-tos', 'silent-drop', 'set-priority-class', " +
	"'set-priority-offset'"

// responseActions is the same list for http-response.
const responseActions = "'set-log-level', 'set-nice', 'sc-inc-gpc(*)', 'sc-inc-gpc0(*)', " +
	"'sc-inc-gpc1(*)', 'sc-set-gpt(*)', 'sc-set-gpt0(*)', 'send-spoe-group', 'cache-store', " +
	"'add-acl(*)', 'add-header', 'allow', 'capture', 'del-acl(*)', 'del-header', 'del-map(*)', " +
	"'deny', 'redirect', 'replace-header', 'replace-value', 'return', 'set-header', 'set-map(*)', " +
	"'set-status', 'strict-mode', 'track-sc(*)', 'wait-for-body', 'set-var-fmt(*)', 'set-var(*)', " +
	"'unset-var(*)', 'set-mark', 'set-tos', 'silent-drop'"

// knownAction reports whether HAProxy 2.6 knows act in the list.
func knownAction(list, act string) bool {
	if i := strings.IndexByte(act, '('); i > 0 {
		act = act[:i] + "(*)"
	}
	if strings.HasPrefix(act, "track-sc") {
		act = "track-sc(*)"
	}
	return strings.Contains(list, "'"+act+"'")
}

// parseHTTPRule parses `http-request <action> ...` and `http-response
// <action> ...`.
func (p *parser) parseHTTPRule(px *Proxy, a []string) {
	kw := p.kw
	resp := kw == "http-response"
	if px.Cap&CapDefaults != 0 && px.Name == "" {
		p.alert("'" + kw + "' not allowed in anonymous 'defaults' section.")
		return
	}
	list := ruleActions
	if resp {
		list = responseActions
	}
	if len(a) == 0 {
		p.alert("'" + kw + "' expects " + list + ", but got '' (missing argument).")
		return
	}
	act := a[0]
	what := "'" + kw + " " + act + "'"
	fail := func(msg string) {
		if after, ok := strings.CutPrefix(msg, "!"); ok { // a message of its own, after the rule's name
			p.alert(what + after)
			return
		}
		p.alert("error detected in " + proxyType(px) + " '" + px.Name + "' while parsing " + what + " rule : " + msg)
	}
	ru := &HTTPRule{File: p.file, Line: p.line}
	rest := a[1:]
	if isVarAction(act) {
		var msg string
		if rest, msg = parseVarRule(ru, act, rest, resp); msg != "" {
			fail(msg)
			return
		}
		act = ""
	}
	switch act {
	case "":
	case "add-header", "set-header":
		ru.Action = RuleAddHeader
		if act == "set-header" {
			ru.Action = RuleSetHeader
		}
		n := 0
		for n < len(rest) && rest[n] != "if" && rest[n] != "unless" {
			n++
		}
		if n < 2 {
			fail("expects exactly 2 arguments.")
			return
		}
		f, msg := parseFormat(rest[1], resp)
		if msg != "" {
			fail(msg)
			return
		}
		ru.Name, ru.Value, rest = rest[0], f, rest[2:]
	case "del-header":
		ru.Action = RuleDelHeader
		if len(rest) == 0 || rest[0] == "if" || rest[0] == "unless" {
			fail("expects at least 1 argument.")
			return
		}
		ru.Name, rest = rest[0], rest[1:]
		if len(rest) > 0 && rest[0] == "-m" {
			if len(rest) < 2 {
				fail("-m with unsupported matching method ''.")
				return
			}
			switch rest[1] {
			case "str":
				ru.Match = MatchStr
			case "beg":
				ru.Match = MatchBeg
			case "end":
				ru.Match = MatchEnd
			case "sub":
				ru.Match = MatchSub
			case "reg":
				re, err := regexp.Compile(ru.Name)
				if err != nil {
					fail("regex '" + ru.Name + "' is invalid: " + err.Error())
					return
				}
				ru.Match, ru.Regexp = MatchReg, re
			default:
				fail("-m with unsupported matching method '" + rest[1] + "'.")
				return
			}
			rest = rest[2:]
		}
	case "replace-header", "replace-value", "replace-path", "replace-pathq", "replace-uri",
		"set-path", "set-pathq", "set-query", "set-uri", "set-status":
		if !knownAction(list, act) {
			p.alert("'" + kw + "' expects " + list + ", but got '" + act + "'.")
			return
		}
		var msg string
		if rest, msg = p.parseRewrite(ru, act, rest, resp); msg != "" {
			fail(msg)
			return
		}
	case "return":
		var msg string
		if rest, msg = p.parseReturn(ru, rest, resp); msg != "" {
			fail(msg)
			return
		}
	case "allow":
		ru.Action = RuleAllow
	case "redirect":
		if resp {
			p.notSupported(what)
			return
		}
		rd, left, msg := parseRedirectWords(rest, true)
		if msg != "" {
			fail(msg)
			return
		}
		ru.Action, ru.Redirect, rest = RuleRedirect, rd, left
	case "capture":
		if resp {
			p.notSupported(what)
			return
		}
		if len(rest) < 3 || rest[1] != "len" && rest[1] != "id" {
			fail("expects <expression> [ 'len' <length> | id <idx> ].")
			return
		}
		if rest[1] == "id" {
			p.notSupported("'id' in " + what)
			return
		}
		n := int(atoi(rest[2]))
		if n <= 0 {
			fail("length must be > 0.")
			return
		}
		if px.Cap&CapFrontend == 0 {
			fail("proxy '" + px.Name + "' has no frontend capability.")
			return
		}
		part, msg := formatFetch(rest[0], false)
		if msg != "" {
			fail(msg)
			return
		}
		ru.Action, ru.Value, ru.Status = RuleCapture, Format{part}, len(px.CaptureRequest)
		px.CaptureRequest = append(px.CaptureRequest, CaptureHeader{Len: n}) // a slot no field fills
		rest = rest[3:]
	case "disable-l7-retry":
		ru.Action = RuleDisableL7Retry
	case "reject", "silent-drop":
		if !knownAction(list, act) {
			p.alert("'" + kw + "' expects " + list + ", but got '" + act + "'.")
			return
		}
		ru.Action = RuleReject
		if act == "silent-drop" {
			ru.Action = RuleSilentDrop
		}
	case "deny", "tarpit":
		if !knownAction(list, act) {
			p.alert("'" + kw + "' expects " + list + ", but got '" + act + "'.")
			return
		}
		ru.Action, ru.Status = RuleDeny, 403
		switch {
		case act == "tarpit":
			ru.Action, ru.Status = RuleTarpit, 500
		case resp:
			ru.Status = 502
		}
		for len(rest) > 0 && rest[0] != "if" && rest[0] != "unless" {
			switch rest[0] {
			case "status", "deny_status":
				if len(rest) < 2 {
					fail("missing status code.")
					return
				}
				code := int(int32(atoi(rest[1])))
				if errorSlot(code) < 0 {
					fail("Unexpected status code '" + itoa(code) + "'.")
					return
				}
				ru.Status, rest = code, rest[2:]
			case "content-type", "default-errorfiles", "errorfile", "errorfiles", "file", "lf-file", "string", "lf-string", "hdr":
				p.notSupported("'" + rest[0] + "' on " + what)
				return
			default:
				p.alert(what + " expects either 'if' or 'unless' followed by a condition but found '" + rest[0] + "'.")
				return
			}
		}
	default:
		if knownAction(list, act) {
			p.notSupported(what)
			return
		}
		p.alert("'" + kw + "' expects " + list + ", but got '" + act + "'.")
		return
	}
	if len(rest) > 0 {
		if rest[0] != "if" && rest[0] != "unless" {
			p.alert(what + " expects either 'if' or 'unless' followed by a condition but found '" + rest[0] + "'.")
			return
		}
		if ru.Cond = p.parseCond(rest, what+" rule"); ru.Cond == nil {
			return
		}
		if resp {
			p.warnResponseCond(px, ru.Cond)
		}
	}
	if resp {
		px.HTTPResponse = append(px.HTTPResponse, ru)
		return
	}
	switch {
	case len(px.Redirects) > 0:
		p.warn("a 'http-request' rule placed after a 'redirect' rule will still be processed before.")
	case len(px.UseBackends) > 0:
		p.warn("a 'http-request' rule placed after a 'use_backend' rule will still be processed before.")
	}
	px.HTTPRequest = append(px.HTTPRequest, ru)
}

// requestOnly reports whether e reads what HAProxy no longer has when it
// runs http-response rules: the request's target and fields (hdr() names
// a request field in an ACL). Such an expression never matches there.
func requestOnly(e *Expr) bool {
	switch e.Fetch {
	case FetchPath, FetchURL, FetchURLParam, FetchHdr, FetchCookie:
		return true
	}
	return false
}

// warnResponseCond warns, with HAProxy's messages, about the ACLs of an
// http-response condition that can never match.
func (p *parser) warnResponseCond(px *Proxy, c *Cond) {
	where := proxyType(px) + " http-response header rule"
	for _, s := range c.Suites {
		for _, t := range s {
			if t.ACL.Name == "" {
				if e := t.ACL.Exprs[0]; requestOnly(e) {
					p.warn("anonymous acl will never match because it uses keyword '" + e.Keyword + "' which is incompatible with '" + where + "'")
				}
				continue
			}
			all := true
			for _, e := range t.ACL.Exprs {
				all = all && requestOnly(e)
			}
			if all {
				p.warn("acl '" + t.ACL.Name + "' will never match because it only involves keywords that are incompatible with '" + where + "'")
			}
		}
	}
}

// checkRuleDefaults refuses, as HAProxy does, a proxy with capabilities c
// inheriting the http-request or http-response rules of def when they would
// run twice on one request: in a listen section, or in frontends and
// backends alike.
func (p *parser) checkRuleDefaults(def *Proxy, c Cap) {
	if def == nil || len(def.HTTPRequest)+len(def.HTTPResponse) == 0 || c&CapDefaults != 0 {
		return
	}
	if c == CapFrontend|CapBackend {
		p.alert("a listen section cannot inherit from a defaults section defining TCP/HTTP rules.")
		return
	}
	if p.ruleDefs == nil {
		p.ruleDefs = map[*Proxy]Cap{}
	}
	if seen := p.ruleDefs[def]; seen != 0 && seen != c {
		p.alert("frontends and backends cannot inherit from the same defaults section if it defines TCP/HTTP rules (defaults section at " + place(def.File, def.Line) + ").")
	}
	p.ruleDefs[def] |= c
}
