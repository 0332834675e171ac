package config

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestServerAddress(t *testing.T) {
	tests := []struct {
		addr string
		want ServerAddr
	}{
		{"127.0.0.1:80", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("127.0.0.1"), Port: 80}},
		{"ipv4@10.0.0.1:8080", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("10.0.0.1"), Port: 8080}},
		{"[::1]:80", ServerAddr{Network: NetTCP6, IP: netip.MustParseAddr("::1"), Port: 80}},
		{"::1:80", ServerAddr{Network: NetTCP6, IP: netip.MustParseAddr("::1"), Port: 80}},
		{"ipv6@::1:80", ServerAddr{Network: NetTCP6, IP: netip.MustParseAddr("::1"), Port: 80}},
		{"127.0.0.1", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("127.0.0.1"), PortMode: PortNone}},
		{"127.0.0.1:+5", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("127.0.0.1"), Port: 5, PortMode: PortOffset}},
		{"127.0.0.1:-5", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("127.0.0.1"), Port: -5, PortMode: PortOffset}},
		{"app.example.com:80", ServerAddr{Network: NetTCP4, Host: "app.example.com", Port: 80}},
		{"app.example.com", ServerAddr{Network: NetTCP4, Host: "app.example.com", PortMode: PortNone}},
		{"ipv6@app.example.com:443", ServerAddr{Network: NetTCP6, Host: "app.example.com", Port: 443}},
		{"unix@/run/app.sock", ServerAddr{Network: NetUnix, Path: "/run/app.sock", PortMode: PortNone}},
		{"/run/app.sock", ServerAddr{Network: NetUnix, Path: "/run/app.sock", PortMode: PortNone}},
	}
	for _, tt := range tests {
		got, msg := parseServerAddr(tt.addr)
		if msg != "" || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseServerAddr(%q) = %+v %q, want %+v", tt.addr, got, msg, tt.want)
		}
	}
	for _, bad := range []string{"127.0.0.1:99999", "127.0.0.1:80-90", "127.0.0.1:", "*:80", ":80", "ipv4@::1:80", "ipv6@127.0.0.1:80", "a/b:80", "fd@3", "abns@x", "127.0.0.1:x"} {
		if _, msg := parseServerAddr(bad); msg == "" {
			t.Errorf("parseServerAddr(%q) accepted", bad)
		}
	}
}

func TestServerOptions(t *testing.T) {
	be := backend(t, `    default-server inter 3s fastinter 1s rise 3 fall 2
    server s1 127.0.0.1:19001 check port 19101 addr 127.0.0.2 weight 50 maxconn 100 maxqueue 10 downinter 4s
    server s2 127.0.0.1:19002 backup disabled cookie b no-check
    server s3 127.0.0.1:19003 resolvers dns init-addr last,10.0.0.1,none resolve-prefer ipv4 inter 500
resolvers dns
    nameserver ns 127.0.0.1:53
`)
	s1, s2, s3 := be.Servers[0], be.Servers[1], be.Servers[2]
	want1 := Server{Name: "s1", ID: 1, File: "t.cfg", Line: s1.Line,
		Addr:  ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("127.0.0.1"), Port: 19001},
		Check: true, Inter: 3 * time.Second, FastInter: time.Second, DownInter: 4 * time.Second, Rise: 3, Fall: 2,
		CheckPort: 19101, CheckAddr: netip.MustParseAddr("127.0.0.2"), Weight: 50, MaxConn: 100, MaxQueue: 10, ErrorLimit: 10,
		InitAddr: []InitAddr{{Method: InitLast}, {Method: InitLibc}}, Prefer: NetTCP6,
		PoolMaxConn: -1, PoolPurgeDelay: DefaultPoolPurgeDelay, MaxReuse: -1}
	if !reflect.DeepEqual(*s1, want1) {
		t.Errorf("s1:\n got %+v\nwant %+v", *s1, want1)
	}
	if !s2.Backup || !s2.Disabled || s2.Check || s2.Cookie != "b" || s2.ID != 2 || s2.Weight != 1 {
		t.Errorf("s2 %+v", s2)
	}
	if s3.Resolvers == nil || s3.Resolvers.Name != "dns" || s3.Prefer != NetTCP4 || s3.Inter != 500*time.Millisecond || s3.DownInter != 500*time.Millisecond ||
		!reflect.DeepEqual(s3.InitAddr, []InitAddr{{Method: InitLast}, {Method: InitIP, IP: netip.MustParseAddr("10.0.0.1")}, {Method: InitNone}}) {
		t.Errorf("s3 %+v", s3)
	}
}

