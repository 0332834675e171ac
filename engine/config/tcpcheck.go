package config

import (
	"encoding/binary"
	"encoding/hex"
	"regexp"
	"strings"
)

// TCPChkKind is the rule set a backend's health checks run when it is a
// tcp-check one: the backend's own `tcp-check` rules, or a protocol's.
type TCPChkKind uint8

const (
	TCPChkNone  TCPChkKind = iota // not a tcp-check: a plain connect or `option httpchk`
	TCPChkRules                   // `option tcp-check`: the `tcp-check` rules
	TCPChkRedis                   // `option redis-check`: PING, expect +PONG
	TCPChkSMTP                    // `option smtpchk`: a greeting, HELO or EHLO, 2xx replies
	TCPChkPgSQL                   // `option pgsql-check`: a startup message, an authentication request
)

// TCPChk is the tcp-check settings of a backend: which rule set its checks
// run (the last check option wins, as in HAProxy) and its `tcp-check`
// rules, kept whatever the option so that a later `option tcp-check` finds
// them. A backend without rules of its own uses those of its defaults.
type TCPChk struct {
	Kind    TCPChkKind
	Rules   *TCPCheckRules // nil without any
	SMTPCmd string         // the command smtpchk sends: "HELO localhost" unless given
	User    string         // the user pgsql-check names
}

// TCPCheckRules are the `tcp-check` lines of one section.
type TCPCheckRules struct {
	List []TCPCheckRule

	owner *Proxy // the section that wrote them; another one starts its own
}

// RuleList returns the rules, none for nil.
func (t *TCPCheckRules) RuleList() []TCPCheckRule {
	if t == nil {
		return nil
	}
	return t.List
}

// TCPCheckAction is what a `tcp-check` rule does.
type TCPCheckAction uint8

const (
	TCPCheckConnect TCPCheckAction = iota // open the check's connection
	TCPCheckSend                          // send bytes
	TCPCheckExpect                        // test what came back
	TCPCheckComment                       // name the rules after it in messages
)

// TCPMatch is how a `tcp-check expect` rule tests the bytes received.
type TCPMatch uint8

const (
	MatchString  TCPMatch = iota // the bytes hold Data
	MatchRString                 // Regexp matches the bytes
	MatchBinary                  // the bytes hold Data (given in hex)
	MatchRBinary                 // Regexp matches the bytes written in upper-case hex
)

// TCPCheckRule is one `tcp-check` line.
type TCPCheckRule struct {
	Action  TCPCheckAction
	Index   int    // the line's place among the backend's rules, from 0: its step is Index+1
	Comment string // `comment`, or the text of a TCPCheckComment

	// TCPCheckConnect.
	Port      int  // `port`; 0 for the server's check port
	SendProxy bool // `send-proxy`: a PROXY header as the server line would send
	Linger    bool // `linger`: close the connection with a FIN, not a reset
	Default   bool // `default`: the server line's check settings apply

	// TCPCheckSend: the bytes. TCPCheckExpect with MatchString or
	// MatchBinary: the bytes looked for.
	Data []byte

	// TCPCheckExpect.
	Match   TCPMatch
	Negate  bool
	Pattern string         // as written
	Regexp  *regexp.Regexp // MatchRString, MatchRBinary
	MinRecv int            // `min-recv`: bytes needed before judging; -1 when unset
	// OKStatus, ErrStatus and ToutStatus are `ok-status`, `error-status`
	// and `tout-status` as HAProxy names statuses ("L7OK", "L4CON"); ""
	// for the defaults (L7OK, L7RSP, L7TOUT).
	OKStatus, ErrStatus, ToutStatus string
	// OnSuccess and OnError are `on-success` and `on-error`: the check's
	// details instead of HAProxy's own words.
	OnSuccess, OnError string
	// ErrorPayload makes a failed check's details the bytes received,
	// and SuccessPayload a passed one's, from PayloadSkip on, leading
	// spaces trimmed with PayloadTrim, up to the first CR or LF with
	// PayloadLine, and up to a NUL byte as HAProxy's C strings end (the
	// on-error and on-success of redis-check, smtpchk and pgsql-check).
	ErrorPayload, SuccessPayload bool
	PayloadSkip                  int
	PayloadTrim, PayloadLine     bool
	// CodeFromPayload makes the check's code the number the first three
	// bytes received spell (smtpchk's status-code).
	CodeFromPayload bool
}

