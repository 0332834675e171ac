package dns

import (
	"maps"
	"net/netip"
	"slices"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"tether/engine/dns/dnstest"
)

// TestTemplateSpread spreads one name's records over a template's servers,
// one address each, fills free servers as records appear and sends the
// server of a vanished record to maintenance without address.
func TestTemplateSpread(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("app.test.", "127.0.0.11", "127.0.0.12")
	cfg := testConfig(ts)
	tr := startResolver(t, cfg, template(3, "app.test"))

	distinct := func(want ...string) func() bool {
		return func() bool {
			got := slices.Sorted(maps.Values(tr.addrs()))
			return slices.Equal(got, want)
		}
	}
	waitFor(t, "two servers with the two records", distinct("127.0.0.11", "127.0.0.12"))

	ts.Set("app.test.", "127.0.0.11", "127.0.0.12", "127.0.0.13")
	waitFor(t, "the third record to fill the free server", distinct("127.0.0.11", "127.0.0.12", "127.0.0.13"))
	holder := ""
	for n, a := range tr.addrs() {
		if a == "127.0.0.12" {
			holder = n
		}
	}

	ts.Set("app.test.", "127.0.0.11", "127.0.0.13")
	waitFor(t, "the server of the vanished record in maintenance", distinct("127.0.0.11", "127.0.0.13"))
	v := tr.get(holder)
	if !v.Maint || v.Addr.IsValid() || v.Reason != "No IP for server " {
		t.Fatalf("server %s after its record vanished: %+v", holder, v)
	}

	ts.Set("app.test.", "127.0.0.11", "127.0.0.13", "127.0.0.14")
	waitFor(t, "the new record in the freed server", func() bool { return tr.addrs()[holder] == "127.0.0.14" })
}

// TestDuplicates gives one record to one server only, unless allow-dup-ip.
func TestDuplicates(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("one.test.", "127.0.0.21")
	servers := template(2, "one.test")
	tr := startResolver(t, testConfig(ts), servers)
	waitFor(t, "one server up", func() bool { return len(tr.addrs()) == 1 })
	time.Sleep(150 * time.Millisecond) // a few more resolutions
	if n := len(tr.addrs()); n != 1 {
		t.Fatalf("%d servers share the one record without allow-dup-ip", n)
	}

	dup := template(2, "one.test")
	for i := range dup {
		dup[i].AllowDup = true
	}
	tr2 := startResolver(t, testConfig(ts), dup)
	waitFor(t, "both servers on the one record", func() bool {
		a := tr2.addrs()
		return a["web1"] == "127.0.0.21" && a["web2"] == "127.0.0.21"
	})
}

// TestPreferFallback asks the preferred type first and the other one when
// the answer has no record; resolve-prefer picks the family.
func TestPreferFallback(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("v4.test.", "127.0.0.31")
	ts.Set("both.test.", "127.0.0.32", "::1")
	servers := []Server{
		{Backend: "be", Name: "s1", Host: "v4.test", Maint: true},
		{Backend: "be", Name: "s2", Host: "both.test", Maint: true},
		{Backend: "be", Name: "s3", Host: "both.test", Prefer: IPv4, Maint: true},
	}
	tr := startResolver(t, testConfig(ts), servers)
	waitFor(t, "three servers up", func() bool { return len(tr.addrs()) == 3 })
	if got := tr.addrs(); got["s1"] != "127.0.0.31" || got["s2"] != "::1" || got["s3"] != "127.0.0.32" {
		t.Fatalf("addresses %v", got)
	}
	var v4 []uint16
	for _, q := range ts.Asked() {
		if q.Name == "v4.test." {
			v4 = append(v4, q.Qtype)
		}
	}
	if len(v4) < 2 || v4[0] != mdns.TypeAAAA || v4[1] != mdns.TypeA {
		t.Fatalf("questions for v4.test: %v, want AAAA then A", v4)
	}
}

