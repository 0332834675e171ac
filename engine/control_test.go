package engine

import (
	"errors"
	"net/netip"
	"testing"

	"tether/engine/config"
	"tether/persist"
)

func TestControl(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 2)
	e, addr := startEngine(t, backendConfig(`  cookie SRV insert indirect dynamic
  dynamic-cookie-key mysecretphrase
  server s1 %s
`, origins[0].Addr))
	get := func() (server, cookie string) {
		c := dial(t, addr)
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		r, _ := c.response("GET")
		return r.Header.Get("X-Server"), r.Header.Get("Set-Cookie")
	}
	ap := netip.MustParseAddrPort(origins[0].Addr)
	want, _ := persist.DynamicCookie("mysecretphrase", ap.Addr(), uint32(ap.Port()))
	if srv, ck := get(); srv != "s1" || ck != "SRV="+string(want[:])+"; path=/" {
		t.Fatalf("served by %s, cookie %q", srv, ck)
	}
	// A new key changes the cookie at once.
	if err := e.SetDynamicCookieKey("be", "other"); err != nil {
		t.Fatal(err)
	}
	want, _ = persist.DynamicCookie("other", ap.Addr(), uint32(ap.Port()))
	if _, ck := get(); ck != "SRV="+string(want[:])+"; path=/" {
		t.Fatalf("after the key change: %q", ck)
	}
	if err := e.SetDynamicCookie("be", false); err != nil {
		t.Fatal(err)
	}
	// A server without a value gets the expiring cookie, as in HAProxy.
	if _, ck := get(); ck != "SRV=; Expires=Thu, 01-Jan-1970 00:00:01 GMT; path=/" {
		t.Fatalf("dynamic cookies off: %q", ck)
	}
	// The address moves to the second origin.
	ap2 := netip.MustParseAddrPort(origins[1].Addr)
	if err := e.SetServerAddr("be", "s1", ap2.Addr(), true, ap2.Port(), true); err != nil {
		t.Fatal(err)
	}
	if srv, _ := get(); srv != "s2" {
		t.Fatalf("after the address change, served by %s", srv)
	}
	// Added servers start in maintenance; deleting needs maintenance.
	if err := e.AddServer("be", &config.Server{Name: "s9", Weight: 1,
		Addr: config.ServerAddr{IP: ap.Addr(), Port: int(ap.Port())}}); err != nil {
		t.Fatal(err)
	}
	if err := e.AddServer("be", &config.Server{Name: "s9"}); !errors.Is(err, ErrServerExist) {
		t.Fatalf("duplicate add: %v", err)
	}
	if err := e.DelServer("be", "s1"); !errors.Is(err, ErrNotMaint) {
		t.Fatalf("deleting a running server: %v", err)
	}
	if err := e.SetServerState("be", "s1", StateMaint); err != nil {
		t.Fatal(err)
	}
	if srv, _ := get(); srv != "" {
		t.Fatalf("every server in maintenance, served by %q", srv)
	}
	if err := e.SetServerState("be", "s9", StateReady); err != nil {
		t.Fatal(err)
	}
	if srv, _ := get(); srv != "s1" { // s9 is the first origin, named s1
		t.Fatalf("added server: served by %q", srv)
	}
	if err := e.DelServer("be", "s1"); err != nil {
		t.Fatal(err)
	}
	bs := e.Backends()
	if len(bs) != 1 || len(bs[0].Servers) != 1 || bs[0].Servers[0].Name != "s9" || bs[0].Servers[0].Requests != 1 {
		t.Fatalf("backends %+v", bs)
	}
	if err := e.SetServerState("be", "nope", StateReady); !errors.Is(err, ErrNoServer) {
		t.Fatalf("unknown server: %v", err)
	}
	if err := e.SetServerWeight("nope", "s9", 1); !errors.Is(err, ErrNoBackend) {
		t.Fatalf("unknown backend: %v", err)
	}
}
