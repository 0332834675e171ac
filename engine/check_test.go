package engine

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"tether/engine/config"
	"tether/engine/internal/testorigin"
)

// TestCheckDoneCounter: the health counter and state follow HAProxy's
// rules through runs of failures and successes: a checked server starts up
// at rise, falls at the first failure, needs rise successes to come back,
// then fall failures to go down again.
func TestCheckDoneCounter(t *testing.T) {
	t.Parallel()
	c := condition{op: OpRunning, health: 2, rise: 2, fall: 3, check: CheckConfigured | CheckEnabled}
	steps := []struct {
		r      CheckResult
		health int
		op     OpState
		failed bool
	}{
		{CheckResultFailed, 0, OpStopped, true},
		{CheckResultFailed, 0, OpStopped, false}, // already at zero: not counted
		{CheckResultPassed, 1, OpStopped, false},
		{CheckResultPassed, 4, OpRunning, false}, // rise reached: to the top
		{CheckResultPassed, 4, OpRunning, false},
		{CheckResultFailed, 3, OpRunning, true},
		{CheckResultPassed, 4, OpRunning, false},
		{CheckResultFailed, 3, OpRunning, true},
		{CheckResultFailed, 2, OpRunning, true},
		{CheckResultCondPass, 4, OpStopping, false}, // a 404 with disable-on-404: back at the top
		{CheckResultPassed, 4, OpRunning, false},
		{CheckResultFailed, 3, OpRunning, true},
		{CheckResultFailed, 2, OpRunning, true},
		{CheckResultFailed, 0, OpStopped, true}, // below rise: to zero
	}
	for i, st := range steps {
		failed := c.checkDone(st.r)
		if c.health != st.health || c.op != st.op || failed != st.failed {
			t.Fatalf("step %d (%d): health %d op %d failed %v, want %d %d %v", i, st.r, c.health, c.op, failed, st.health, st.op, st.failed)
		}
	}
}

// TestCheckMaintenance: maintenance pauses the checks with the counter at
// zero and keeps the server stopped whatever they find; leaving it brings
// the server up at rise, as HAProxy 2.6 does.
func TestCheckMaintenance(t *testing.T) {
	t.Parallel()
	c := condition{op: OpRunning, health: 4, rise: 2, fall: 3, check: CheckConfigured | CheckEnabled}
	c.setAdmin(AdminMaint)
	if c.op != OpStopped || c.health != 0 || c.check&CheckPaused == 0 {
		t.Fatalf("in maintenance: %+v", c)
	}
	c.checkDone(CheckResultPassed)
	c.checkDone(CheckResultPassed)
	if c.op != OpStopped {
		t.Fatalf("checks brought a server in maintenance up: %+v", c)
	}
	c.setAdmin(AdminReady)
	if c.op != OpRunning || c.health != 2 || c.check&CheckPaused != 0 {
		t.Fatalf("out of maintenance: %+v", c)
	}
	if c.checkDone(CheckResultFailed); c.op != OpStopped {
		t.Fatalf("one failure after maintenance left the server %+v", c)
	}
}

// TestCheckRequest: the HTTP check request is what HAProxy 2.6.12 sends
// for the same lines (observed on the wire).
func TestCheckRequest(t *testing.T) {
	t.Parallel()
	def := config.HTTPChk{Enabled: true, Method: "OPTIONS", URI: "/", Version: "HTTP/1.0"}
	cases := []struct {
		o    config.HTTPChk
		send *config.CheckRule
		want string
	}{
		{def, nil, "OPTIONS / HTTP/1.0\r\n\r\n"},
		{config.HTTPChk{Method: "GET", URI: "/health", Version: "HTTP/1.0"}, nil, "GET /health HTTP/1.0\r\n\r\n"},
		{config.HTTPChk{Method: "GET", URI: "/h", Version: "HTTP/1.1"}, nil, "GET /h HTTP/1.1\r\nconnection: close\r\n\r\n"},
		{def, &config.CheckRule{Headers: []config.Header{{Name: "Host", Value: "example.com"}}},
			"OPTIONS / HTTP/1.0\r\nhost: example.com\r\n\r\n"},
		{def, &config.CheckRule{Method: "POST", URI: "/p", Version: "HTTP/1.1", Headers: []config.Header{{Name: "Host", Value: "x"}}, Body: "abc"},
			"POST /p HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\nconnection: close\r\n\r\nabc"},
		{config.HTTPChk{Method: "HEAD", URI: "/", Version: "HTTP/1.1\r\nHost: www"}, nil,
			"HEAD / HTTP/1.1\r\nhost: www\r\nconnection: close\r\n\r\n"},
		{config.HTTPChk{Method: "GET", URI: "/h", Version: "HTTP/1.1"},
			&config.CheckRule{Headers: []config.Header{{Name: "X-A", Value: "1"}, {Name: "Connection", Value: "keep-alive"}}},
			"GET /h HTTP/1.1\r\nx-a: 1\r\n\r\n"},
	}
	for _, c := range cases {
		if got := string(checkRequest(c.o, c.send)); got != c.want {
			t.Errorf("checkRequest(%+v, %+v) = %q, want %q", c.o, c.send, got, c.want)
		}
	}
}

// checkOrigin serves each connection with serve on 127.0.0.1, with 5
// seconds for it, and returns its address.
func checkOrigin(t *testing.T, serve func(c net.Conn, br *bufio.Reader)) netip.AddrPort {
	t.Helper()
	raw := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		serve(c, br)
	})
	return netip.MustParseAddrPort(raw.Addr)
}