// TestNXHold keeps the address through NXDOMAIN for hold nx, then sends
// the server to maintenance; a valid answer brings it back.
func TestNXHold(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("nx.test.", "127.0.0.41")
	cfg := testConfig(ts)
	cfg.Hold.NX = 400 * time.Millisecond
	tr := startResolver(t, cfg, []Server{{Backend: "be", Name: "s", Host: "nx.test", Prefer: IPv4, Maint: true}})
	waitFor(t, "server up", func() bool { return tr.addrs()["s"] == "127.0.0.41" })

	ts.SetRcode("nx.test.", mdns.RcodeNameError)
	start := time.Now()
	waitFor(t, "server in maintenance", func() bool { return tr.get("s").Maint })
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("server went to maintenance %v after NXDOMAIN started, before hold nx", d)
	}
	if v := tr.get("s"); v.Addr.IsValid() || v.Reason != "DNS NX status" {
		t.Fatalf("after hold nx: %+v", v)
	}
	ts.Set("nx.test.", "127.0.0.42")
	waitFor(t, "server back", func() bool { return tr.addrs()["s"] == "127.0.0.42" })
}

// TestTimeout sends resolve_retries queries per resolution to a silent
// nameserver, then reports a timeout.
func TestTimeout(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("slow.test.", "127.0.0.51")
	cfg := testConfig(ts)
	cfg.Resolve = time.Hour
	tr := startResolver(t, cfg, []Server{{Backend: "be", Name: "s", Host: "slow.test", Prefer: IPv4, Addr: netip.MustParseAddr("127.0.0.50")}})
	waitFor(t, "first resolution", func() bool { return tr.addrs()["s"] == "127.0.0.51" })

	ts2 := dnstest.Start(t)
	ts2.SetSilent(true)
	cfg2 := testConfig(ts2)
	cfg2.Resolve = time.Hour
	cfg2.Retries = 4
	tr2 := startResolver(t, cfg2, []Server{{Backend: "be", Name: "s", Host: "slow.test", Prefer: IPv4, Addr: netip.MustParseAddr("127.0.0.50")}})
	waitFor(t, "timeout", func() bool { return tr2.get("s").Maint })
	if v := tr2.get("s"); v.Reason != "DNS timeout status" || v.Addr.IsValid() {
		t.Fatalf("after timeout: %+v", v)
	}
	if n := len(ts2.Asked()); n != 4 {
		t.Fatalf("%d queries for one resolution, want resolve_retries 4", n)
	}
}

// TestNameservers takes the first valid answer of several nameservers, and
// an error only once every nameserver answered.
func TestNameservers(t *testing.T) {
	bad := dnstest.Start(t)
	bad.SetRcode("ns.test.", mdns.RcodeNameError)
	silent := dnstest.Start(t)
	silent.SetSilent(true)
	good := dnstest.Start(t)
	good.Set("ns.test.", "127.0.0.61")
	cfg := testConfig(bad, silent, good)
	tr := startResolver(t, cfg, []Server{{Backend: "be", Name: "s", Host: "ns.test", Prefer: IPv4, Maint: true}})
	waitFor(t, "the valid answer applied", func() bool { return tr.addrs()["s"] == "127.0.0.61" })
}

// TestHoldObsolete keeps a vanished record's address for hold obsolete.
func TestHoldObsolete(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("ob.test.", "127.0.0.71")
	cfg := testConfig(ts)
	cfg.Hold.Obsolete = 400 * time.Millisecond
	tr := startResolver(t, cfg, []Server{{Backend: "be", Name: "s", Host: "ob.test", Prefer: IPv4, Maint: true}})
	waitFor(t, "server up", func() bool { return tr.addrs()["s"] == "127.0.0.71" })
	ts.Set("ob.test.", "127.0.0.72")
	start := time.Now()
	waitFor(t, "server on the new record", func() bool { return tr.addrs()["s"] == "127.0.0.72" })
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Fatalf("server left its vanished record after %v, before hold obsolete", d)
	}
}

