package runtime

import (
	"encoding/csv"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// replyCase is one command sent to a fresh admin session of the fake, the
// exact bytes expected back, and the Control calls it must make.
type replyCase struct {
	in    string
	want  string
	calls []string
}

func runReplyCases(t *testing.T, f *fakeControl, srv *Server, cases []replyCase) {
	t.Helper()
	for _, c := range cases {
		got := tcpExchange(t, srv, c.in+"\n")
		if got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		if calls := f.takeCalls(); !slices.Equal(calls, c.calls) {
			t.Errorf("%q: calls %q, want %q", c.in, calls, c.calls)
		}
	}
}

func TestCookieCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"enable dynamic-cookie backend", "A backend name is expected.\n\n", nil},
		{"enable dynamic-cookie backend nope", "No such backend.\n\n", nil},
		{"enable dynamic-cookie backend fe", "No such backend.\n\n", nil},
		{"disable dynamic-cookie backend #9", "No such backend.\n\n", nil},
		{"disable dynamic-cookie backend bk", "\n", []string{"dynamic-cookie bk false"}},
		{"enable dynamic-cookie backend #3 extra", "\n", []string{"dynamic-cookie bk true"}},
		{"set dynamic-cookie-key backend", "A backend name is expected.\n\n", nil},
		{"set dynamic-cookie-key backend bk", "String value expected.\n\n", nil},
		{"set dynamic-cookie-key backend nope k", "No such backend.\n\n", nil},
		{`set dynamic-cookie-key backend bk a\;b`, "\n", []string{`dynamic-cookie-key bk "a;b"`}},
		{`set dynamic-cookie-key backend bk a\ b extra`, "\n", []string{`dynamic-cookie-key bk "a b"`}},
		{`set dynamic-cookie-key backend bk a\\b`, "\n", []string{`dynamic-cookie-key bk "a\\b"`}},
	})
	// The reply comes after the change: the next command sees it.
	before := f.cookieOf("bk", "s1")
	tcpExchange(t, srv, "set dynamic-cookie-key backend bk other\n")
	if after := f.cookieOf("bk", "s1"); after == before || after == "" {
		t.Errorf("cookie of bk/s1 went from %q to %q", before, after)
	}
	f.takeCalls()
}

func TestServerCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"set server", "Require 'backend/server'.\n\n", nil},
		{"set server bk", "Require 'backend/server'.\n\n", nil},
		{"set server bk/ state ready", "Require 'backend/server'.\n\n", nil},
		{"set server /s1 state ready", "Require 'backend/server'.\n\n", nil},
		{"set server nope/s1 state ready", "No such backend.\n\n", nil},
		{"set server bk/nope state ready", "No such server.\n\n", nil},
		{"set server bk/s1", msgSetServerUsage + "\n", nil},
		{"set server bk/s1 foo", msgSetServerUsage + "\n", nil},
		{"set server bk/s1 state", msgStateExpects + "\n", nil},
		{"set server bk/s1 state foo", msgStateExpects + "\n", nil},
		{"set server bk/s1 state drain", "\n", []string{"admin bk/s1 1"}},
		{"set server bk/s1 state maint", "\n", []string{"admin bk/s1 2"}},
		{"set server #3/#1 state ready", "\n", []string{"admin bk/s1 0"}},
		{"set server bk/s1 health", msgHealthExpects + "\n", nil},
		{"set server bk/s1 health foo", msgHealthExpects + "\n", nil},
		{"set server bk/s1 health down", "\n", []string{"health bk/s1 2"}},
		{"set server bk/s1 health stopping", "\n", []string{"health bk/s1 1"}},
		{"set server bk/s1 health up", "\n", []string{"health bk/s1 0"}},
		{"enable server bk/s1", "\n", []string{"admin bk/s1 0"}},
		{"disable server bk/#2", "\n", []string{"admin bk/s2 2"}},
		{"enable server", "Require 'backend/server'.\n\n", nil},
		{"disable server bk/nope", "No such server.\n\n", nil},
		{"enable health bk/s1", msgHealthNotConfig + "\n", nil},
		{"enable health ls/x", "\n", []string{"check ls/x true"}},
		{"disable health bk/s1", "\n", []string{"check bk/s1 false"}},
		{"enable health bk", "Require 'backend/server'.\n\n", nil},
		{"shutdown sessions server bk/s1", "\n", []string{"shutdown bk/s1"}},
		{"shutdown sessions server bk/s1 extra", "\n", []string{"shutdown bk/s1"}},
		{"shutdown sessions server", "Require 'backend/server'.\n\n", nil},
		{"shutdown sessions server bk", "Require 'backend/server'.\n\n", nil},
		{"shutdown sessions server nope/s1", "No such backend.\n\n", nil},
		{"shutdown sessions server bk/nope", "No such server.\n\n", nil},
	})
}

func TestMaxconnCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"set maxconn frontend fe 10", "\n", []string{"maxconn fe 10"}},
		{"set maxconn frontend ls 0", "\n", []string{"maxconn ls 0"}},
		{"set maxconn frontend fe abc", "\n", []string{"maxconn fe 0"}},
		{"set maxconn frontend fe 12x", "\n", []string{"maxconn fe 12"}},
		{"set maxconn frontend fe -1", "Value out of range.\n\n", []string{"maxconn fe -1"}},
		{"set maxconn frontend fe", "Integer value expected.\n\n", nil},
		{"set maxconn frontend", "A frontend name is expected.\n\n", nil},
		{"set maxconn frontend bk 5", "No such frontend.\n\n", nil},
		{"set maxconn frontend nope", "No such frontend.\n\n", nil},
		{"set maxconn global 100", "\n", []string{"maxconn global 100"}},
		{"set maxconn global x", "\n", []string{"maxconn global 0"}},
		{"set maxconn global 1001", "Value out of range.\n\n", []string{"maxconn global 1001"}},
		{"set maxconn global", "Expects an integer value.\n\n", nil},
	})
	opSrv := startServer(t, LevelOperator, f)
	runReplyCases(t, f, opSrv, []replyCase{
		{"set maxconn global 5", msgPermissionDenied + "\n", nil},
		{"set maxconn frontend fe 5", msgPermissionDenied + "\n", nil},
	})
}

func TestWeightCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"set server bk/s1 weight", "Require <weight> or <weight%>.\n\n", nil},
		{"set server bk/s1 weight 10", "\n", []string{"weight bk/s1 10"}},
		{"set server bk/s1 weight 256", "\n", []string{"weight bk/s1 256"}},
		{"set server bk/s1 weight 257", msgWeightAbsolute + "\n", nil},
		{"set server bk/s1 weight -1", msgWeightAbsolute + "\n", nil},
		{"set server bk/s1 weight 300x", msgWeightAbsolute + "\n", nil},
		{"set server bk/s1 weight 10x", "Trailing garbage in weight string\n", nil},
		{"set server bk/s1 weight 5%x", "Trailing garbage in weight string\n", nil},
		{"set server bk/s1 weight x", "Empty weight string empty or preceded by garbage\n", nil},
		{"set server bk/s1 weight -5%", msgWeightRelative + "\n", nil},
		{"set server bk/s2 weight 50%", "\n", []string{"weight bk/s2 2"}},
		{"set server bk/s2 weight 1000%", "\n", []string{"weight bk/s2 50"}},
		{"set server bk/s2 weight 99999999999999999999%", "\n", []string{"weight bk/s2 256"}},
		{"set server bk/s2 weight +7", "\n", []string{"weight bk/s2 7"}},
		{"set server st/a weight 5", msgWeightStatic + "\n", nil},
		{"set server st/a weight 0%", "\n", []string{"weight st/a 0"}},
		{"set server st/a weight 100%", "\n", []string{"weight st/a 1"}},
		{"set server st/a weight 1", "\n", []string{"weight st/a 1"}},
		{"set weight bk/s1 3", "\n", []string{"weight bk/s1 3"}},
		{"set weight bk/s1", "Require <weight> or <weight%>.\n\n", nil},
		{"set weight bk", "Require 'backend/server'.\n\n", nil},
		{"get weight", "Require 'backend/server'.\n\n", nil},
		{"get weight bk", "Require 'backend/server'.\n\n", nil},
		{"get weight bk/nope", "No such server.\n\n", nil},
		{"get weight nope/s1", "No such backend.\n\n", nil},
		{"get weight /s1", "No such backend.\n\n", nil},
		{"get weight bk/s1", "3 (initial 1)\n\n", nil},
		{"get weight #3/#2", "7 (initial 5)\n\n", nil},
	})
}

func TestAddrCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	by := " by 'stats socket command'\n\n"
	lo2 := netip.MustParseAddr("127.0.0.2")
	runReplyCases(t, f, srv, []replyCase{
		{"set server bk/s1 addr", msgAddrRequires + "\n", nil},
		{"set server bk/s1 addr foo", "Invalid addr 'foo'" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr fe80::1%lo", "Invalid addr 'fe80::1%lo'" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.1", "no need to change the addr" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.2", "IP changed from '127.0.0.1' to '127.0.0.2'" + by, []string{"addr bk/s1 {SetAddr:true Addr:127.0.0.2 SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.2 port 8080", "no need to change the addr, no need to change the port" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.2 port 8081", "no need to change the addr, port changed from '8080' to '8081'" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:true Port:8081 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.1 port abc", "IP changed from '127.0.0.2' to '127.0.0.1', problem converting port 'abc' to an int" + by, []string{"addr bk/s1 {SetAddr:true Addr:127.0.0.1 SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.1 port", "no need to change the addr, problem converting port '' to an int" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.1 prt 10", "no need to change the addr" + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.1 port +10", "no need to change the addr, can't change <port> to port map because it is incompatible with current health check port configuration (use 'port' statement from the 'server' directive." + by, []string{"addr bk/s1 {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server bk/s1 addr ::1 port 70000", "IP changed from '127.0.0.1' to '::1', port changed from '8081' to '4464'" + by, []string{"addr bk/s1 {SetAddr:true Addr:::1 SetPort:true Port:4464 PortMap:false}"}},
		{"set server bk/s1 addr 127.0.0.2 port 8080", "IP changed from '::1' to '127.0.0.2', port changed from '4464' to '8080'" + by, []string{"addr bk/s1 {SetAddr:true Addr:127.0.0.2 SetPort:true Port:8080 PortMap:false}"}},
	})
	if v := f.serverView("bk", "s1"); v.Addr != lo2 || v.Port != 8080 {
		t.Errorf("bk/s1 is %v:%d, want 127.0.0.2:8080", v.Addr, v.Port)
	}

	// Port offsets need a health check port to switch to.
	f.mu.Lock()
	_, x, _ := f.server("ls", "x")
	x.Check.Port = 9100
	f.mu.Unlock()
	runReplyCases(t, f, srv, []replyCase{
		{"set server ls/x addr 127.0.0.1 port +10", "no need to change the addr, port changed from '9001' to '+10'" + by, []string{"addr ls/x {SetAddr:false Addr:invalid IP SetPort:true Port:10 PortMap:true}"}},
		{"set server ls/x addr 127.0.0.1 port +10", "no need to change the addr, no need to change the port" + by, []string{"addr ls/x {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
		{"set server ls/x addr 127.0.0.1 port -1000", "no need to change the addr, port changed from '+10' to '-1000'" + by, []string{"addr ls/x {SetAddr:false Addr:invalid IP SetPort:true Port:64536 PortMap:true}"}},
		{"set server ls/x addr 127.0.0.1 port 80", "no need to change the addr, port changed from '+64536' to '80'" + by, []string{"addr ls/x {SetAddr:false Addr:invalid IP SetPort:true Port:80 PortMap:false}"}},
	})

	// A server without an inet address (init-addr none) cannot be moved,
	// but the call still goes through (it clears resolution maintenance).
	f.mu.Lock()
	_, a, _ := f.server("st", "a")
	a.Addr, a.Admin = netip.Addr{}, AdminRMaint
	f.mu.Unlock()
	runReplyCases(t, f, srv, []replyCase{
		{"set server st/a addr 127.0.0.9", "Update for the current server address family is only supported through configuration file" + by, []string{"addr st/a {SetAddr:false Addr:invalid IP SetPort:false Port:0 PortMap:false}"}},
	})
	if v := f.serverView("st", "a"); v.Admin&AdminRMaint != 0 {
		t.Error("resolution maintenance not cleared")
	}
}

func TestDynamicServerCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"add server", "Require 'backend/server'.\n", nil},
		{"add server bk", "Require 'backend/server'.\n", nil},
		{"add server bk/", "Require 'backend/server'.\n", nil},
		{"add server /n1 127.0.0.1:1", "Require 'backend/server'.\n", nil},
		{"add server nope/n1 127.0.0.1:1", "No such backend.\n", nil},
		{"add server st/n1 127.0.0.1:1", msgDynamicLBOnly + "\n", nil},
		{"add server bk/n1", "'server' expects <name> and <addr>[:<port>] as arguments.\n\n", []string{`add bk/n1 []`}},
		{"add server bk/n1 127.0.0.1:1 cookie x", "'cookie' option is not accepted for dynamic server\n\n", []string{`add bk/n1 ["127.0.0.1:1" "cookie" "x"]`}},
		{"add server bk/n1 127.0.0.1:1 weight 3", "New server registered.\n\n", []string{`add bk/n1 ["127.0.0.1:1" "weight" "3"]`}},
		{"add server bk/n1 127.0.0.1:2", "Already exists a server with the same name in backend.\n\n", []string{`add bk/n1 ["127.0.0.1:2"]`}},
		{"del server", "Require 'backend/server'.\n", nil},
		{"del server bk", "Require 'backend/server'.\n", nil},
		{"del server nope/x", "No such backend.\n", nil},
		{"del server bk/nope", "No such server.\n", nil},
		{"del server bk/s1", "Only servers in maintenance mode can be deleted.\n", []string{"del bk/s1"}},
		{"del server bk/n1", "Server deleted.\n", []string{"del bk/n1"}},
		{"del server bk/n1", "No such server.\n", nil},
	})
}