func TestServerTemplate(t *testing.T) {
	be := backend(t, "    server first 127.0.0.1:1\n    server-template web 3 127.0.0.1:2 check\n    server-template app 5-6 127.0.0.1:3 cookie fixed\n    server-template z 0-1 127.0.0.1:4\n")
	var names []string
	for i, s := range be.Servers {
		names = append(names, s.Name)
		if s.ID != i+1 {
			t.Errorf("%s: id %d, want %d", s.Name, s.ID, i+1)
		}
	}
	want := []string{"first", "web1", "web2", "web3", "app5", "app6", "z0", "z1"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("names %v want %v", names, want)
	}
	if !be.Servers[1].Check || be.Servers[1].Template != "web" || be.Servers[0].Template != "" {
		t.Errorf("web1 %+v", be.Servers[1])
	}
}

// TestSpecServerTemplate parses the template line of the spec.
func TestSpecServerTemplate(t *testing.T) {
	be := backend(t, "    server-template web 5 myservice.example.local:80 check resolvers mydns init-addr libc,none\nresolvers mydns\n    nameserver dns1 10.0.0.1:53\n")
	if len(be.Servers) != 5 {
		t.Fatalf("%d servers", len(be.Servers))
	}
	s := be.Servers[4]
	if s.Name != "web5" || s.Addr.Host != "myservice.example.local" || s.Addr.Port != 80 || !s.Check || s.Resolvers.Name != "mydns" ||
		!reflect.DeepEqual(s.InitAddr, []InitAddr{{Method: InitLibc}, {Method: InitNone}}) {
		t.Errorf("web5 %+v", s)
	}
}

func TestServerErrors(t *testing.T) {
	tests := []struct {
		line string
		msg  string
	}{
		{"server s1", "'server' expects <name> and <addr>[:<port>] as arguments."},
		{"server s1/x 127.0.0.1:1", "character '/' is not permitted in server name 's1/x'."},
		{"server s1 127.0.0.1:99999", "invalid port '99999'"},
		{"server s1 127.0.0.1:80-90", "port range not permitted here in '127.0.0.1:80-90'"},
		{"server s1 127.0.0.1:1 foo", "unknown keyword 'foo'."},
		{"server s1 127.0.0.1:1 ssl", "server keyword 'ssl' is not supported yet by tether"},
		{"server s1 127.0.0.1:1 weight 300", "weight of server s1 is not within 0 and 256 (300)."},
		{"server s1 127.0.0.1:1 inter", "'inter' expects a delay as argument."},
		{"server s1 127.0.0.1:1 inter 2x", "unexpected character 'x' in 'inter' argument of server s1."},
		{"server s1 127.0.0.1:1 inter 0", "invalid value 0 for argument 'inter' of server s1."},
		{"server s1 127.0.0.1:1 rise 0", "'rise' has to be > 0."},
		{"server s1 127.0.0.1:1 fall x", "'fall' has to be > 0."},
		{"server s1 127.0.0.1:1 rise", "'rise' expects an integer argument."},
		{"server s1 127.0.0.1:1 addr foo.invalid", "'addr' : invalid address: 'foo.invalid'"},
		{"server s1 127.0.0.1:1 init-addr foo", "'init-addr' : unknown init-addr method 'foo', supported methods are 'libc', 'last', 'none'."},
		{"server s1 127.0.0.1:1 resolve-prefer ipv5", "'resolve-prefer' expects either ipv4 or ipv6 as argument."},
		{"server s1 127.0.0.1:1 cookie", "'cookie' expects <value> as argument."},
		{"server s1 127.0.0.1:1 slowstart", "'slowstart' expects a delay as argument."},
		{"server s1 127.0.0.1:1 on-marked-down foo", "'on-marked-down' expects 'shutdown-sessions' but got 'foo'."},
		{"server s1 127.0.0.1:1 on-marked-up", "'on-marked-up' expects 'shutdown-backup-sessions' but got ''."},
		{"server s1 127.0.0.1:1 observe", "'observe' expects <mode> as argument."},
		{"server s1 127.0.0.1:1 observe layer3", "'observe' expects one of 'none', 'layer4', 'layer7' but got 'layer3'."},
		{"server s1 127.0.0.1:1 error-limit", "'error-limit' expects an integer argument."},
		{"server s1 127.0.0.1:1 error-limit 0", "error-limit has to be > 0."},
		{"server s1 127.0.0.1:1 on-error die", "'on-error' expects one of 'fastinter', 'fail-check', 'sudden-death' or 'mark-down' but got 'die'."},
		{"server s1 127.0.0.1:1 slowstart 1x", "unexpected character 'x' in 'slowstart' argument of server s1."},
		{"server s1 127.0.0.1:1 slowstart -1", "unexpected character '-' in 'slowstart' argument of server s1."},
		{"server s1 127.0.0.1:1 slowstart 9999999999", "overflow in argument <9999999999> to <slowstart> of server s1, maximum value is 2147483647 ms (~24.8 days)."},
		{"server-template w 3", "'server-template' expects <prefix> <nb | range> <addr>[:<port>] as arguments."},
		{"server-template w 0 127.0.0.1:1", "Wrong server-template number or range arg '0'."},
		{"server-template w 3-1 127.0.0.1:1", "Wrong server-template number or range arg '3-1'."},
		{"server-template w -1 127.0.0.1:1", "Wrong server-template number or range arg '-1'."},
		{"server-template w x 127.0.0.1:1", "Wrong server-template number or range arg 'x'."},
		{"server-template w/b 3 127.0.0.1:1", "character '/' is not permitted in server-template prefix 'w/b'."},
		{"default-server foo", "unknown keyword 'foo'."},
	}
	for _, tt := range tests {
		text := header + "backend be\n    " + tt.line + "\n"
		expectDiag(t, text, Alert, lineOf(text, tt.line), tt.msg)
	}
}

