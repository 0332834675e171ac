package config

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func TestTCPCheckRules(t *testing.T) {
	be := backend(t, `    option tcp-check
    tcp-check comment "hello step"
    tcp-check connect port 6379 send-proxy linger
    tcp-check send-binary 50494e470d0a comment ping
    tcp-check expect ! string -ERR min-recv 3
    tcp-check expect rbinary ^2B504F4E47 ok-status L7OKC error-status L7STS tout-status L4TOUT on-success fine on-error bad
    server s 127.0.0.1:1 check
`)
	c := be.Options.TCPChk
	if c.Kind != TCPChkRules {
		t.Fatalf("kind %v", c.Kind)
	}
	r := c.Rules.RuleList()
	if len(r) != 5 {
		t.Fatalf("rules %+v", r)
	}
	if r[0].Action != TCPCheckComment || r[0].Comment != "hello step" {
		t.Errorf("comment %+v", r[0])
	}
	if r[1].Action != TCPCheckConnect || r[1].Port != 6379 || !r[1].SendProxy || !r[1].Linger || r[1].Index != 1 {
		t.Errorf("connect %+v", r[1])
	}
	if r[2].Action != TCPCheckSend || !bytes.Equal(r[2].Data, []byte("PING\r\n")) || r[2].Comment != "ping" {
		t.Errorf("send %+v", r[2])
	}
	if r[3].Match != MatchString || !r[3].Negate || string(r[3].Data) != "-ERR" || r[3].MinRecv != 3 {
		t.Errorf("expect %+v", r[3])
	}
	e := r[4]
	if e.Match != MatchRBinary || e.Regexp == nil || !e.Regexp.MatchString("2B504F4E47") || e.OKStatus != "L7OKC" ||
		e.ErrStatus != "L7STS" || e.ToutStatus != "L4TOUT" || e.OnSuccess != "fine" || e.OnError != "bad" || e.MinRecv != -1 {
		t.Errorf("expect %+v", e)
	}
}

func TestTCPCheckInherit(t *testing.T) {
	cfg := mustParse(t, `defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
    option tcp-check
    tcp-check send PING
    tcp-check expect string PONG

backend a
    server s 127.0.0.1:1 check

backend b
    tcp-check send HELLO
    server s 127.0.0.1:1 check

backend c
    option redis-check
    server s 127.0.0.1:1 check

backend d
    option tcp-check
    option httpchk
    server s 127.0.0.1:1 check

backend e
    option smtpchk EHLO mx.test
    server s 127.0.0.1:1 check

backend f
    option smtpchk NOOP x
    server s 127.0.0.1:1 check

backend g
    option pgsql-check user pg
    server s 127.0.0.1:1 check
`)
	a, b, c, d := cfg.Backend("a"), cfg.Backend("b"), cfg.Backend("c"), cfg.Backend("d")
	if a.Options.TCPChk.Kind != TCPChkRules || len(a.Options.TCPChk.Rules.RuleList()) != 2 {
		t.Errorf("a %+v", a.Options.TCPChk)
	}
	if br := b.Options.TCPChk.Rules.RuleList(); len(br) != 1 || string(br[0].Data) != "HELLO" || br[0].Index != 0 {
		t.Errorf("b %+v", br)
	}
	if ar := a.Options.TCPChk.Rules.RuleList(); string(ar[0].Data) != "PING" {
		t.Errorf("b's rule leaked into the defaults: %+v", ar)
	}
	if c.Options.TCPChk.Kind != TCPChkRedis {
		t.Errorf("c %+v", c.Options.TCPChk)
	}
	if d.Options.TCPChk.Kind != TCPChkNone || !d.Options.HTTPChk.Enabled {
		t.Errorf("d %+v %+v", d.Options.TCPChk, d.Options.HTTPChk)
	}
	e, f := cfg.Backend("e").Options.TCPChk, cfg.Backend("f").Options.TCPChk
	if e.Kind != TCPChkSMTP || e.SMTPCmd != "EHLO mx.test" || f.SMTPCmd != "HELO localhost" {
		t.Errorf("smtpchk %+v %+v", e, f)
	}
	if g := cfg.Backend("g").Options.TCPChk; g.Kind != TCPChkPgSQL || g.User != "pg" ||
		string(PgSQLCheckRules(g.User)[1].Data) != "\x00\x00\x00\x11\x00\x03\x00\x00user\x00pg\x00\x00" {
		t.Errorf("pgsql-check %+v", g)
	}
	if r := SMTPCheckRules(e.SMTPCmd); len(r) != 7 || string(r[3].Data) != "EHLO mx.test\r\n" || !r[4].Regexp.MatchString("250-a\r\n250 b\r\n") {
		t.Errorf("smtp rules %+v", r)
	}
}

