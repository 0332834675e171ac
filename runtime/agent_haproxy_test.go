package runtime

import (
	"fmt"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// agentColumns returns the columns of `show stat` an agent check drives,
// for every server row, then the agent fields of `show servers state`,
// with whether a check runs at that instant ("* ", state bit 1) masked.
func agentColumns(t *testing.T, sock string) string {
	var b strings.Builder
	header, rows := statRows(t, cli(t, sock, "show stat"))
	col := func(r []string, name string) string {
		for i, h := range header {
			if h == name && i < len(r) {
				return r[i]
			}
		}
		return "?"
	}
	for _, r := range rows {
		if r[1] == "FRONTEND" || r[1] == "BACKEND" {
			continue
		}
		fmt.Fprintf(&b, "%s/%s:", r[0], r[1])
		for _, name := range []string{"status", "weight", "uweight", "slim", "chkfail", "chkdown", "check_status",
			"agent_status", "agent_code", "last_agt", "agent_desc", "agent_rise", "agent_fall", "agent_health"} {
			fmt.Fprintf(&b, " %s=%s", name, strings.TrimPrefix(col(r, name), "* "))
		}
		b.WriteString("\n")
	}
	for _, l := range strings.Split(cli(t, sock, "show servers state"), "\n") {
		f := strings.Fields(l)
		if len(f) != 25 {
			continue
		}
		st, _ := strconv.Atoi(f[14])
		fmt.Fprintf(&b, "%s/%s: agent_state=%d agent_addr=%s agent_port=%s\n", f[1], f[3], st&^1, f[23], f[24])
	}
	return b.String()
}

// eventServerRE finds the server, or else the backend, a log line is about.
var eventServerRE = regexp.MustCompile(`(?:Server |backend )([^ ]+)`)

// byServer groups the lines about servers and backends by the server (or
// backend) they are about; the traffic's lines are left out.
func byServer(lines []string) map[string][]string {
	out := make(map[string][]string)
	for _, l := range lines {
		if m := eventServerRE.FindStringSubmatch(l); m != nil {
			out[m[1]] = append(out[m[1]], l)
		}
	}
	return out
}

// TestDifferentialAgentCheck runs haproxy 2.6 and tether with agent
// checks against the same scripted agents, changes what the agents say
// (weights, up, down with a description, drain, maint, ready, maxconn,
// words of no kind, bad weights, an empty answer, a line cut short, a
// refused connection), and compares the agent columns of `show stat`
// after each step and every state change both logged.
func TestDifferentialAgentCheck(t *testing.T) {
	// The agents read what the checker sends before they answer: haproxy
	// 2.6 may miss the answer of an agent that speaks first (L7TOUT).
	solo, duo, hello := startScriptTarget(t, "up\n", false), startScriptTarget(t, "100%\n", false),
		startScriptTarget(t, "up\n", false)
	oSolo, oDuo, oHello := startOrigin(t, "solo"), startOrigin(t, "duo"), startOrigin(t, "hello")
	dead := refusingAddr(t)
	pr := startLogged(t, 1, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
    max-spread-checks 100ms
`+testDefaults+`frontend fe
    bind 127.0.0.1:%d
    default_backend ag
backend ag
    log global
    default-server agent-send "ping\n" agent-addr 127.0.0.1 agent-inter 100ms
    server solo %s agent-check agent-port %d weight 10
    server duo %s check inter 100ms rise 1 fall 1 agent-check agent-port %d weight 20
    server hello %s agent-check agent-port %d agent-send "hello\n"
backend st
    log global
    balance static-rr
    option log-health-checks
    server s %s agent-check agent-addr 127.0.0.1 agent-port %d agent-inter 100ms agent-send "x\n"
backend nobody
    log global
    server n %s check inter 100ms agent-check agent-port %d agent-inter 100ms
    server plain %s addr 127.0.0.1 port %d
`, stats, log, fronts[0], oSolo.addr, solo.addr.Port(), oDuo.addr, duo.addr.Port(), oHello.addr, hello.addr.Port(),
			oSolo.addr, duo.addr.Port(), oDuo.addr, dead.Port(), oDuo.addr, oDuo.addr.Port())
	})
	hsock, tsock, hlog, tlog := pr.h.sock, pr.g.sock, pr.logs[0], pr.logs[1]
	settle := func(label, expect string) {
		t.Helper()
		settleColumns(t, agentColumns, hsock, tsock, label, expect)
	}
	settle("start", "ag/hello: status=no check weight=1 uweight=1 slim= chkfail= chkdown= check_status= agent_status=L7OK")
	// One agent changes its answer at a time, so that the counts of
	// servers in the lines do not depend on which agent is checked first.
	steps := []struct {
		agent  *scriptTarget
		reply  string
		expect string // a line of agentColumns both must show, in part
	}{
		{solo, "50%\n", "ag/solo: status=no check weight=5"},
		{duo, "25% maxconn:7\n", "ag/duo: status=UP weight=5 uweight=5 slim=7"},
		{solo, "down # maintenance window\n", "ag/solo: status=DOWN (agent)"},
		{duo, "drain\n", "ag/duo: status=DRAIN (agent)"},
		{solo, "up 100%\n", "ag/solo: status=no check weight=10"},
		{duo, "ready\n", "ag/duo: status=UP weight=5"},
		{solo, "maint\n", "ag/solo: status=MAINT"},
		{duo, "bogus 300%\n", "ag/duo: status=UP weight=60"},
		{solo, "ready up\n", "ag/solo: status=no check"},
		{duo, "fail\n", "ag/duo: status=DOWN (agent)"},
		{solo, "up bad%word\n", "last_agt=via agent : up (bad%word)"},
		{duo, "stopped,up 7%x #why\n", "last_agt=via agent : up (Trailing garbage in weight string)"},
		{solo, "", "last_agt=TCPCHK got an empty response at step 2"},
		// Replies whose warning ends in a line feed are left out: haproxy
		// prints it raw in its CSV.
		{duo, "maxconn:x 5%\n", "weight=1 uweight=1 slim=7 chkfail=0 chkdown=1 check_status=L4OK agent_status=CHECKED agent_code= last_agt=agent warns : maxconn string empty or preceded by garbage"},
		// A line cut short keeps the last status: one without a state
		// first, as haproxy may see a previous failure or not.
		{solo, "\n", "agent_status=CHECKED agent_code= last_agt= agent_desc=No status change agent_rise=1 agent_fall=1 agent_health=1"},
		{solo, "up", "last_agt=Ignoring incomplete line from agent"},
		{duo, "100%\n", "ag/duo: status=UP weight=20"},
		{solo, "up\n", "ag/solo: status=no check weight=10 uweight=10 slim= chkfail= chkdown= check_status= agent_status=L7OK"},
	}
	// serving compares which servers of ag take new traffic through
	// both proxies, over more requests than the weights ever add up to.
	servers := func(d *diffSide) []string {
		hc := dialHTTP(t, d.front)
		seen := map[string]bool{}
		for range 80 {
			seen[hc.mustGet(t, "").server] = true
		}
		return slices.Sorted(maps.Keys(seen))
	}
	serving := func(label string) {
		t.Helper()
		if want, got := servers(pr.h), servers(pr.g); !slices.Equal(got, want) {
			t.Errorf("%s: tether sends to %v, haproxy to %v", label, got, want)
		}
	}
	serving("start")
	for _, s := range steps {
		s.agent.set(s.reply)
		label := fmt.Sprintf("after %q", s.reply)
		settle(label, s.expect)
		serving(label)
	}

	// The runtime API: an agent that answers without a state leaves the
	// server as the commands put it.
	solo.set("\n")
	settle("solo says nothing", "ag/solo: status=no check weight=10 uweight=10 slim= chkfail= chkdown= check_status= agent_status=CHECKED")
	for _, c := range []struct{ cmd, expect string }{
		{"set server ag/solo agent down", "ag/solo: status=DOWN (agent)"},
		{"set server ag/solo agent sideways", "ag/solo: status=DOWN (agent)"},
		{"set server ag/solo agent up", "ag/solo: status=no check"},
		{"disable agent ag/solo", "ag/solo: status=no check weight=10 uweight=10 slim= chkfail= chkdown= check_status= agent_status= "},
		{"set server ag/solo agent down", "ag/solo: status=no check"},
		{"enable agent nobody/plain", "nobody/plain: status=no check"},
		{"disable agent nobody/plain", "nobody/plain: status=no check"},
		{"enable agent ag/solo", "ag/solo: status=no check weight=10 uweight=10 slim= chkfail= chkdown= check_status= agent_status=CHECKED"},
		{"set server ag/duo agent down", "ag/duo: status=DOWN (agent)"},
		{"set server ag/duo agent up", "ag/duo: status=UP"},
		{"set server nobody/plain agent-port 1", "nobody/plain: agent_state=0"},
		{"set server nobody/plain agent-send x", "nobody/plain: agent_state=0"},
		{"set server ag/duo agent-addr", "ag/duo: status=UP"},
		{"set server ag/duo agent-port", "ag/duo: status=UP"},
		{"set server ag/duo agent-addr nope", "ag/duo: status=UP"},
		{"set server ag/duo agent-port x", "ag/duo: status=UP"},
		{"set server ag/duo agent-port 70000", "ag/duo: status=UP"},
		{"set server ag/duo agent-addr 127.0.0.1 port x", "ag/duo: status=UP"},
		{fmt.Sprintf("set server ag/duo agent-port %d", solo.addr.Port()),
			fmt.Sprintf("ag/duo: agent_state=22 agent_addr=127.0.0.1 agent_port=%d", solo.addr.Port())},
		{fmt.Sprintf("set server ag/duo agent-addr 127.0.0.1 port %d", dead.Port()), "last_agt=Connection refused agent_desc=Layer4 connection problem agent_rise=1 agent_fall=1 agent_health=1\nag/hello"},
		{fmt.Sprintf("set server ag/duo agent-addr 127.0.0.1 port %d", duo.addr.Port()), "agent_status=CHECKED agent_code= last_agt= agent_desc=No status change agent_rise=1 agent_fall=1 agent_health=1\nag/hello"},
		{"set server ag/hello agent-send bye", "ag/hello: status=no check"},
		// An added server's agent runs once enabled.
		{fmt.Sprintf("add server ag/late %s agent-check agent-addr 127.0.0.1 agent-port %d agent-inter 100ms agent-send x", oHello.addr, hello.addr.Port()),
			"ag/late: agent_state=18"},
		{"enable agent ag/late", "ag/late: status=MAINT weight=1 uweight=1 slim= chkfail= chkdown= check_status= agent_status=L7OK"},
		{"enable server ag/late", "ag/late: status=no check"},
		{"disable server ag/late", "ag/late: status=MAINT"},
		{"del server ag/late", "ag/hello: status=no check"},
	} {
		pr.both(t, c.cmd)
		settle(c.cmd, c.expect)
		serving(c.cmd)
	}

	time.Sleep(500 * time.Millisecond) // the last lines on their way
	// The servers of a backend are checked in an order of each proxy's
	// own: the lines are compared server by server, in order for each.
	want, got := byServer(hlog.drain()), byServer(tlog.drain())
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("state changes logged:\ntether\n%s\nhaproxy\n%s", joinGroups(got), joinGroups(want))
	}
	if len(want["ag/solo"]) < 4 || len(want["ag/duo"]) < 4 {
		t.Errorf("haproxy logged only %d and %d state changes of ag/solo and ag/duo", len(want["ag/solo"]), len(want["ag/duo"]))
	}
}
