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

// TestDifferentialResolveLog: the lines haproxy 2.6 logs as resolution
// changes a server-template's servers (addresses set and changed, names
// gone, answers refused) are the lines tether logs.
func TestDifferentialResolveLog(t *testing.T) {
	ns := dnstest.Start(t)
	ns.Set("app.test.", "127.0.0.11", "127.0.0.12")
	ports := freePorts(t, 5)
	hlog, tlog := startEventLog(t), startEventLog(t)
	cfg := func(stats, front int, log string) string {
		c := frontConfig(stats, front, "be") + fmt.Sprintf(`resolvers r
    nameserver ns1 %s
    timeout resolve 100ms
    timeout retry 100ms
    hold nx 300ms
    hold obsolete 300ms
backend be
    log %s local0
    server-template srv 3 app.test:%d resolvers r init-addr none
`, ns.Addr, log, ports[4])
		return c
	}
	hsock := fmt.Sprintf("127.0.0.1:%d", ports[0])
	startHAProxy(t, cfg(ports[0].(int), ports[1].(int), hlog.pc.LocalAddr().String()), hsock)
	tt := startTether(t, cfg(ports[2].(int), ports[3].(int), tlog.pc.LocalAddr().String()))
	for _, step := range []struct {
		what   string
		change func()
		want   []string
	}{
		{"two records", func() {}, []string{"127.0.0.11", "127.0.0.12"}},
		{"one changed", func() { ns.Set("app.test.", "127.0.0.11", "127.0.0.13") }, []string{"127.0.0.11", "127.0.0.13"}},
		{"NXDOMAIN", func() { ns.SetRcode("app.test.", mdns.RcodeNameError) }, nil},
		{"back", func() { ns.Set("app.test.", "127.0.0.12") }, []string{"127.0.0.12"}},
	} {
		step.change()
		var h, g map[string]string
		deadline := time.Now().Add(5 * time.Second)
		for {
			h = serverColumns(cli(t, hsock, "show servers state be"))
			g = serverColumns(cli(t, tt.socket(0), "show servers state be"))
			if slices.Equal(addrsOf(h), step.want) && maps.Equal(h, g) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s:\nhaproxy %v\ntether  %v", step.what, h, g)
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond) // the step's lines on their way
		want, got := hlog.drain(), tlog.drain()
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: logged\ntether\n%s\nhaproxy\n%s", step.what, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