// TestTCPCheckDiags checks the messages of bad `tcp-check` lines against
// those haproxy 2.6.12 -c prints for them.
func TestTCPCheckDiags(t *testing.T) {
	be := "backend be\n    option tcp-check\n"
	checkDiags(t, []diagCase{
		{be + "    tcp-check send\n", "tcp-check send", Alert, "'string' expects a send as argument."},
		{be + "    tcp-check expect\n", "tcp-check expect", Alert, "expects at least a matching pattern as arguments."},
		{be + "    tcp-check expect foo bar\n", "tcp-check expect", Alert, "'only supports min-recv, '[!]binary', '[!]string', '[!]rstring', '[!]string-lf''[!]rbinary', '[!]binary-lf' or comment but got 'foo' as argument.."},
		{be + "    tcp-check send-binary zz\n", "tcp-check send-binary", Alert, "'zz' invalid binary string (an hex digit is expected (found 'z'))."},
		{be + "    tcp-check expect binary abc\n", "tcp-check expect", Alert, "invalid binary string (an even number of hex digit is expected)."},
		{be + "    tcp-check connect bogus\n", "tcp-check connect", Alert, "expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn' or 'via-socks4', 'linger', 'default' but got 'bogus' as argument.."},
		{be + "    tcp-check bogus\n", "tcp-check bogus", Alert, "'tcp-check' only supports 'comment', 'connect', 'send', 'send-binary', 'expect', 'set-var-fmt(*)', 'set-var(*)', 'unset-var(*)'. but got 'bogus'"},
		{be + "    tcp-check expect string x ok-status FOO\n", "tcp-check expect", Alert, "'ok-status' only supports 'L4OK', 'L6OK', 'L7OK' or 'L7OKC' status (got 'FOO').."},
		{be + "    tcp-check connect port 0\n", "tcp-check connect", Alert, "expects a valid TCP port (from range 1 to 65535) or a sample expression, got 0."},
		{be + "    tcp-check expect string x min-recv\n", "tcp-check expect", Alert, "'min-recv' expects a integer as argument."},
		{be + "    tcp-check send x\n    tcp-check connect\n", "tcp-check connect", Alert, "first step MUST also be a 'connect'"},
		{be + "    tcp-check expect string x string y\n", "tcp-check expect", Alert, "only on pattern expected."},
		{be + "    tcp-check expect ! min-recv 3\n", "tcp-check expect", Alert, "[!] not supported with 'min-recv'."},
		{be + "    tcp-check send-lf %[src]\n", "tcp-check send-lf", Alert, "'tcp-check send-lf' is not supported yet by tether"},
		{be + "    tcp-check comment\n", "tcp-check comment", Alert, "expects a string as argument."},
		{"backend be\n    option redis-check x\n", "option redis-check", Alert, "'option redis-check' cannot handle unexpected argument 'x'."},
		{"backend be\n    option smtpchk EHLO a b\n", "option smtpchk", Alert, "'option smtpchk' cannot handle unexpected argument 'b'."},
		{"backend be\n    no option tcp-check\n", "option tcp-check", Alert, "negation/default is not supported for option 'tcp-check'."},
		{"backend be\n    option pgsql-check\n", "option pgsql-check", Alert, "'option pgsql-check' expects 'user <username>' as argument."},
		{"backend be\n    option pgsql-check user\n", "option pgsql-check", Alert, "'option pgsql-check' expects 'user <username>' as argument."},
		{"backend be\n    option pgsql-check foo bar\n", "option pgsql-check", Alert, "'option pgsql-check' only supports optional values: 'user'."},
		{"backend be\n    option pgsql-check user x y\n", "option pgsql-check", Alert, "'option pgsql-check' cannot handle unexpected argument 'y'."},
		{"backend be\n    option tcp-check\n    tcp-check connect\n    tcp-check send PING comment p\n    tcp-check expect string +PONG\n", "", Alert, ""},
	})
}

func TestAgentKeywords(t *testing.T) {
	be := backend(t, `    default-server agent-check agent-port 5555 agent-inter 500ms
    server a 127.0.0.1:1 check agent-send "hello\n" agent-addr 127.0.0.2
    server b 127.0.0.1:1 check no-agent-check
    server c 127.0.0.1:1 check addr 127.0.0.3 port 7 agent-port 0
`)
	a, b, c := be.Servers[0], be.Servers[1], be.Servers[2]
	if !a.Agent.Enabled || a.Agent.Port != 5555 || a.Agent.Inter != 500*time.Millisecond || a.Agent.Send != "hello\n" {
		t.Errorf("a %+v", a.Agent)
	}
	if got := a.AgentTarget(netip.MustParseAddr("127.0.0.1")); got != netip.MustParseAddrPort("127.0.0.2:5555") {
		t.Errorf("a's agent goes to %v", got)
	}
	if b.Agent.Enabled {
		t.Errorf("b %+v", b.Agent)
	}
	if got := c.AgentTarget(netip.MustParseAddr("127.0.0.1")); got != netip.MustParseAddrPort("127.0.0.3:7") {
		t.Errorf("c's agent goes to %v", got)
	}
	checkDiags(t, []diagCase{
		{"backend be\n    server s1 127.0.0.1:80 check agent-check\n", "server s1", Alert, "server s1 does not have agent port. Agent check has been disabled."},
		{"backend be\n    server s2 127.0.0.1:80 check agent-inter 3x agent-port 1\n", "server s2", Alert, "unexpected character 'x' in 'agent-inter' argument of server s2."},
		{"backend be\n    server s3 127.0.0.1:80 check agent-addr foo agent-port 1\n", "server s3", Alert, "parsing agent-addr failed. Check if 'foo' is correct address."},
		{"backend be\n    server s4 127.0.0.1:80 check agent-send\n", "server s4", Alert, "'agent-send' expects a string as argument."},
		{"backend be\n    server s5 127.0.0.1:80 agent-check agent-port 1 agent-send x\n", "", Alert, ""},
	})
}
