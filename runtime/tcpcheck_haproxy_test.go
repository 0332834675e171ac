package runtime

import (
	"fmt"
	"maps"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// scriptTarget speaks a scripted protocol to health checks: on each
// connection it reads once (what the check sends, if it sends), then
// writes its reply and closes; an empty reply closes at once, and silent
// keeps the connection open without a word until the checker gives up.
type scriptTarget struct {
	addr   netip.AddrPort
	reply  atomic.Pointer[string]
	silent atomic.Bool
	listen bool // reads nothing first: answers as soon as it accepts
}

// startScriptTarget listens on 127.0.0.1 until the end of the test.
func startScriptTarget(t *testing.T, reply string, listenFirst bool) *scriptTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	st := &scriptTarget{addr: ln.Addr().(*net.TCPAddr).AddrPort(), listen: listenFirst}
	st.set(reply)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go st.serve(c)
		}
	}()
	return st
}

func (st *scriptTarget) set(reply string) { st.reply.Store(&reply) }

func (st *scriptTarget) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	buf := make([]byte, 4096)
	if !st.listen {
		if _, err := c.Read(buf); err != nil {
			return
		}
	}
	if st.silent.Load() {
		_, _ = c.Read(buf) // until the checker gives up
		return
	}
	_, _ = c.Write([]byte(*st.reply.Load()))
}

// smtpTarget greets each connection, answers each command it is sent
// with reply, and QUIT with "221 bye" before it closes.
type smtpTarget struct {
	addr            netip.AddrPort
	greeting, reply atomic.Pointer[string]
}

func startSMTPTarget(t *testing.T) *smtpTarget {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	st := &smtpTarget{addr: ln.Addr().(*net.TCPAddr).AddrPort()}
	st.set("220 mail.test ESMTP\r\n", "250 mail.test hello\r\n")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(ioTimeout))
				_, _ = c.Write([]byte(*st.greeting.Load()))
				buf := make([]byte, 256)
				for range 2 {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if strings.HasPrefix(string(buf[:n]), "QUIT") {
						_, _ = c.Write([]byte("221 bye\r\n"))
						return
					}
					_, _ = c.Write([]byte(*st.reply.Load()))
				}
			}()
		}
	}()
	return st
}

func (st *smtpTarget) set(greeting, reply string) {
	st.greeting.Store(&greeting)
	st.reply.Store(&reply)
}