func TestServerDuplicates(t *testing.T) {
	text := header + "backend be\n    server s1 127.0.0.1:1\n    server s2 127.0.0.1:2\n    server s1 127.0.0.1:3\n"
	expectDiag(t, text, Alert, lineOf(text, "127.0.0.1:3"), "backend 'be', another server named 's1' was already defined at line "+itoa(lineOf(text, "s1 127.0.0.1:1"))+", please use distinct names.")
	text = header + "backend be\n    server-template web 2-3 127.0.0.1:1\n    server web2 127.0.0.1:2\n"
	expectDiag(t, text, Alert, lineOf(text, "server web2"), "another server named 'web2' was already defined at line "+itoa(lineOf(text, "server-template")))
}

func TestServerReferences(t *testing.T) {
	text := header + "backend be\n    server s1 127.0.0.1:1 resolvers nope\n"
	expectDiag(t, text, Alert, lineOf(text, "server s1"), "backend 'be', server 's1': unable to find required resolvers 'nope'")
	// "default" is HAProxy's implicit resolvers section reading /etc/resolv.conf.
	be := backend(t, "    server s1 app.example.invalid:80 resolvers default init-addr none\n")
	if r := be.Servers[0].Resolvers; r == nil || r.Name != "default" || !r.ParseResolvConf {
		t.Errorf("implicit default resolvers: %+v", r)
	}
}

func TestServerAddrDial(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:80": "127.0.0.1:80", "[::1]:8080": "[::1]:8080",
		"127.0.0.1": "", "127.0.0.1:+1": "", "app.example:80": "", "/run/x.sock": "",
	} {
		sa, msg := parseServerAddr(addr)
		if msg != "" {
			t.Fatal(msg)
		}
		ap, ok := sa.Dial()
		if got := map[bool]string{true: ap.String()}[ok]; got != want {
			t.Errorf("%s: Dial = %q, want %q", addr, got, want)
		}
	}
}

