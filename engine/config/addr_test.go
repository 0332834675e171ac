package config

import (
	"errors"
	"net/netip"
	"testing"
)

func TestParseListenAddr(t *testing.T) {
	for _, tc := range []struct {
		in      string
		network Network
		addr    string // netip.AddrPort form; "" for unix
		path    string
	}{
		{"*:80", NetTCP4, "0.0.0.0:80", ""},
		{":8080", NetTCP4, "0.0.0.0:8080", ""},
		{"0.0.0.0:80", NetTCP4, "0.0.0.0:80", ""},
		{"127.0.0.1:0", NetTCP4, "127.0.0.1:0", ""}, // port 0 outside a configuration line
		{"ipv4@:80", NetTCP4, "0.0.0.0:80", ""},
		{"tcp4@127.0.0.1:80", NetTCP4, "127.0.0.1:80", ""},
		{"ipv6@:80", NetTCP6, "[::]:80", ""},
		{"[::]:443", NetTCP6, "[::]:443", ""},
		{":::443", NetTCP6, "[::]:443", ""},
		{"[::1]:8443", NetTCP6, "[::1]:8443", ""},
		{"::1:8443", NetTCP6, "[::1]:8443", ""},
		{"ipv6@::1:80", NetTCP6, "[::1]:80", ""},
		{"ipv6@[::1]:0", NetTCP6, "[::1]:0", ""},
		{"[::ffff:10.0.0.1]:80", NetTCP4, "10.0.0.1:80", ""},
		{"ipv6@[::ffff:10.0.0.1]:80", NetTCP4, "10.0.0.1:80", ""},
		{"unix@/run/t.sock", NetUnix, "", "/run/t.sock"},
		{"/run/t.sock", NetUnix, "", "/run/t.sock"},
		{"unix@./t.sock", NetUnix, "", "./t.sock"},
	} {
		got, err := ParseListenAddr(tc.in)
		want := ListenAddr{Name: tc.in, Network: tc.network, Path: tc.path}
		if tc.addr != "" {
			want.Addr = netip.MustParseAddrPort(tc.addr)
		}
		if err != nil || got != want {
			t.Errorf("ParseListenAddr(%q) = %+v, %v; want %+v", tc.in, got, err, want)
		}
	}
	for _, in := range []string{"", "80", "127.0.0.1", "127.0.0.1:", "host:80", "1.2.3.4:8x", "1.2.3.4:65536",
		"1.2.3.4:80-81", "ipv4@[::1]:80", "ipv4@[::ffff:10.0.0.1]:80", "ipv6@10.0.0.1:80", "[fe80::1%eth0]:80", "unix@", "abns@x", "ipv4@nope:1"} {
		if got, err := ParseListenAddr(in); !errors.Is(err, ErrAddr) {
			t.Errorf("ParseListenAddr(%q) = %+v, %v; want ErrAddr", in, got, err)
		}
	}
}

func TestParseServerAddr(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ServerAddr
	}{
		{"127.0.0.1:9999", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("127.0.0.1"), Port: 9999, PortMode: PortFixed}},
		{"ipv6@::1:9999", ServerAddr{Network: NetTCP6, IP: netip.MustParseAddr("::1"), Port: 9999, PortMode: PortFixed}},
		{"tcp@localhost:1", ServerAddr{Network: NetTCP4, Host: "localhost", Port: 1, PortMode: PortFixed}},
		{"web:+8", ServerAddr{Network: NetTCP4, Host: "web", Port: 8, PortMode: PortOffset}},
		{"10.0.0.1", ServerAddr{Network: NetTCP4, IP: netip.MustParseAddr("10.0.0.1"), PortMode: PortNone}},
		{"unix@/run/t.sock", ServerAddr{Network: NetUnix, Path: "/run/t.sock", PortMode: PortNone}},
	} {
		if got, err := ParseServerAddr(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseServerAddr(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"*:80", "a b:80", "1.2.3.4:80-81", "udp@1.2.3.4:53", "unix@"} {
		if got, err := ParseServerAddr(in); !errors.Is(err, ErrAddr) {
			t.Errorf("ParseServerAddr(%q) = %+v, %v; want ErrAddr", in, got, err)
		}
	}
}