// TestBadAnswers ignores answers with another id and treats a wrong
// question or a truncated answer as an error.
func TestBadAnswers(t *testing.T) {
	for _, c := range []struct {
		name   string
		mangle func(*mdns.Msg)
	}{
		{"other id", func(m *mdns.Msg) { m.Id++ }},
		{"other question", func(m *mdns.Msg) { m.Question[0].Name = "other.test." }},
		{"truncated", func(m *mdns.Msg) { m.Truncated = true }},
		{"no question", func(m *mdns.Msg) { m.Question = nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := dnstest.Start(t)
			ts.Set("bad.test.", "127.0.0.81")
			ts.SetMangle(c.mangle)
			cfg := testConfig(ts)
			tr := startResolver(t, cfg, []Server{{Backend: "be", Name: "s", Host: "bad.test", Prefer: IPv4, Addr: netip.MustParseAddr("127.0.0.80")}})
			waitFor(t, "resolution to fail", func() bool { return tr.get("s").Maint })
			if v := tr.get("s"); v.Addr.IsValid() {
				t.Fatalf("server kept an address: %+v", v)
			}
			ts.SetMangle(nil)
			waitFor(t, "recovery", func() bool { return tr.addrs()["s"] == "127.0.0.81" })
		})
	}
}

// TestPayloadSize drops answers larger than accepted_payload_size and
// announces it with EDNS0.
func TestPayloadSize(t *testing.T) {
	ts := dnstest.Start(t)
	var many []string
	for i := 1; i <= 40; i++ {
		many = append(many, netip.AddrFrom4([4]byte{127, 0, 1, byte(i)}).String())
	}
	ts.Set("big.test.", many...)
	cfg := testConfig(ts)
	cfg.PayloadSize = 512
	tr := startResolver(t, cfg, []Server{{Backend: "be", Name: "s", Host: "big.test", Prefer: IPv4, Maint: true}})
	waitFor(t, "a few queries", func() bool { return len(ts.Asked()) >= 6 })
	if a := tr.addrs(); len(a) != 0 {
		t.Fatalf("an answer larger than the payload size was used: %v", a)
	}
	ts.Set("big.test.", many[:10]...)
	waitFor(t, "a small answer used", func() bool { return len(tr.addrs()) == 1 })
}

// TestSRV fills a template from SRV records: address from the additional
// section or by resolving the target, port, and weight (w+255)/256.
func TestSRV(t *testing.T) {
	ts := dnstest.Start(t)
	ts.SetSRV("_http._tcp.svc.test.", "a.svc.test. 8081 512", "b.svc.test. 8082 0", "c.svc.test. 8083 1")
	ts.SetExtra("a.svc.test.", "127.0.0.91")
	ts.SetExtra("b.svc.test.", "127.0.0.92")
	ts.Set("c.svc.test.", "127.0.0.93")
	cfg := testConfig(ts)
	tr := startResolver(t, cfg, template(4, "_http._tcp.svc.test"))
	want := map[string]view{
		"127.0.0.91": {Port: 8081, Weight: 2, Host: "a.svc.test"},
		"127.0.0.92": {Port: 8082, Weight: 0, Host: "b.svc.test"},
		"127.0.0.93": {Port: 8083, Weight: 1, Host: "c.svc.test"},
	}
	waitFor(t, "three slots filled", func() bool { return len(tr.addrs()) == 3 })
	for n := range tr.addrs() {
		v := tr.get(n)
		w, ok := want[v.Addr.String()]
		if !ok || v.Port != w.Port || v.Weight != w.Weight || v.Host != w.Host {
			t.Fatalf("slot %s: %+v", n, v)
		}
	}
	if v := tr.get("web4"); !v.Maint {
		t.Fatalf("the fourth slot without record: %+v", v)
	}

	ts.SetSRV("_http._tcp.svc.test.", "a.svc.test. 8081 512", "c.svc.test. 8083 1")
	waitFor(t, "the slot of the vanished record emptied", func() bool { return len(tr.addrs()) == 2 })
	for _, n := range []string{"web1", "web2", "web3", "web4"} {
		if v := tr.get(n); v.Maint && (v.Addr.IsValid() || v.Port != 0 || v.Host != "") {
			t.Fatalf("emptied slot %s: %+v", n, v)
		}
	}
}

