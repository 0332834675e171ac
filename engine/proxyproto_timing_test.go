package engine

import (
	"net/netip"
	"testing"

	"tether/engine/config"
)

// BenchmarkAppendProxyHeader measures building a header, which a new
// server connection does once and a request looking for an idle
// connection to a server with send-proxy does once per look (takeIdle).
func BenchmarkAppendProxyHeader(b *testing.B) {
	src, dst := netip.MustParseAddrPort("192.0.2.1:56324"), netip.MustParseAddrPort("198.51.100.7:443")
	for _, bc := range []struct {
		name string
		pp   config.ProxyProto
	}{
		{"v1", config.ProxyV1},
		{"v2", config.ProxyV2},
		{"v2-crc32c", config.ProxyV2 | config.ProxyV2CRC32C},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf [maxProxyHeader]byte
			for b.Loop() {
				_ = appendProxyHeader(buf[:0], bc.pp, src, dst, false)
			}
		})
	}
}