// tcpCheckVerbs lists the `tcp-check` actions HAProxy 2.6 knows, in its
// order of mention.
const tcpCheckVerbs = "'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'."

// parseTCPCheck parses `tcp-check <action> ...`.
func (p *parser) parseTCPCheck(px *Proxy, a []string) {
	sub := at(a, 0)
	p.kw = "tcp-check " + sub
	var r TCPCheckRule
	ok := false
	switch sub {
	case "connect":
		r, ok = p.parseTCPConnect(px, a[1:])
	case "send", "send-binary":
		r, ok = p.parseTCPSend(sub, a[1:])
	case "expect":
		r, ok = p.parseTCPExpect(a[1:])
	case "comment":
		r = TCPCheckRule{Action: TCPCheckComment, Comment: at(a, 1)}
		switch {
		case len(a) < 2:
			p.alert("expects a string as argument.")
		case len(a) > 2:
			p.alert("'" + a[2] + "' : comment doesn't support more than one argument.")
		default:
			ok = true
		}
	case "send-lf", "send-binary-lf":
		p.notSupported("'tcp-check " + sub + "'")
	default:
		if strings.HasPrefix(sub, "set-var") || strings.HasPrefix(sub, "unset-var") {
			p.notSupported("'tcp-check " + sub + "'")
			return
		}
		p.kw = "tcp-check"
		p.alert("'tcp-check' only supports " + tcpCheckVerbs + " but got '" + sub + "'")
	}
	if !ok {
		return
	}
	t := px.Options.TCPChk.Rules
	if t == nil || t.owner != px {
		t = &TCPCheckRules{owner: px}
		px.Options.TCPChk.Rules = t
	}
	r.Index = len(t.List)
	t.List = append(t.List, r)
}

// parseTCPConnect parses the arguments of `tcp-check connect`.
func (p *parser) parseTCPConnect(px *Proxy, a []string) (TCPCheckRule, bool) {
	r := TCPCheckRule{Action: TCPCheckConnect}
	for _, o := range px.Options.TCPChk.Rules.RuleList() {
		if px.Options.TCPChk.Rules.owner != px || o.Action == TCPCheckConnect {
			break
		}
		if o.Action != TCPCheckComment {
			p.alert("first step MUST also be a 'connect', optionally preceded by a 'set-var', an 'unset-var' or a 'comment', when there is a 'connect' step in the tcp-check ruleset.")
			return r, false
		}
	}
	for i := 0; i < len(a); i++ {
		switch kw := a[i]; kw {
		case "default":
			r.Default = true
		case "send-proxy":
			r.SendProxy = true
		case "linger":
			r.Linger = true
		case "port":
			if i+1 >= len(a) {
				p.alert("'port' expects a port number or a sample expression as argument.")
				return r, false
			}
			i++
			if trimDigits(a[i]) != "" {
				p.notSupported("'tcp-check connect port' with a sample expression")
				return r, false
			}
			n := atoi(a[i])
			if n < 1 || n > 65535 {
				p.alert("expects a valid TCP port (from range 1 to 65535) or a sample expression, got " + a[i] + ".")
				return r, false
			}
			r.Port = int(n)
		case "comment":
			if i+1 >= len(a) {
				p.alert("'comment' expects a string as argument.")
				return r, false
			}
			i++
			r.Comment = a[i]
		case "addr", "proto", "ssl", "sni", "alpn", "via-socks4":
			p.notSupported("'tcp-check connect " + kw + "'")
			return r, false
		default:
			p.alert("expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got '" + kw + "' as argument..")
			return r, false
		}
	}
	return r, true
}

