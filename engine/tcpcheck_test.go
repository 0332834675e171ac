package engine

import (
	"context"
	"net"
	"net/netip"
	"regexp"
	"testing"
	"time"

	"tether/engine/config"
)

func TestNewTCPCheck(t *testing.T) {
	rules := &config.TCPCheckRules{List: []config.TCPCheckRule{
		{Action: config.TCPCheckComment, Index: 0, Comment: "greeting"},
		{Action: config.TCPCheckSend, Index: 1, Data: []byte("a")},
		{Action: config.TCPCheckSend, Index: 2, Data: []byte("b")},
		{Action: config.TCPCheckExpect, Index: 3, Match: config.MatchString, Data: []byte("x"), MinRecv: -1, ErrStatus: "L7STS"},
	}}
	tc := newTCPCheck(config.TCPChk{Kind: config.TCPChkRules, Rules: rules})
	if len(tc.steps) != 4 || !tc.steps[0].implicit || tc.steps[0].stepID() != 0 {
		t.Fatalf("steps %+v", tc.steps)
	}
	if tc.steps[1].Comment != "greeting" || tc.steps[2].Comment != "greeting" || tc.steps[3].Comment != "" {
		t.Errorf("comments %q %q %q", tc.steps[1].Comment, tc.steps[2].Comment, tc.steps[3].Comment)
	}
	if tc.steps[3].fail != CheckL7Sts || tc.steps[3].ok != CheckL7OK || tc.steps[3].stepID() != 4 {
		t.Errorf("expect %+v", tc.steps[3])
	}
	redis := newTCPCheck(config.TCPChk{Kind: config.TCPChkRedis, Rules: rules})
	if redis.generic || len(redis.steps) != 3 || string(redis.steps[1].Data) != "*1\r\n$4\r\nPING\r\n" {
		t.Errorf("redis %+v", redis)
	}
}

func TestTCPExpect(t *testing.T) {
	tests := []struct {
		rule  config.TCPCheckRule
		buf   string
		eof   bool
		want  expectVerdict
		words string
	}{
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("+OK"), Pattern: "+OK", MinRecv: -1}, "+O", false, expectWait, ""},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("+OK"), Pattern: "+OK", MinRecv: -1}, "xx+OKyy", false, expectPass, ""},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("+OK"), Pattern: "+OK", MinRecv: -1}, "-ERR", false, expectWait, ""},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("+OK"), Pattern: "+OK", MinRecv: -1}, "-ERR", true, expectFail,
			"TCPCHK did not match content '+OK' at step 3"},
		// Shorter than the string: more is read, min-recv or not, as in HAProxy.
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("-ERR"), Pattern: "-ERR", Negate: true, MinRecv: 1}, "+", false, expectWait, ""},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("-ERR"), Pattern: "-ERR", Negate: true, MinRecv: 1}, "+PONG", false, expectPass, ""},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("-ERR"), Pattern: "-ERR", Negate: true, MinRecv: -1}, "+PONG", false, expectWait, ""},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("-ERR"), Pattern: "-ERR", Negate: true, MinRecv: -1, Comment: "c"}, "-ERR", false, expectFail,
			"TCPCHK matched unwanted content '-ERR' at step 3 comment: c"},
		{config.TCPCheckRule{Match: config.MatchRBinary, Regexp: regexp.MustCompile("^0A0B"), MinRecv: -1}, "\x0a\x0b", false, expectPass, ""},
		{config.TCPCheckRule{Match: config.MatchBinary, Data: []byte{1}, MinRecv: -1, OnError: "nope"}, "\x02", true, expectFail, "nope"},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("+PONG\r\n"), MinRecv: -1, ErrorPayload: true, PayloadLine: true}, "-ERR x\r\nmore", true, expectFail, "-ERR x"},
		{config.TCPCheckRule{Match: config.MatchString, Data: []byte("R"), MinRecv: -1, ErrorPayload: true, PayloadSkip: 6}, "E\x00\x00\x00\x20SFATAL\x00VFATAL\x00", true, expectFail, "FATAL"},
	}
	for _, tt := range tests {
		tt.rule.Action, tt.rule.Index = config.TCPCheckExpect, 2
		st := tcpStep{TCPCheckRule: tt.rule, fail: CheckL7Rsp}
		r := &tcpRun{tc: &tcpCheck{generic: true}, buf: append(make([]byte, 0, 64), tt.buf...), eof: tt.eof, cur: &st}
		out, v := r.expect(&st)
		if v != tt.want || out.desc != tt.words {
			t.Errorf("%q (eof %v) against %+v: %v %q, want %v %q", tt.buf, tt.eof, tt.rule, v, out.desc, tt.want, tt.words)
		}
	}
}

// TestTCPCheckRun runs a rule set against a listener on 127.0.0.1 that
// answers the second line it reads.
func TestTCPCheckRun(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				buf := make([]byte, 64)
				n, _ := c.Read(buf)
				if string(buf[:n]) == "HELLO\r\n" {
					_, _ = c.Write([]byte("+WELCOME\r\n"))
				}
			}(c)
		}
	}()
	rules := func(send string) *config.TCPCheckRules {
		return &config.TCPCheckRules{List: []config.TCPCheckRule{
			{Action: config.TCPCheckSend, Index: 0, Data: []byte(send)},
			{Action: config.TCPCheckExpect, Index: 1, Match: config.MatchString, Pattern: "+WELCOME", Data: []byte("+WELCOME"), MinRecv: -1},
		}}
	}
	addr := ln.Addr().(*net.TCPAddr).AddrPort()
	cs := &checkSpec{tcp: newTCPCheck(config.TCPChk{Kind: config.TCPChkRules, Rules: rules("HELLO\r\n")})}
	if out := cs.probe(context.Background(), addr, checkConn{}, time.Second, func() bool { return false }); out.status != CheckL7OK || out.desc != "(tcp-check)" {
		t.Errorf("hello: %+v", out)
	}
	cs.tcp = newTCPCheck(config.TCPChk{Kind: config.TCPChkRules, Rules: rules("BYE\r\n")})
	if out := cs.probe(context.Background(), addr, checkConn{}, time.Second, func() bool { return false }); out.status != CheckL7Rsp || out.desc != "TCPCHK got an empty response at step 2" {
		t.Errorf("bye: %+v", out)
	}
	closed := netip.AddrPortFrom(addr.Addr(), 1)
	if out := cs.probe(context.Background(), closed, checkConn{}, time.Second, func() bool { return false }); out.status != CheckL4Con ||
		out.desc != "Connection refused at initial connection step of tcp-check" {
		t.Errorf("refused: %+v", out)
	}
}