// TestDifferentialTCPCheck runs haproxy 2.6 and tether in front of the
// same scripted targets with tcp-check rule sets (send, expect string,
// negated string with min-recv, rstring, rbinary, explicit connects on
// another port, comments, ok/error/tout statuses) and redis-check, changes
// what the targets answer, and compares the check columns after each step
// and every state change both logged.
func TestDifferentialTCPCheck(t *testing.T) {
	pong, neg, redis, bin := startScriptTarget(t, "+PONG\r\n", false), startScriptTarget(t, "+PONG\r\n", false),
		startScriptTarget(t, "+PONG\r\n", false), startScriptTarget(t, "\x01\x02OK", true)
	dead := refusingAddr(t)
	smtp := startSMTPTarget(t)
	pg := startScriptTarget(t, "R\x00\x00\x00\x08\x00\x00\x00\x00", false)
	pr := startLogged(t, 1, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
    max-spread-checks 100ms
`+testDefaults+`    log global
frontend fe
    bind 127.0.0.1:%d
    default_backend tc
backend tc
    option tcp-check
    timeout check 300ms
    tcp-check connect
    tcp-check send PING\r\n
    tcp-check expect string +PONG
    server s1 %s check inter 100ms rise 1 fall 1
backend neg
    option tcp-check
    tcp-check comment "ping step"
    tcp-check send-binary 50494e470d0a
    tcp-check expect ! string -ERR min-recv 1 comment "no error"
    tcp-check expect rstring ^\+PO ok-status L7OKC
    server s2 %s check inter 100ms rise 1 fall 1
backend rd
    option redis-check
    timeout check 300ms
    server r %s check inter 100ms rise 1 fall 1
backend bin
    option tcp-check
    tcp-check expect binary 0102 error-status L7STS
    tcp-check expect rbinary 4F4B$ on-success "binary fine"
    server b %s check inter 100ms rise 1 fall 1
backend gone
    option tcp-check
    tcp-check expect string x
    server d %s check inter 100ms fall 1
backend ports
    option tcp-check
    tcp-check connect port %d comment "the dead port"
    server p %s check inter 100ms fall 1
backend bare
    option tcp-check
    server n %s check inter 100ms
backend mail
    option smtpchk EHLO tether.test
    server m %s check inter 100ms rise 1 fall 1
backend pg
    option pgsql-check user tether
    server p %s check inter 100ms rise 1 fall 1
`, stats, log, fronts[0], pong.addr, neg.addr, redis.addr, bin.addr, dead, dead.Port(), pong.addr, pong.addr, smtp.addr, pg.addr)
	})
	hsock, tsock, hlog, tlog := pr.h.sock, pr.g.sock, pr.logs[0], pr.logs[1]
	settle := func(label, expect string) {
		t.Helper()
		settleColumns(t, checkColumns, hsock, tsock, label, expect)
	}
	settle("start", "tc/s1: op=2")
	pong.set("-ERR nope\r\n")
	neg.set("-ERR nope\r\n")
	redis.set("-ERR unknown\r\nmore")
	bin.set("\x01\x03OK")
	settle("errors", "rd/r: op=0")
	settle("errors", "neg/s2: op=0")
	settle("errors", "bin/b: op=0")
	pong.set("")
	neg.set("+PANG")
	redis.set("")
	bin.set("\x01\x02KO")
	settle("empty replies", "rd/r: op=0 admin=0 check_status=17")
	settle("empty replies", "tc/s1: op=0 admin=0 check_status=13")
	pong.silent.Store(true)
	redis.silent.Store(true)
	settle("silence", "tc/s1: op=0 admin=0 check_status=12")
	settle("silence", "rd/r: op=0 admin=0 check_status=12")
	pong.silent.Store(false)
	redis.silent.Store(false)
	pong.set("+PONG\r\n")
	neg.set("+PONG\r\n")
	redis.set("+PONG\r\n")
	bin.set("\x01\x02OK")
	settle("back", "tc/s1: op=2")
	settle("back", "rd/r: op=2")
	settle("back", "neg/s2: op=3")
	settle("back", "bin/b: op=2")

	// smtpchk: the reply's code and text.
	settle("smtp", "mail/m: status=UP")
	smtp.set("220 mail.test ESMTP\r\n", "550 no thanks\r\n")
	settle("smtp refuses", "mail/m: status=DOWN")
	smtp.set("554 go away\r\n", "")
	settle("smtp greets badly", "check_code=554")
	smtp.set("hello\r\n", "")
	settle("smtp greets strangely", "check_desc=Layer7 invalid response")
	smtp.set("220-first\r\n220 last\r\n", "250-mail.test\r\n250 OK\r\n")
	settle("smtp greets in lines", "last_chk=220-first")
	smtp.set("220 ok\r\n", "250-mail.test\r\n250 OK\r\n")
	// pgsql-check: an error's severity, an unknown answer, SASL.
	settle("pgsql", "pg/p: status=UP")
	pg.set("E\x00\x00\x00\x30SFATAL\x00VFATAL\x00C28000\x00Mno such role\x00\x00")
	settle("pgsql refuses", "pg/p: status=DOWN")
	pg.set("Not a PostgreSQL response")
	settle("pgsql unknown", "last_chk=PostgreSQL unknown error")
	pg.set("R\x00\x00\x00\x17\x00\x00\x00\x0aSCRAM-SHA-256\x00\x00")
	settle("pgsql sasl", "pg/p: status=UP")
	settle("smtp back", "mail/m: status=UP tracked= act=1 bck=0 chkfail=1 chkdown=1 check_status=L7OK check_code=221 last_chk=bye")

	time.Sleep(200 * time.Millisecond)
	want, got := byBackend(hlog.drain()), byBackend(tlog.drain())
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("state changes logged:\ntether\n%s\nhaproxy\n%s", joinGroups(got), joinGroups(want))
	}
	if len(want["tc"]) < 3 {
		t.Errorf("haproxy logged only %d state changes of backend tc", len(want["tc"]))
	}
}