func TestProxyDisabled(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.backends[1].view.Disabled = true
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"set server st/a state drain", "Proxy is disabled.\n\n", nil},
		{"disable server st/a", "Proxy is disabled.\n\n", nil},
		{"get weight st/a", "1 (initial 1)\n\n", nil},
	})
}

func TestHealthOnTrackingServer(t *testing.T) {
	t.Parallel()
	f := newFake()
	f.backends[0].view.Servers[1].Tracking = true
	srv := startServer(t, LevelAdmin, f)
	runReplyCases(t, f, srv, []replyCase{
		{"set server bk/s2 health up", msgHealthTracking + "\n", nil},
		{"set server bk/s1 health up", "\n", []string{"health bk/s1 0"}},
	})
}

func TestShowCommands(t *testing.T) {
	t.Parallel()
	f := newFake()
	srv := startServer(t, LevelUser, f)
	runReplyCases(t, f, srv, []replyCase{
		{"show backend", "# name\nbk\nst\nls\n\n", nil},
		{"show servers state nope", "Can't find backend.\n\n", nil},
		{"show servers state #4", serversStateHeader + "4 st 1 a 127.0.0.1 2 0 1 1 0 1 0 2 0 0 0 0 - 9000 - 0 0 - - 0\n\n", nil},
		{"show servers state", serversStateHeader +
			"3 bk 1 s1 127.0.0.1 2 0 1 1 0 1 0 2 0 0 0 0 - 8080 - 0 0 - - 0\n" +
			"3 bk 2 s2 127.0.0.1 2 0 5 5 0 1 0 2 0 0 0 0 - 18081 - 0 0 - - 0\n" +
			"4 st 1 a 127.0.0.1 2 0 1 1 0 1 0 2 0 0 0 0 - 9000 - 0 0 - - 0\n" +
			"5 ls 1 x 127.0.0.1 0 0 1 1 0 8 2 0 6 0 0 0 - 9001 - 0 0 - - 0\n\n", nil},
		{"show stat nope 2 -1", "No such proxy.\n\n", nil},
	})
	// The header line of servers state, and the fields of a server line,
	// are what load-server-state-from-file expects.
	if fields := strings.Fields(strings.Split(serversStateHeader, "\n")[1]); len(fields) != 26 {
		t.Errorf("servers state header has %d names, want 25 after '#'", len(fields)-1)
	}
}