// TestResolveNet prefers an address of a resolve-net network, and
// ignore-weight leaves SRV weights out.
func TestResolveNet(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("net.test.", "127.0.0.101", "127.0.1.102", "127.0.0.103")
	ts.SetSRV("_s._tcp.net.test.", "a.net.test. 8080 1024")
	ts.SetExtra("a.net.test.", "127.0.0.104")
	servers := []Server{
		{Backend: "be", Name: "s1", Host: "net.test", Prefer: IPv4, Nets: []netip.Prefix{netip.MustParsePrefix("127.0.1.0/24")}, Maint: true},
		{Backend: "be", Name: "s2", Host: "_s._tcp.net.test", IgnoreWeight: true, Maint: true},
	}
	tr := startResolver(t, testConfig(ts), servers)
	waitFor(t, "both servers up", func() bool { return len(tr.addrs()) == 2 })
	if v := tr.get("s1"); v.Addr.String() != "127.0.1.102" {
		t.Errorf("s1 picked %v, not the address in resolve-net", v.Addr)
	}
	if v := tr.get("s2"); v.Port != 8080 || v.Weight != -1 {
		t.Errorf("s2 with ignore-weight: %+v", v)
	}
}

// TestStop ends the resolver: no change is reported after Stop returns.
func TestStop(t *testing.T) {
	ts := dnstest.Start(t)
	ts.Set("stop.test.", "127.0.0.111")
	servers := []Server{{Backend: "be", Name: "s", Host: "stop.test", Prefer: IPv4, Maint: true}}
	tr := newTracker(servers)
	r, err := New(testConfig(ts), servers, tr.apply)
	if err != nil {
		t.Fatal(err)
	}
	r.Start()
	waitFor(t, "server up", func() bool { return tr.addrs()["s"] == "127.0.0.111" })
	r.Stop()
	tr.mu.Lock()
	n := tr.changes
	tr.mu.Unlock()
	asked := len(ts.Asked())
	ts.Set("stop.test.", "127.0.0.112")
	time.Sleep(200 * time.Millisecond)
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.changes != n || len(ts.Asked()) != asked {
		t.Fatalf("%d changes and %d queries after Stop", tr.changes-n, len(ts.Asked())-asked)
	}
}

// TestNew refuses a section without nameserver and a resolver without
// server.
func TestNew(t *testing.T) {
	s := []Server{{Backend: "be", Name: "s", Host: "x.test"}}
	if _, err := New(Config{}, s, func(Change) {}); err != ErrNoNameserver {
		t.Errorf("no nameserver: %v", err)
	}
	cfg := Config{Nameservers: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:53")}}
	if _, err := New(cfg, nil, func(Change) {}); err != ErrNoServer {
		t.Errorf("no server: %v", err)
	}
}

// TestNameserverErrors reports the error of the nameservers that answered
// once the others time out.
func TestNameserverErrors(t *testing.T) {
	bad := dnstest.Start(t)
	bad.SetRcode("err.test.", mdns.RcodeNameError)
	silent := dnstest.Start(t)
	silent.SetSilent(true)
	tr := startResolver(t, testConfig(bad, silent), []Server{{Backend: "be", Name: "s", Host: "err.test", Prefer: IPv4, Addr: netip.MustParseAddr("127.0.0.120")}})
	waitFor(t, "maintenance", func() bool { return tr.get("s").Maint })
	if v := tr.get("s"); v.Reason != "DNS NX status" || v.Addr.IsValid() {
		t.Fatalf("after NXDOMAIN and silence: %+v", v)
	}
	var types []uint16
	for _, q := range bad.Asked() {
		types = append(types, q.Qtype)
	}
	if len(types) < 2 || types[0] != mdns.TypeA || types[1] != mdns.TypeAAAA {
		t.Fatalf("questions %v: want A, then AAAA after the retry timer", types)
	}
}