// parseTCPSend parses the arguments of `tcp-check send|send-binary`.
func (p *parser) parseTCPSend(verb string, a []string) (TCPCheckRule, bool) {
	r := TCPCheckRule{Action: TCPCheckSend}
	if at(a, 0) == "" {
		// HAProxy 2.6 words it so, its two arguments swapped.
		kind := "string"
		if verb == "send-binary" {
			kind = "binary string"
		}
		p.alert("'" + kind + "' expects a " + verb + " as argument.")
		return r, false
	}
	data := a[0]
	for i := 1; i < len(a); i++ {
		if a[i] != "comment" {
			p.alert("expects 'comment' but got '" + a[i] + "' as argument..")
			return r, false
		}
		if i+1 >= len(a) {
			p.alert("'comment' expects a string as argument..")
			return r, false
		}
		i++
		r.Comment = a[i]
	}
	if verb == "send" {
		r.Data = []byte(data)
		return r, true
	}
	b, msg := parseHex(data)
	if msg != "" {
		p.alert("'" + data + "' invalid binary string (" + msg + ").\n.")
		return r, false
	}
	r.Data = b
	return r, true
}

// parseHex reads a string of hexadecimal digit pairs, or says what is
// wrong with it as HAProxy does.
func parseHex(s string) ([]byte, string) {
	if len(s)%2 != 0 {
		return nil, "an even number of hex digit is expected"
	}
	for i := 0; i < len(s); i++ {
		if !isHexDigit(s[i]) {
			return nil, "an hex digit is expected (found '" + s[i:i+1] + "')"
		}
	}
	b, _ := hex.DecodeString(s)
	return b, ""
}

func isHexDigit(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// tcpExpectOnly is HAProxy 2.6's list of the patterns `tcp-check expect`
// takes, quotes and all.
const tcpExpectOnly = "'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got '"

// parseTCPExpect parses the arguments of `tcp-check expect`.
func (p *parser) parseTCPExpect(a []string) (TCPCheckRule, bool) {
	r := TCPCheckRule{Action: TCPCheckExpect, MinRecv: -1}
	if at(a, 0) == "" {
		p.alert("expects at least a matching pattern as arguments.")
		return r, false
	}
	seen := false
	for i := 0; i < len(a); i++ {
		kw := a[i]
		inPattern := false
		if strings.HasPrefix(kw, "!") {
			inPattern = true
			for strings.HasPrefix(kw, "!") {
				r.Negate = !r.Negate
				kw = kw[1:]
			}
			if kw == "" {
				i++
				kw = at(a, i)
			}
		}
		needArg := func(what string) (string, bool) {
			if i+1 >= len(a) || a[i+1] == "" {
				p.alert("'" + kw + "' expects " + what + " as argument.")
				return "", false
			}
			i++
			return a[i], true
		}
		switch kw {
		case "string", "rstring", "binary", "rbinary":
			if seen {
				p.alert("only on pattern expected.")
				return r, false
			}
			seen = true
			r.Match = map[string]TCPMatch{"string": MatchString, "rstring": MatchRString, "binary": MatchBinary, "rbinary": MatchRBinary}[kw]
			v, ok := needArg("a <pattern>")
			if !ok {
				return r, false
			}
			r.Pattern = v
			continue
		case "string-lf", "binary-lf", "custom":
			p.notSupported("'tcp-check expect " + kw + "'")
			return r, false
		}
		if inPattern {
			p.alert("[!] not supported with '" + kw + "'.")
			return r, false
		}
		switch kw {
		case "min-recv":
			v, ok := needArg("a integer")
			if !ok {
				return r, false
			}
			n := atoi(v)
			if n < -1 || n > 1<<31-1 {
				p.alert("'min-recv' expects -1 or an integer from 0 to INT_MAX.")
				return r, false
			}
			r.MinRecv = int(n)
		case "comment", "on-success", "on-error":
			v, ok := needArg("a string")
			if !ok {
				return r, false
			}
			if kw != "comment" && strings.ContainsRune(v, '%') {
				p.notSupported("a log-format '" + kw + "'")
				return r, false
			}
			switch kw {
			case "comment":
				r.Comment = v
			case "on-success":
				r.OnSuccess = v
			default:
				r.OnError = v
			}
		case "ok-status", "error-status", "tout-status":
			v, ok := needArg("a string")
			if !ok {
				return r, false
			}
			allowed := map[string]string{
				"ok-status":    "'L4OK', 'L6OK', 'L7OK' or 'L7OKC'",
				"error-status": "'L4CON', 'L6RSP', 'L7RSP' or 'L7STS'",
				"tout-status":  "'L4TOUT', 'L6TOUT' or 'L7TOUT'",
			}[kw]
			st := strings.ToUpper(v)
			valid := strings.Contains(allowed, "'"+st+"'") || kw == "error-status" && st == "L7OKC"
			if !valid {
				p.alert("'" + kw + "' only supports " + allowed + " status (got '" + v + "')..")
				return r, false
			}
			if strings.HasPrefix(st, "L6") {
				p.notSupported("'" + kw + " " + v + "' (no TLS checks)")
				return r, false
			}
			switch kw {
			case "ok-status":
				r.OKStatus = st
			case "error-status":
				r.ErrStatus = st
			default:
				r.ToutStatus = st
			}
		case "status-code":
			p.notSupported("'tcp-check expect status-code'")
			return r, false
		default:
			p.alert(tcpExpectOnly + kw + "' as argument..")
			return r, false
		}
	}
	if !seen {
		p.alert("pattern not found.")
		return r, false
	}
	switch r.Match {
	case MatchString:
		r.Data = []byte(r.Pattern)
	case MatchBinary:
		b, msg := parseHex(r.Pattern)
		if msg != "" {
			p.alert("invalid binary string (" + msg + ").")
			return r, false
		}
		r.Data = b
	default:
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			p.alert("regex '" + r.Pattern + "' is invalid (" + regexpError(err) + ").")
			return r, false
		}
		r.Regexp = re
	}
	return r, true
}

