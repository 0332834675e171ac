package engine

import (
	"net/netip"
	"testing"
	"time"

	"tether/persist"
)

// TestConditionTransitions walks a checked and an unchecked server through
// the runtime API's state changes and checks the flags, the operational
// state, the health counter and the state persistence sees.
func TestConditionTransitions(t *testing.T) {
	t.Parallel()
	type want struct {
		admin  AdminFlags
		op     OpState
		health int
		state  persist.State
	}
	steps := []struct {
		name    string
		change  func(c *condition)
		checked want // rise 2, fall 3, check configured
		plain   want // no check
	}{
		{"start", func(*condition) {},
			want{0, OpRunning, 2, persist.Ready}, want{0, OpRunning, 2, persist.Ready}},
		{"drain", func(c *condition) { c.setAdmin(AdminDrain) },
			want{AdminFDrain, OpRunning, 2, persist.Drain}, want{AdminFDrain, OpRunning, 2, persist.Drain}},
		{"maint", func(c *condition) { c.setAdmin(AdminMaint) },
			want{AdminFMaint, OpStopped, 0, persist.Maint}, want{AdminFMaint, OpStopped, 0, persist.Maint}},
		{"health up in maint", func(c *condition) { c.setHealth(HealthUp) },
			want{AdminFMaint, OpStopped, 4, persist.Maint}, want{AdminFMaint, OpStopped, 4, persist.Maint}},
		{"health down in maint", func(c *condition) { c.setHealth(HealthDown) },
			want{AdminFMaint, OpStopped, 0, persist.Maint}, want{AdminFMaint, OpStopped, 0, persist.Maint}},
		// Leaving maintenance brings a server up at once, a checked one
		// at rise (its next failed check takes it down), as in HAProxy.
		{"ready", func(c *condition) { c.setAdmin(AdminReady) },
			want{0, OpRunning, 2, persist.Ready}, want{0, OpRunning, 0, persist.Ready}},
		{"health stopping", func(c *condition) { c.setHealth(HealthStopping) },
			want{0, OpStopping, 4, persist.Drain}, want{0, OpStopping, 4, persist.Drain}},
		{"unresolved", func(c *condition) { c.enterMaint(AdminRMaint) },
			want{AdminRMaint, OpStopped, 0, persist.Maint}, want{AdminRMaint, OpStopped, 0, persist.Maint}},
		{"resolved", func(c *condition) { c.leaveMaint(AdminRMaint) },
			want{0, OpRunning, 2, persist.Ready}, want{0, OpRunning, 0, persist.Ready}},
	}
	checked := condition{op: OpRunning, health: 2, rise: 2, fall: 3, check: CheckConfigured | CheckEnabled}
	plain := condition{op: OpRunning, health: 2, rise: 2, fall: 3}
	for _, st := range steps {
		st.change(&checked)
		st.change(&plain)
		for _, c := range []struct {
			kind string
			got  *condition
			want want
		}{{"checked", &checked, st.checked}, {"plain", &plain, st.plain}} {
			got := want{c.got.admin, c.got.op, c.got.health, c.got.persistState()}
			if got != c.want {
				t.Errorf("%s, %s server: got %+v, want %+v", st.name, c.kind, got, c.want)
			}
		}
	}
}

// TestSetResolved moves a server in and out of resolution
// maintenance through the engine and sends traffic each time.
func TestSetResolved(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 2)
	ap := netip.MustParseAddrPort(origins[1].Addr)
	e, addr := startEngine(t, backendConfig("  server s1 %s\n", origins[0].Addr))
	get := func() string {
		c := dial(t, addr)
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r, _ := c.response("GET")
		return r.Header.Get("X-Server")
	}
	info := func() ServerInfo { return e.Backends()[0].Servers[0] }
	if err := e.setResolved("be", "s1", netip.Addr{}, false, cause{}); err != nil {
		t.Fatal(err)
	}
	if si := info(); si.Admin != AdminRMaint || si.State != StateMaint || si.Op != OpStopped {
		t.Fatalf("unresolved: %+v", si)
	}
	if srv := get(); srv != "" {
		t.Fatalf("unresolved server served the request as %q", srv)
	}
	if err := e.setResolved("be", "s1", ap.Addr(), true, cause{}); err != nil {
		t.Fatal(err)
	}
	si := info()
	if si.Admin != 0 || si.State != StateReady || si.Addr != netip.AddrPortFrom(ap.Addr(), netip.MustParseAddrPort(origins[0].Addr).Port()) {
		t.Fatalf("resolved: %+v", si)
	}
	if err := e.SetServerAddr("be", "s1", netip.Addr{}, false, ap.Port(), true); err != nil {
		t.Fatal(err)
	}
	if srv := get(); srv != "s2" { // the second origin names itself s2
		t.Fatalf("after resolution, served by %q", srv)
	}
}

// TestDowntime: a server's downtime adds up the whole seconds it spent
// stopped, as HAProxy dates state changes, and counts the current stop.
func TestDowntime(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 0)
	s := &server{cond: condition{op: OpRunning, health: 2, rise: 2, fall: 3}, state: persist.Ready, since: start}
	at := func(sec float64) time.Time { return start.Add(time.Duration(sec * float64(time.Second))) }
	s.cond.setHealth(HealthDown)
	s.settle(at(10.9))
	if d := s.downtime(at(13.2)); d != 3*time.Second {
		t.Fatalf("down from 10.9 s, at 13.2 s: downtime %v, want 3s", d)
	}
	s.cond.setHealth(HealthUp)
	s.settle(at(15.1))
	s.cond.setAdmin(AdminMaint)
	s.settle(at(20))
	if d := s.downtime(at(22.5)); d != 7*time.Second {
		t.Fatalf("down 10-15 s, in maintenance since 20 s, at 22.5 s: downtime %v, want 7s", d)
	}
	s.cond.setAdmin(AdminReady)
	s.settle(at(23))
	if d := s.downtime(at(99)); d != 8*time.Second {
		t.Fatalf("up since 23 s: downtime %v, want 8s", d)
	}
}
