package config

import (
	"net/netip"
	"testing"
)

func TestServerProxyProto(t *testing.T) {
	be := backend(t, `    default-server send-proxy check-send-proxy
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2 no-send-proxy send-proxy-v2 proxy-v2-options crc32c,unique-id proxy-v2-options authority
    server s3 127.0.0.1:3 no-send-proxy no-check-send-proxy
    server s4 127.0.0.1:4 send-proxy-v2 no-send-proxy-v2
    server s5 127.0.0.1:5 no-send-proxy proxy-v2-options crc32c
`)
	want := []struct {
		pp    ProxyProto
		check bool
	}{
		{ProxyV1, true},
		{ProxyV2 | ProxyV2CRC32C | ProxyV2UniqueID | ProxyV2Authority, true},
		{0, false},
		{ProxyV1, true},
		{ProxyV2CRC32C, true}, // sends a version 1 header, as HAProxy does
	}
	for i, w := range want {
		s := be.Servers[i]
		if s.ProxyProto != w.pp || s.CheckSendProxy != w.check {
			t.Errorf("%s: ProxyProto %b CheckSendProxy %v, want %b %v", s.Name, s.ProxyProto, s.CheckSendProxy, w.pp, w.check)
		}
	}
}

func TestSource(t *testing.T) {
	cfg := mustParse(t, `defaults
    mode http
    source 127.0.0.3
frontend fe
    bind 127.0.0.1:18080
    default_backend be
backend be
    default-server source 127.0.0.2:0
    server s1 127.0.0.1:1
    server s2 127.0.0.1:2 source ipv4@*:3000
    server s3 [::1]:3 source [::1]
    server s4 [::1]:4 source [::2]:40
    server s5 [::1]:5 source ipv6@
backend other
    source 127.0.0.4:5000
    server s1 127.0.0.1:1
backend inherits
    server s1 127.0.0.1:1
`)
	be := cfg.Backend("be")
	want := []string{"127.0.0.2:0", "0.0.0.0:3000", "[::1]:0", "[::2]:40", "[::]:0"}
	for i, w := range want {
		if got := be.Servers[i].Source; got != netip.MustParseAddrPort(w) {
			t.Errorf("%s: Source %v, want %s", be.Servers[i].Name, got, w)
		}
	}
	for name, w := range map[string]string{"be": "127.0.0.3:0", "other": "127.0.0.4:5000", "inherits": "127.0.0.3:0"} {
		if got := cfg.Backend(name).Source; got != netip.MustParseAddrPort(w) {
			t.Errorf("backend %s: Source %v, want %s", name, got, w)
		}
	}
	if s := cfg.Backend("other").Servers[0].Source; s.IsValid() {
		t.Errorf("a server without source has %v", s)
	}
}

// TestProxyProtoErrors checks the refusals of the keywords, with HAProxy
// 2.6's messages where HAProxy refuses too (haproxy -c gives them).
func TestProxyProtoErrors(t *testing.T) {
	tests := []struct{ line, msg string }{
		{"server s1 127.0.0.1:1 proxy-v2-options foo,crc32c", "'foo' : proxy v2 option not implemented."},
		{"server s1 127.0.0.1:1 proxy-v2-options", "'' : proxy v2 option not implemented."},
		{"server s1 127.0.0.1:1 proxy-v2-options crc32c,", "'' : proxy v2 option not implemented."},
		{"server s1 127.0.0.1:1 proxy-v2-options ssl", "proxy v2 option 'ssl' (TLS) is not supported yet by tether"},
		{"server s1 127.0.0.1:1 send-proxy-v2 proxy-v2-options authority,cert-cn", "proxy v2 option 'cert-cn' (TLS) is not supported yet by tether"},
		{"server s1 127.0.0.1:1 send-proxy-v2-ssl", "server keyword 'send-proxy-v2-ssl' is not supported yet by tether"},
		{"server s1 127.0.0.1:1 source", "'source' expects <addr>[:<port>[-<port>]], and optionally 'usesrc' <addr>, and 'interface' <name> as argument."},
		{"server s1 127.0.0.1:1 usesrc client", "'usesrc' only allowed after a 'source' statement."},
		{"server s1 127.0.0.1:1 source 127.0.0.2 usesrc client", "'usesrc' on 'source' (transparent proxying) is not supported yet by tether"},
		{"server s1 127.0.0.1:1 source 127.0.0.2 usesrc", "'usesrc' expects <addr>[:<port>], 'client', or 'clientip' as argument."},
		{"server s1 127.0.0.1:1 source 127.0.0.2 interface lo", "'interface' on 'source' is not supported yet by tether"},
		{"server s1 127.0.0.1:1 source 127.0.0.2:99999", "'source 127.0.0.2:99999' : invalid port '99999'"},
		{"server s1 127.0.0.1:1 source foo.invalid", "'source foo.invalid' : invalid address: 'foo.invalid' in 'foo.invalid'"},
		{"server s1 127.0.0.1:1 source 127.0.0.2:1000-2000", "port ranges are not supported yet by tether in '127.0.0.2:1000-2000'"},
		{"server s1 127.0.0.1:1 source /run/x.sock", "a unix socket as source address is not supported by tether"},
		{"server s1 127.0.0.1:1 source ipv4@[::1]", "invalid address: '::1' in 'ipv4@[::1]'"},
		{"server s1 127.0.0.1:1 source ::1", "'source ::1' : invalid address: ':' in '::1'"},
		{"source", "'source' expects <addr>[:<port>], and optionally 'usesrc' <addr>, and 'interface' <name>."},
		{"source 127.0.0.2 foo", "'source' only supports optional keywords 'interface' and 'usesrc'."},
		{"source 127.0.0.2:1000-2000", "'source 127.0.0.2:1000-2000' : port range not permitted here in '127.0.0.2:1000-2000'"},
		{"source 127.0.0.2 usesrc clientip", "'usesrc' on 'source' (transparent proxying) is not supported yet by tether"},
		{"usesrc client", "'usesrc' only allowed after a 'source' statement."},
	}
	for _, tt := range tests {
		text := header + "backend be\n    " + tt.line + "\n"
		expectDiag(t, text, Alert, lineOf(text, tt.line), tt.msg)
	}
}
