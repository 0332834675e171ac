package runtime

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"tether/engine/dns/dnstest"
)

// resolveConfig renders a configuration whose backend be is a
// server-template of 3 servers resolving app.test with the nameserver at
// ns.
func resolveConfig(stats, front int, ns string, port int) string {
	return frontConfig(stats, front, "be") + fmt.Sprintf(`resolvers r
    nameserver ns1 %s
    timeout resolve 100ms
    timeout retry 100ms
    hold other 300ms
    hold nx 300ms
backend be
    server-template srv 3 app.test:%d resolvers r init-addr none resolve-prefer ipv4
`, ns, port)
}

// serverColumns returns, per server of a `show servers state be` reply,
// the columns resolution changes: address, operational and admin states,
// port, current weight, FQDN and SRV record.
func serverColumns(reply string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(reply, "\n") {
		f := strings.Fields(line)
		if len(f) < 20 || strings.HasPrefix(line, "#") {
			continue
		}
		out[f[3]] = strings.Join([]string{f[4], f[5], f[6], f[18], f[7], f[17], f[19]}, " ")
	}
	return out
}

// statStatus returns, per server of a `show stat` reply, its status and
// address columns.
func statStatus(t *testing.T, reply string) map[string]string {
	t.Helper()
	_, rows := statRows(t, reply)
	out := map[string]string{}
	for _, r := range rows {
		if r[1] != "FRONTEND" && r[1] != "BACKEND" {
			out[r[1]] = r[17] + " " + r[73]
		}
	}
	return out
}

