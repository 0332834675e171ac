package config

import (
	"net/netip"
	"reflect"
	"testing"
	"time"
)

func TestResolvers(t *testing.T) {
	cfg := mustParse(t, header+`backend be
resolvers mydns
    nameserver dns1 10.0.0.1:53
    nameserver dns3 tcp@10.0.0.3:53
    parse-resolv-conf
    accepted_payload_size 8192
    resolve_retries 5
    timeout resolve 2s
    timeout retry 500ms
    hold other 31s
    hold refused 32s
    hold nx 33s
    hold timeout 34s
    hold valid 11s
    hold obsolete 35s
resolvers plain
    nameserver n 127.0.0.1:53
`)
	r := cfg.Resolvers[0]
	want := &Resolvers{
		Name: "mydns", File: "t.cfg", Line: r.Line,
		Nameservers: []Nameserver{
			{Name: "dns1", Addr: netip.MustParseAddrPort("10.0.0.1:53")},
			{Name: "dns3", Addr: netip.MustParseAddrPort("10.0.0.3:53"), TCP: true},
		},
		ParseResolvConf: true, AcceptedPayloadSize: 8192, ResolveRetries: 5,
		TimeoutResolve: 2 * time.Second, TimeoutRetry: 500 * time.Millisecond,
		Hold: Hold{Other: 31 * time.Second, Refused: 32 * time.Second, NX: 33 * time.Second, Timeout: 34 * time.Second, Valid: 11 * time.Second, Obsolete: 35 * time.Second},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("got %+v\nwant %+v", r, want)
	}
	p := cfg.Resolvers[1]
	if p.AcceptedPayloadSize != 512 || p.ResolveRetries != 3 || p.TimeoutResolve != time.Second || p.TimeoutRetry != time.Second ||
		p.Hold != (Hold{NX: 30 * time.Second, Refused: 30 * time.Second, Timeout: 30 * time.Second, Other: 30 * time.Second, Valid: 10 * time.Second}) {
		t.Errorf("defaults %+v", p)
	}
}

func TestResolversErrors(t *testing.T) {
	tests := []struct {
		lines string
		sev   Severity
		msg   string
	}{
		{"resolvers", Alert, "missing name for resolvers section."},
		{"resolvers d\n    nameserver", Alert, "'nameserver' expects <name> and <addr>[:<port>] as arguments."},
		{"resolvers d\n    nameserver n1 127.0.0.1", Alert, "missing port specification in '127.0.0.1'"},
		{"resolvers d\n    nameserver n1 dns.example:53", Alert, "invalid address: 'dns.example:53'"},
		{"resolvers d\n    nameserver n1 127.0.0.1:53\n    nameserver n1 127.0.0.2:53", Alert, "nameserver 'n1' has same name as another nameserver."},
		{"resolvers d\n    hold foo 3s", Alert, "'hold' unknown <event>: 'foo', expects either 'nx', 'timeout', 'valid', 'obsolete' or 'other'."},
		{"resolvers d\n    hold nx", Alert, "'hold' expects <event> and <time> as arguments."},
		{"resolvers d\n    timeout foo 3s", Alert, "'timeout' expects 'retry' or 'resolve' and <time> as arguments got 'foo'."},
		{"resolvers d\n    timeout resolve x", Alert, "unexpected character 'x' in argument to <timeout resolve>."},
		{"resolvers d\n    accepted_payload_size 70000", Alert, "'accepted_payload_size' must be between 12 and 65535 inclusive (was 70000)."},
		{"resolvers d\n    foo", Alert, "unknown keyword 'foo' in 'resolvers' section"},
		{"resolvers d\nresolvers d", Alert, "resolvers 'd' has same name as another resolvers (declared at t.cfg:"},
		{"resolvers d\n    resolve_retries 2", Warning, "resolvers 'd' has no nameservers configured!"},
	}
	for _, tt := range tests {
		text := header + "backend be\n" + tt.lines + "\n"
		line := lastLineOf(text, tt.lines[lastNL(tt.lines)+1:])
		if tt.sev == Warning {
			line = lineOf(text, "resolvers d")
		}
		expectDiag(t, text, tt.sev, line, tt.msg)
	}
}

// lastNL returns the index of the last newline of s, or -1.
func lastNL(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return i
		}
	}
	return -1
}

// TestServerResolveOptions reads resolve-opts and resolve-net (appended to
// the default-server's networks, without sharing them) and defaults
// init-addr to last,libc,none for a server with resolvers.
func TestServerResolveOptions(t *testing.T) {
	be := backend(t, `    default-server resolve-net 10.0.0.0/8 resolve-opts allow-dup-ip
    server a app.test:80 resolvers r resolve-net 192.168.0.0/255.255.0.0,fd00::/8 resolve-opts ignore-weight
    server b app.test:80 resolvers r resolve-opts prevent-dup-ip resolve-net 172.16.0.1
    server c 127.0.0.1:80
resolvers r
    nameserver ns 127.0.0.1:53
`)
	a, b, c := be.Servers[0], be.Servers[1], be.Servers[2]
	pfx := func(s ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, p := range s {
			out = append(out, netip.MustParsePrefix(p))
		}
		return out
	}
	if !a.AllowDup || !a.NoWeight || !reflect.DeepEqual(a.Nets, pfx("10.0.0.0/8", "192.168.0.0/16", "fd00::/8")) {
		t.Errorf("a: dup %v noweight %v nets %v", a.AllowDup, a.NoWeight, a.Nets)
	}
	if b.AllowDup || b.NoWeight || !reflect.DeepEqual(b.Nets, pfx("10.0.0.0/8", "172.16.0.1/32")) {
		t.Errorf("b: dup %v noweight %v nets %v", b.AllowDup, b.NoWeight, b.Nets)
	}
	if want := []InitAddr{{Method: InitLast}, {Method: InitLibc}, {Method: InitNone}}; !reflect.DeepEqual(a.InitAddr, want) {
		t.Errorf("a init-addr %v, want %v", a.InitAddr, want)
	}
	if want := []InitAddr{{Method: InitLast}, {Method: InitLibc}}; !reflect.DeepEqual(c.InitAddr, want) {
		t.Errorf("c init-addr %v, want %v", c.InitAddr, want)
	}
}