// TestProbeOutcomes: each way a server can answer a check gives HAProxy's
// status, code and details.
func TestProbeOutcomes(t *testing.T) {
	t.Parallel()
	httpchk := func(lines string) *checkSpec {
		cfg, err := config.Parse(config.File{Name: "t.cfg", Data: []byte("defaults\n  mode http\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\nbackend be\n" + lines + "  server s 127.0.0.1:1 check\n")})
		if err != nil {
			t.Fatal(err)
		}
		return newCheckSpec(cfg.Proxies[0])
	}
	tcp := httpchk("")
	plain := httpchk("  option httpchk\n")
	dead := netip.MustParseAddrPort(deadAddr())
	cases := []struct {
		name   string
		spec   *checkSpec
		serve  func(c net.Conn, br *bufio.Reader)
		down   bool
		status CheckStatus
		code   int
		desc   string
	}{
		{"tcp refused", tcp, nil, false, CheckL4Con, 0, "Connection refused"},
		{"tcp open", tcp, func(net.Conn, *bufio.Reader) {}, false, CheckL4OK, 0, ""},
		{"http 200", plain, answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), false, CheckL7OK, 200, ""},
		{"http 302", plain, answer("HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"), false, CheckL7OK, 302, ""},
		{"http 503", plain, answer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"), false, CheckL7Sts, 503, "Service Unavailable"},
		{"http empty", plain, func(c net.Conn, br *bufio.Reader) { readHead(br) }, false, CheckL7Rsp, 0, ""},
		{"http garbage", plain, answer("hello\r\n\r\n"), false, CheckL7Rsp, 0, ""},
		{"http silent", plain, func(c net.Conn, br *bufio.Reader) { time.Sleep(time.Second) }, false, CheckL7Tout, 0, ""},
		{"http 404 up", httpchk("  option httpchk\n  http-check disable-on-404\n"), answer("HTTP/1.1 404 Not Found\r\n\r\n"), false, CheckL7OKC, 404, ""},
		{"http 404 down", httpchk("  option httpchk\n  http-check disable-on-404\n"), answer("HTTP/1.1 404 Not Found\r\n\r\n"), true, CheckL7Sts, 404, "Not Found"},
		{"expect status", httpchk("  option httpchk\n  http-check expect status 204\n"), answer("HTTP/1.1 200 OK\r\n\r\n"), false, CheckL7Sts, 200, "OK"},
		{"expect string", httpchk("  option httpchk\n  http-check expect string alive\n"),
			answer("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nam alive!"), false, CheckL7OK, 200, ""},
		{"expect string chunked", httpchk("  option httpchk\n  http-check expect string alive\n"),
			answer("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nali\r\n2\r\nve\r\n0\r\n\r\n"), false, CheckL7OK, 200, ""},
		{"expect string missing", httpchk("  option httpchk\n  http-check expect string alive\n"),
			answer("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndead"), false, CheckL7Rsp, 200, "HTTP content check did not match"},
		{"expect no body", httpchk("  option httpchk\n  http-check expect string alive\n"),
			answer("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), false, CheckL7Rsp, 200, "HTTP content check could not find a response body"},
		{"expect not rstring", httpchk("  option httpchk\n  http-check expect ! rstring ^err\n"),
			answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nerror"), false, CheckL7Rsp, 200, "HTTP check matched unwanted content"},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			addr := dead
			if c.serve != nil {
				addr = checkOrigin(t, c.serve)
			}
			out := c.spec.probe(context.Background(), addr, checkConn{}, 300*time.Millisecond, func() bool { return c.down })
			if out.status != c.status || out.code != c.code || out.desc != c.desc {
				t.Errorf("got %s %d %q, want %s %d %q", out.status.Name(), out.code, out.desc, c.status.Name(), c.code, c.desc)
			}
		})
	}
}

// TestCheckInProgress: while a check runs, the server's check state has
// the in-progress bit, as `show servers state` shows HAProxy's; it clears
// when the check ends (here by timing out).
func TestCheckInProgress(t *testing.T) {
	t.Parallel()
	mute := checkOrigin(t, func(c net.Conn, br *bufio.Reader) { _, _ = io.Copy(io.Discard, br) })
	e, _ := startEngine(t, fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
  timeout check 300ms
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  option httpchk
  server s %s check inter 1s fall 1
`, freePort(), mute))
	wait := func(what string, ok func(si ServerInfo) bool) {
		t.Helper()
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if si := e.Backends()[0].Servers[0]; ok(si) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("never %s: %+v", what, e.Backends()[0].Servers[0])
			}
		}
	}
	wait("in progress", func(si ServerInfo) bool { return si.Check&CheckInProgress != 0 })
	wait("timed out", func(si ServerInfo) bool {
		return si.Check&CheckInProgress == 0 && si.CheckReport.Status == CheckL7Tout && si.Op == OpStopped
	})
}

// TestSpread: `spread-checks` varies each interval within its percentage
// either way, and covers the range.
func TestSpread(t *testing.T) {
	t.Parallel()
	if d := spread(time.Second, 0); d != time.Second {
		t.Fatalf("no spread: %v", d)
	}
	lo, hi := time.Hour, time.Duration(0)
	for range 2000 {
		d := spread(time.Second, 20)
		if d < 800*time.Millisecond || d > 1200*time.Millisecond {
			t.Fatalf("spread 20%% of 1s gave %v", d)
		}
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo > 820*time.Millisecond || hi < 1180*time.Millisecond {
		t.Errorf("2000 draws spread only over %v..%v", lo, hi)
	}
}