// sameServers waits up to 5 seconds until haproxy's `show servers state
// be` (its CLI at hsock) gives the servers the addresses want and tether's
// (at tsock) the same columns; it fails the test, saying what (the step),
// if they never do.
func sameServers(t *testing.T, hsock, tsock string, want []string, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		h := serverColumns(cli(t, hsock, "show servers state be"))
		g := serverColumns(cli(t, tsock, "show servers state be"))
		if slices.Equal(addrsOf(h), want) && maps.Equal(h, g) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s:\nhaproxy %v\ntether  %v", what, h, g)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// addrsOf returns the sorted addresses of the servers of columns that
// have one.
func addrsOf(cols map[string]string) []string {
	var out []string
	for _, c := range cols {
		if a := strings.Fields(c)[0]; a != "-" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return out
}

// TestDifferentialResolve runs haproxy and tether on the same
// server-template resolved through one test DNS server, changes the
// records, and compares the address, states and port of every server in
// `show servers state` once both applied each change: the same server gets
// the same address (haproxy's record order), a server without record is
// in maintenance for resolution (admin state 32, show stat status "MAINT
// (resolution)") without address.
func TestDifferentialResolve(t *testing.T) {
	t.Parallel()
	ns := dnstest.Start(t)
	ns.Set("app.test.", "127.0.0.11")
	ports := freePorts(t, 5)
	hsock := fmt.Sprintf("127.0.0.1:%d", ports[0])
	startHAProxy(t, resolveConfig(ports[0].(int), ports[1].(int), ns.Addr.String(), ports[4].(int)), hsock)
	tt := startTether(t, resolveConfig(ports[2].(int), ports[3].(int), ns.Addr.String(), ports[4].(int)))
	for _, step := range []struct {
		records []string
		want    []string
	}{
		{[]string{"127.0.0.11"}, []string{"127.0.0.11"}},
		{[]string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}, []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"}},
		{[]string{"127.0.0.13"}, []string{"127.0.0.13"}},
		{[]string{"127.0.0.12", "127.0.0.14"}, []string{"127.0.0.12", "127.0.0.14"}},
		{nil, nil},
	} {
		ns.Set("app.test.", step.records...)
		var h, g map[string]string
		deadline := time.Now().Add(5 * time.Second)
		for {
			h = serverColumns(cli(t, hsock, "show servers state be"))
			g = serverColumns(cli(t, tt.socket(0), "show servers state be"))
			if slices.Equal(addrsOf(h), step.want) && slices.Equal(addrsOf(g), step.want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("records %v: haproxy %v, tether %v", step.records, h, g)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if !maps.Equal(h, g) {
			t.Errorf("records %v:\nhaproxy %v\ntether  %v", step.records, h, g)
		}
		hs, gs := statStatus(t, cli(t, hsock, "show stat")), statStatus(t, cli(t, tt.socket(0), "show stat"))
		if !maps.Equal(hs, gs) {
			t.Errorf("records %v, show stat:\nhaproxy %v\ntether  %v", step.records, hs, gs)
		}
	}
}

// srvConfig renders a configuration whose backend be is a server-template
// of 4 servers filled from the SRV records of _http._tcp.app.test, logging
// to log.
func srvConfig(stats, front int, ns, log string) string {
	return frontConfig(stats, front, "be") + fmt.Sprintf(`resolvers r
    nameserver ns1 %s
    timeout resolve 100ms
    timeout retry 100ms
backend be
    log %s local0
    server-template sr 4 _http._tcp.app.test resolvers r init-addr none resolve-prefer ipv4
`, ns, log)
}

// TestDifferentialResolveSRV compares haproxy and tether filling a
// server-template from SRV records, with addresses from the additional
// section or from resolving the targets, ports, and weights from the
// records' weights, as records come, change and go.
func TestDifferentialResolveSRV(t *testing.T) {
	t.Parallel()
	ns := dnstest.Start(t)
	ns.SetExtra("a.app.test.", "127.0.0.21")
	ns.SetExtra("d.app.test.", "127.0.0.24")
	ns.Set("b.app.test.", "127.0.0.22")
	ns.Set("c.app.test.", "127.0.0.23")
	ports := freePorts(t, 4)
	hsock := fmt.Sprintf("127.0.0.1:%d", ports[0])
	ns.SetSRV("_http._tcp.app.test.", "a.app.test. 8081 512", "b.app.test. 8082 0", "c.app.test. 8083 1")
	hlog, tlog := startEventLog(t), startEventLog(t)
	startHAProxy(t, srvConfig(ports[0].(int), ports[1].(int), ns.Addr.String(), hlog.pc.LocalAddr().String()), hsock)
	tt := startTether(t, srvConfig(ports[2].(int), ports[3].(int), ns.Addr.String(), tlog.pc.LocalAddr().String()))
	for _, step := range []struct {
		records []string
		want    []string
	}{
		{[]string{"a.app.test. 8081 512", "b.app.test. 8082 0", "c.app.test. 8083 1"}, []string{"127.0.0.21", "127.0.0.22", "127.0.0.23"}},
		{[]string{"a.app.test. 8081 512", "c.app.test. 8083 1"}, []string{"127.0.0.21", "127.0.0.23"}},
		{[]string{"a.app.test. 8081 65535", "c.app.test. 8083 1", "d.app.test. 8084 300"}, []string{"127.0.0.21", "127.0.0.23", "127.0.0.24"}},
	} {
		ns.SetSRV("_http._tcp.app.test.", step.records...)
		sameServers(t, hsock, tt.socket(0), step.want, fmt.Sprintf("records %v", step.records))
		sameLines(t, fmt.Sprint("records ", step.records), hlog, tlog)
	}
}

// TestDifferentialResolveErrors compares haproxy and tether through
// NXDOMAIN past hold nx, recovery, and the default preference for IPv6:
// AAAA is asked first and A only when the AAAA answer is empty. After each
// step the lines both logged must be the same: addresses set and what set
// them, maintenance for a DNS status, resolving again.
func TestDifferentialResolveErrors(t *testing.T) {
	t.Parallel()
	ns := dnstest.Start(t)
	ns.Set("app.test.", "127.0.0.11", "127.0.0.12")
	ports := freePorts(t, 5)
	hlog, tlog := startEventLog(t), startEventLog(t)
	cfg := func(stats, front int, log *eventLog) string {
		return frontConfig(stats, front, "be") + fmt.Sprintf(`resolvers r
    nameserver ns1 %s
    timeout resolve 100ms
    timeout retry 100ms
    hold nx 300ms
backend be
    log %s local0
    server-template srv 3 app.test:%d resolvers r init-addr none
`, ns.Addr, log.pc.LocalAddr(), ports[4])
	}
	hsock := fmt.Sprintf("127.0.0.1:%d", ports[0])
	startHAProxy(t, cfg(ports[0].(int), ports[1].(int), hlog), hsock)
	tt := startTether(t, cfg(ports[2].(int), ports[3].(int), tlog))
	for _, step := range []struct {
		what   string
		change func()
		want   []string
	}{
		{"A records only", func() {}, []string{"127.0.0.11", "127.0.0.12"}},
		{"one changed", func() { ns.Set("app.test.", "127.0.0.11", "127.0.0.13") }, []string{"127.0.0.11", "127.0.0.13"}},
		{"NXDOMAIN", func() { ns.SetRcode("app.test.", mdns.RcodeNameError) }, nil},
		{"back", func() { ns.Set("app.test.", "127.0.0.12") }, []string{"127.0.0.12"}},
		{"AAAA and A", func() { ns.Set("app.test.", "127.0.0.13", "::1") }, []string{"::1"}},
	} {
		step.change()
		sameServers(t, hsock, tt.socket(0), step.want, step.what)
		sameLines(t, step.what, hlog, tlog)
	}
}

// sameLines requires the lines both proxies logged since the last call,
// in any order, to be the same, once the last are on their way.
func sameLines(t *testing.T, what string, hlog, tlog *eventLog) {
	t.Helper()
	if d := diffLines(hlog, tlog); d != "" {
		t.Errorf("%s: logged\n%s", what, d)
	}
}

// diffLines waits a little for the last lines, then returns both logs'
// lines side by side when they differ (in any order), "" when they do not.
func diffLines(hlog, tlog *eventLog) string {
	time.Sleep(100 * time.Millisecond)
	want, got := hlog.drain(), tlog.drain()
	slices.Sort(want)
	slices.Sort(got)
	if slices.Equal(got, want) {
		return ""
	}
	return "tether\n" + strings.Join(got, "\n") + "\nhaproxy\n" + strings.Join(want, "\n")
}