// statRows parses a `show stat` reply into rows of fields, checking its
// framing.
func statRows(t *testing.T, reply string) (header []string, rows [][]string) {
	t.Helper()
	if !strings.HasSuffix(reply, "\n\n") {
		t.Fatalf("reply does not end with an empty line: %.200q", reply)
	}
	lines := strings.Split(strings.TrimSuffix(reply, "\n\n"), "\n")
	header = strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	for _, l := range lines[1:] {
		// Fields holding a comma or a quote are quoted, as in CSV.
		f, err := csv.NewReader(strings.NewReader(l)).Read()
		if err != nil {
			t.Fatalf("row %q: %v", l, err)
		}
		if len(f) != len(header) {
			t.Fatalf("row has %d fields, header %d: %q", len(f), len(header), l)
		}
		rows = append(rows, f)
	}
	return header, rows
}

func TestShowStat(t *testing.T) {
	t.Parallel()
	f := newFake()
	admin := startServer(t, LevelAdmin, f)
	header, rows := statRows(t, tcpExchange(t, admin, "show stat\n"))
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	if len(header) != 129 || col["addr"] != 73 || col["cookie"] != 74 || header[103] != "-" || header[128] != "" {
		t.Fatalf("header: %d columns, addr %d, cookie %d", len(header), col["addr"], col["cookie"])
	}
	want := [][2]string{{"fe", "FRONTEND"}, {"bk", "s1"}, {"bk", "s2"}, {"bk", "BACKEND"},
		{"st", "a"}, {"st", "BACKEND"}, {"ls", "FRONTEND"}, {"ls", "x"}, {"ls", "BACKEND"}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	for i, w := range want {
		r := rows[i]
		if r[0] != w[0] || r[1] != w[1] {
			t.Errorf("row %d is %s/%s, want %s/%s", i, r[0], r[1], w[0], w[1])
		}
	}
	check := func(row int, name, want string) {
		t.Helper()
		if got := rows[row][col[name]]; got != want {
			t.Errorf("%s/%s %s = %q, want %q", rows[row][0], rows[row][1], name, got, want)
		}
	}
	check(0, "qcur", "") // frontends have no queue
	check(0, "status", "OPEN")
	check(0, "slim", "9983")
	check(0, "type", "0")
	check(0, "h1_bytes_in", "0")
	check(1, "addr", "127.0.0.1:8080")
	check(1, "cookie", f.cookieOf("bk", "s1"))
	check(1, "slim", "") // no maxconn
	check(1, "chkfail", "")
	check(1, "status", "no check")
	check(1, "lastsess", "-1")
	check(1, "type", "2")
	check(1, "h1_bytes_in", "")
	check(1, "ssl_sess", "0")
	check(3, "cookie", "SRVID")
	check(3, "algo", "roundrobin")
	check(3, "weight", "6")
	check(3, "type", "1")
	check(3, "addr", "")
	check(7, "check_status", "L4CON")
	check(7, "check_rise", "2")
	check(7, "status", "DOWN")
	check(8, "-", "-")

	// Filter on a proxy, kinds and server id.
	_, only := statRows(t, tcpExchange(t, admin, "show stat bk 4 -1\n"))
	if len(only) != 2 || only[0][1] != "s1" || only[1][1] != "s2" {
		t.Errorf("show stat bk 4 -1: %d rows", len(only))
	}
	_, only = statRows(t, tcpExchange(t, admin, "show stat 3 6 2\n"))
	if len(only) != 2 || only[0][1] != "s2" || only[1][1] != "BACKEND" {
		t.Errorf("show stat 3 6 2: %d rows", len(only))
	}

	_, only = statRows(t, tcpExchange(t, admin, "show stat #5 -1 -1\n"))
	if len(only) != 3 || only[0][1] != "FRONTEND" {
		t.Errorf("show stat #5 -1 -1: %d rows", len(only))
	}

	// no-maint hides servers in maintenance; up also the down ones.
	tcpExchange(t, admin, "disable server bk/s1\n")
	names := func(cmd string) (n []string) {
		_, rs := statRows(t, tcpExchange(t, admin, cmd))
		for _, r := range rs {
			n = append(n, r[0]+"/"+r[1])
		}
		return n
	}
	if got := strings.Join(names("show stat no-maint\n"), " "); got != "fe/FRONTEND bk/s2 bk/BACKEND st/a st/BACKEND ls/FRONTEND ls/x ls/BACKEND" {
		t.Errorf("no-maint: %s", got)
	}
	if got := strings.Join(names("show stat bk 4 -1 up\n"), " "); got != "bk/s2" {
		t.Errorf("bk 4 -1 up: %s", got)
	}
	if got := strings.Join(names("show stat up typed\n"), " "); got != "fe/FRONTEND bk/s2 bk/BACKEND st/a st/BACKEND ls/FRONTEND ls/BACKEND" {
		t.Errorf("up: %s", got)
	}
	tcpExchange(t, admin, "enable server bk/s1\n")
	f.takeCalls()

	// Below operator, addresses and cookies are not shown.
	user := startServer(t, LevelUser, f)
	_, rows = statRows(t, tcpExchange(t, user, "show stat\n"))
	if rows[1][col["addr"]] != "" || rows[1][col["cookie"]] != "" || rows[3][col["cookie"]] != "" {
		t.Errorf("user socket shows addr %q cookie %q", rows[1][col["addr"]], rows[1][col["cookie"]])
	}

	// Dynamic cookies change is visible right after the reply.
	tcpExchange(t, admin, "disable dynamic-cookie backend bk\n")
	_, rows = statRows(t, tcpExchange(t, admin, "show stat\n"))
	if c := rows[1][col["cookie"]]; c != "" {
		t.Errorf("cookie after disable: %q", c)
	}
}

// infoKeys are the keys of HAProxy 2.6.12's `show info`, in order.
var infoKeys = []string{"Name", "Version", "Release_date", "Nbthread", "Nbproc", "Process_num", "Pid",
	"Uptime", "Uptime_sec", "Memmax_MB", "PoolAlloc_MB", "PoolUsed_MB", "PoolFailed", "Ulimit-n",
	"Maxsock", "Maxconn", "Hard_maxconn", "CurrConns", "CumConns", "CumReq", "MaxSslConns",
	"CurrSslConns", "CumSslConns", "Maxpipes", "PipesUsed", "PipesFree", "ConnRate", "ConnRateLimit",
	"MaxConnRate", "SessRate", "SessRateLimit", "MaxSessRate", "SslRate", "SslRateLimit", "MaxSslRate",
	"SslFrontendKeyRate", "SslFrontendMaxKeyRate", "SslFrontendSessionReuse_pct", "SslBackendKeyRate",
	"SslBackendMaxKeyRate", "SslCacheLookups", "SslCacheMisses", "CompressBpsIn", "CompressBpsOut",
	"CompressBpsRateLim", "Tasks", "Run_queue", "Idle_pct", "node", "Stopping", "Jobs",
	"Unstoppable Jobs", "Listeners", "ActivePeers", "ConnectedPeers", "DroppedLogs", "BusyPolling",
	"FailedResolutions", "TotalBytesOut", "TotalSplicdedBytesOut", "BytesOutRate",
	"DebugCommandsIssued", "CumRecvLogs", "Build info", "Memmax_bytes", "PoolAlloc_bytes",
	"PoolUsed_bytes", "Start_time_sec", "Tainted"}

func TestShowInfo(t *testing.T) {
	t.Parallel()
	srv := startServer(t, LevelUser, newFake())
	got := tcpExchange(t, srv, "show info\n")
	if !strings.HasSuffix(got, "\n\n") {
		t.Fatalf("no empty line at the end: %q", got)
	}
	lines := strings.Split(strings.TrimSuffix(got, "\n\n"), "\n")
	if len(lines) != len(infoKeys) {
		t.Fatalf("%d lines, want %d", len(lines), len(infoKeys))
	}
	values := map[string]string{}
	for i, l := range lines {
		k, v, ok := strings.Cut(l, ": ")
		if !ok || k != infoKeys[i] {
			t.Errorf("line %d is %q, want key %q", i, l, infoKeys[i])
		}
		values[k] = v
	}
	for k, v := range map[string]string{"Name": "tether", "Version": "0.0-test", "Uptime": "0d 0h01m14s",
		"Uptime_sec": "74", "Pid": "4242", "CumReq": "138", "Start_time_sec": "1795313424",
		"Build info": "0.0-test", "node": "vm", "Nbproc": "1"} {
		if values[k] != v {
			t.Errorf("%s: %q, want %q", k, values[k], v)
		}
	}
}
