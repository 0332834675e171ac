package runtime

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

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
// and port.
func serverColumns(reply string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(reply, "\n") {
		f := strings.Fields(line)
		if len(f) < 19 || strings.HasPrefix(line, "#") {
			continue
		}
		out[f[3]] = strings.Join([]string{f[4], f[5], f[6], f[18]}, " ")
	}
	return out
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
// in maintenance for resolution (admin state 32) without address.
func TestDifferentialResolve(t *testing.T) {
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
	}
}