// parseCheckOption parses `option tcp-check` and `option redis-check`:
// the backend's checks run that rule set from now on, instead of any
// other check option's.
func (p *parser) parseCheckOption(px *Proxy, name string, a []string) {
	p.warnCap(px, CapBackend, name)
	if p.tooMany("option "+name, a, 0) {
		return
	}
	px.Options.HTTPChk.Enabled = false
	px.Options.TCPChk.Kind = TCPChkRules
	if name == "redis-check" {
		px.Options.TCPChk.Kind = TCPChkRedis
	}
}

// parseSMTPChk parses `option smtpchk [EHLO|HELO <domain>]`; any other
// words leave the default command, HELO localhost.
func (p *parser) parseSMTPChk(px *Proxy, a []string) {
	p.warnCap(px, CapBackend, "smtpchk")
	if p.tooMany("option smtpchk", a, 2) {
		return
	}
	o := &px.Options
	o.HTTPChk.Enabled = false
	o.TCPChk.Kind, o.TCPChk.SMTPCmd = TCPChkSMTP, "HELO localhost"
	if len(a) == 2 && a[1] != "" && (a[0] == "EHLO" || a[0] == "HELO") {
		o.TCPChk.SMTPCmd = a[0] + " " + a[1]
	}
}

// RedisCheckRules are the rules of `option redis-check`: a PING, and a
// +PONG expected, the reply itself reported when it is not.
var RedisCheckRules = []TCPCheckRule{
	{Action: TCPCheckSend, Index: 0, Data: []byte("*1\r\n$4\r\nPING\r\n")},
	{Action: TCPCheckExpect, Index: 1, Match: MatchString, Pattern: "+PONG\r\n", Data: []byte("+PONG\r\n"),
		MinRecv: -1, ErrStatus: "L7STS", OnSuccess: "Redis server is ok", ErrorPayload: true, PayloadLine: true},
}