func TestServerIDs(t *testing.T) {
	tests := []struct {
		body string
		want []int
	}{
		{"    server a 127.0.0.1:1\n    server b 127.0.0.1:2\n    server c 127.0.0.1:3\n", []int{1, 2, 3}},
		// (haproxy 2.6.12's `show servers state` agrees on all of these.)
		// A later id takes its number from the automatic ones before it,
		// and every server moves the next automatic number on.
		{"    server a 127.0.0.1:1\n    server b 127.0.0.1:2 id 1\n    server c 127.0.0.1:3\n", []int{2, 1, 4}},
		// An automatic id moves past the ids taken, from the position.
		{"    server a 127.0.0.1:1\n    server b 127.0.0.1:2 id 3\n    server c 127.0.0.1:3\n    server d 127.0.0.1:4\n", []int{1, 3, 4, 5}},
		{"    server a 127.0.0.1:1 id 10\n    server b 127.0.0.1:2\n    server c 127.0.0.1:3 id 2\n", []int{10, 3, 2}},
		{"    server a 127.0.0.1:1 id 7x\n", []int{7}},
	}
	for _, tt := range tests {
		be := backend(t, tt.body)
		var got []int
		for _, s := range be.Servers {
			got = append(got, s.ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q: ids %v, want %v", tt.body, got, tt.want)
		}
	}
}

func TestServerIDErrors(t *testing.T) {
	tests := []struct{ body, line, msg string }{
		{"    server s1 127.0.0.1:1 id\n", "s1", "'id' : expects an integer argument."},
		{"    server s1 127.0.0.1:1 id 0\n", "s1", "'id' : custom id has to be > 0."},
		{"    server s1 127.0.0.1:1 id x\n", "s1", "'id' : custom id has to be > 0."},
		{"    server s1 127.0.0.1:1 id -3\n", "s1", "'id' : custom id has to be > 0."},
		{"    server s1 127.0.0.1:1 id 3\n    server s2 127.0.0.1:2 id 3\n", "s2", "'id' : custom id 3 already used at t.cfg:LINE ('server s1')."},
		{"    server-template w 2 127.0.0.1:1 id 9\n", "server-template", "'id' on 'server-template' is not supported yet by tether"},
		{"    default-server id 4\n", "default-server", "'id' on 'default-server' is not supported yet by tether"},
	}
	for _, tt := range tests {
		text := header + "backend be\n" + tt.body
		msg := strings.Replace(tt.msg, "LINE", itoa(lineOf(text, "server s1")), 1)
		expectDiag(t, text, Alert, lineOf(text, tt.line), msg)
	}
}

// TestServerSlowstart: slowstart is kept in whole seconds, rounded up as
// HAProxy rounds it, from default-server too; 0 turns it off.
func TestServerSlowstart(t *testing.T) {
	be := backend(t, `    default-server slowstart 2500
    server s1 127.0.0.1:19001
    server s2 127.0.0.1:19002 slowstart 1m
    server s3 127.0.0.1:19003 slowstart 0
    server s4 127.0.0.1:19004 slowstart 1ms
`)
	want := []time.Duration{3 * time.Second, time.Minute, 0, time.Second}
	for i, s := range be.Servers {
		if s.Slowstart != want[i] {
			t.Errorf("%s: slowstart %v, want %v", s.Name, s.Slowstart, want[i])
		}
	}
}

// TestServerObserve: observe, error-limit and on-error, with HAProxy's
// defaults (10 errors, fail-check), from default-server too.
func TestServerObserve(t *testing.T) {
	be := backend(t, `    default-server observe layer7 on-error mark-down
    server s1 127.0.0.1:19001
    server s2 127.0.0.1:19002 observe layer4 error-limit 3 on-error sudden-death
    server s3 127.0.0.1:19003 observe none on-error fastinter
    server s4 127.0.0.1:19004 on-error fail-check
`)
	want := []struct {
		o     Observe
		limit int
		on    OnError
	}{{ObserveLayer7, 10, OnErrorMarkDown}, {ObserveLayer4, 3, OnErrorSuddenDeath}, {ObserveNone, 10, OnErrorFastinter}, {ObserveLayer7, 10, OnErrorFailCheck}}
	for i, s := range be.Servers {
		if s.Observe != want[i].o || s.ErrorLimit != want[i].limit || s.OnError != want[i].on {
			t.Errorf("%s: observe %d, error-limit %d, on-error %d; want %+v", s.Name, s.Observe, s.ErrorLimit, s.OnError, want[i])
		}
	}
}
