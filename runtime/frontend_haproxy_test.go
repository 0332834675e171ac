package runtime

import (
	"fmt"
	"net"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDifferentialFrontendState disables, enables and shuts down frontends
// on haproxy 2.6 and tether and requires the same replies, status columns
// and log lines, and the same effect on clients: a disabled frontend
// refuses new connections on each of its addresses while the clients it
// holds are still served, an enabled one accepts again, a shut one for
// good.
func TestDifferentialFrontendState(t *testing.T) {
	t.Parallel()
	o := startOrigin(t, "s1")
	pr := startLogged(t, 3, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
`+testDefaults+`    log %s local0
frontend fe
    bind 127.0.0.1:%d
    bind 127.0.0.1:%d
    default_backend be
listen ls
    bind 127.0.0.1:%d
    server s1 %s
backend be
    server s1 %s
`, stats, log, fronts[0], fronts[1], fronts[2], o.addr, o.addr)
	})
	socks := [2]string{pr.h.sock, pr.g.sock}
	status := func(side int) string {
		var b strings.Builder
		header, rows := statRows(t, cli(t, socks[side], "show stat"))
		for _, r := range rows {
			if r[1] == "FRONTEND" {
				fmt.Fprintf(&b, "%s=%s ", r[0], r[slices.Index(header, "status")])
			}
		}
		return b.String()
	}
	// reach tells, for each of a side's addresses, whether a new client is
	// served ("ok") or refused.
	reach := func(side int) string {
		var out []string
		for _, addr := range pr.fronts[side] {
			hc, err := dialHTTPErr(addr)
			if err != nil {
				out = append(out, "refused")
				continue
			}
			if _, err := hc.get(""); err != nil {
				out = append(out, "error: "+err.Error())
			} else {
				out = append(out, "ok")
			}
			hc.c.Close()
		}
		return strings.Join(out, " ")
	}
	held := [2]*httpConn{dialHTTP(t, pr.fronts[0][0]), dialHTTP(t, pr.fronts[1][0])}
	for side := range 2 {
		held[side].mustGet(t, "")
	}
	step := func(cmds ...string) {
		t.Helper()
		for _, cmd := range cmds {
			pr.both(t, cmd)
		}
		time.Sleep(50 * time.Millisecond)
		var got [2]string
		for side := range 2 {
			got[side] = status(side) + "| " + reach(side)
			if _, err := held[side].get(""); err != nil {
				got[side] += " | held client: " + err.Error()
			}
		}
		if got[1] != got[0] {
			t.Errorf("after %q:\ntether  %s\nhaproxy %s", cmds, got[1], got[0])
		}
	}
	step()
	step("disable frontend fe")
	step("disable frontend fe", "disable frontend", "disable frontend nope", "disable frontend be")
	step("enable frontend fe", "enable frontend fe", "enable frontend nope")
	step("disable frontend ls")
	step("enable frontend ls")
	step("shutdown frontend ls", "shutdown frontend ls", "enable frontend ls", "disable frontend ls", "shutdown frontend")
	time.Sleep(200 * time.Millisecond)
	var lines [2][]string
	for side := range 2 {
		for _, l := range pr.logs[side].drain() {
			if strings.Contains(l, "rontend") || strings.Contains(l, "roxy") {
				lines[side] = append(lines[side], l)
			}
		}
	}
	if !slices.Equal(lines[1], lines[0]) || len(lines[0]) != 5 {
		t.Errorf("log lines\ntether\n%s\nhaproxy\n%s", strings.Join(lines[1], "\n"), strings.Join(lines[0], "\n"))
	}
}