// PgSQLCheckRules are the rules of `option pgsql-check user <user>`, as
// haproxy 2.6.12 has them: a startup message naming user, then no error
// ('E') but an authentication request ('R') of a method it knows.
func PgSQLCheckRules(user string) []TCPCheckRule {
	msg := binary.BigEndian.AppendUint32(nil, uint32(15+len(user)))
	msg = append(msg, 0, 3, 0, 0)
	msg = append(msg, "user\x00"+user+"\x00\x00"...)
	auth := "^52000000[A-Z0-9]{2}000000(00|02|03|04|05|06|07|09|0A)"
	return []TCPCheckRule{
		{Action: TCPCheckConnect, Index: 0, Default: true, Linger: true},
		{Action: TCPCheckSend, Index: 1, Data: msg},
		{Action: TCPCheckExpect, Index: 2, Match: MatchRString, Negate: true, Pattern: "^E", Regexp: regexp.MustCompile("^E"),
			MinRecv: 5, ErrStatus: "L7RSP", ErrorPayload: true, PayloadSkip: 6},
		{Action: TCPCheckExpect, Index: 3, Match: MatchRBinary, Pattern: auth, Regexp: regexp.MustCompile(auth),
			MinRecv: 9, ErrStatus: "L7STS", OnSuccess: "PostgreSQL server is ok", OnError: "PostgreSQL unknown error"},
	}
}

// parsePgSQLChk parses `option pgsql-check user <name>`.
func (p *parser) parsePgSQLChk(px *Proxy, a []string) {
	p.warnCap(px, CapBackend, "pgsql-check")
	if p.tooMany("option pgsql-check", a, 2) {
		return
	}
	switch {
	case len(a) < 2 || a[0] == "" || a[1] == "":
		p.alert("'option pgsql-check' expects 'user <username>' as argument.")
		return
	case a[0] != "user":
		p.alert("'option pgsql-check' only supports optional values: 'user'.")
		return
	}
	o := &px.Options
	o.HTTPChk.Enabled = false
	o.TCPChk.Kind, o.TCPChk.User = TCPChkPgSQL, a[1]
}

// SMTPCheckRules are the rules of `option smtpchk` sending cmd, as
// haproxy 2.6.12 has them (with the QUIT its 2.6 branch gained after
// 2.6.0): a greeting of three digits, a 2xx one, cmd answered by 2xx
// lines, then QUIT answered by a 2xx line; the code is the last reply's,
// the details its text.
func SMTPCheckRules(cmd string) []TCPCheckRule {
	reply := func(i int, re string, st string) TCPCheckRule {
		return TCPCheckRule{Action: TCPCheckExpect, Index: i, Match: MatchRString, Pattern: re, Regexp: regexp.MustCompile(re),
			MinRecv: 4, ErrStatus: st, ErrorPayload: true, PayloadSkip: 4, PayloadTrim: true, PayloadLine: true, CodeFromPayload: true}
	}
	greeting := reply(1, "^[0-9]{3}[ \r]", "L7RSP")
	greeting.PayloadSkip, greeting.PayloadTrim, greeting.CodeFromPayload = 0, false, false
	hello := reply(4, "^(2[0-9]{2}-[^\r]*\r\n)*2[0-9]{2}[ \r]", "L7STS")
	hello.MinRecv, hello.SuccessPayload = -1, true
	bye := reply(6, "^2[0-9]{2}[- \r]", "L7STS")
	bye.SuccessPayload = true
	return []TCPCheckRule{
		{Action: TCPCheckConnect, Index: 0, Default: true, Linger: true},
		greeting,
		reply(2, "^2[0-9]{2}[ \r]", "L7STS"),
		{Action: TCPCheckSend, Index: 3, Data: []byte(cmd + "\r\n")},
		hello,
		{Action: TCPCheckSend, Index: 5, Data: []byte("QUIT\r\n")},
		bye,
	}
}
