package engine

import (
	"bytes"
	"net/netip"
	"testing"

	"tether/engine/config"
)

// TestAppendProxyHeader checks headers against bytes written out by hand
// from the protocol's text (proxy-protocol.txt).
func TestAppendProxyHeader(t *testing.T) {
	t.Parallel()
	v4a, v4b := netip.MustParseAddrPort("192.0.2.1:56324"), netip.MustParseAddrPort("198.51.100.7:443")
	v6a, v6b := netip.MustParseAddrPort("[2001:db8::1]:1024"), netip.MustParseAddrPort("[::1]:80")
	sig := "\r\n\r\n\x00\r\nQUIT\n"
	tests := []struct {
		name     string
		pp       config.ProxyProto
		src, dst netip.AddrPort
		check    bool
		want     string
	}{
		{"v1 tcp4", config.ProxyV1, v4a, v4b, false, "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n"},
		{"v1 tcp6", config.ProxyV1, v6a, v6b, false, "PROXY TCP6 2001:db8::1 ::1 1024 80\r\n"},
		{"v1 mixed", config.ProxyV1, v4a, v6b, false, "PROXY TCP6 ::ffff:192.0.2.1 ::1 56324 80\r\n"},
		{"v1 unknown", config.ProxyV1, netip.AddrPort{}, v4b, false, "PROXY UNKNOWN\r\n"},
		{"v1 check", config.ProxyV1, v4a, v4b, true, "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n"},
		{"options alone", config.ProxyV2CRC32C, v4a, v4b, false, "PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n"},
		{"v2 tcp4", config.ProxyV2, v4a, v4b, false, sig + "\x21\x11\x00\x0c" +
			"\xc0\x00\x02\x01" + "\xc6\x33\x64\x07" + "\xdc\x04" + "\x01\xbb"},
		{"v2 tcp6", config.ProxyV2, v6a, v6b, false, sig + "\x21\x21\x00\x24" +
			"\x20\x01\x0d\xb8\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" +
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" + "\x04\x00" + "\x00\x50"},
		{"v2 mixed", config.ProxyV2, v4a, v6b, false, sig + "\x21\x21\x00\x24" +
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\xc0\x00\x02\x01" +
			"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" + "\xdc\x04" + "\x00\x50"},
		{"v2 check", config.ProxyV2, v4a, v4b, true, sig + "\x20\x00\x00\x00"},
		{"v2 unique-id authority", config.ProxyV2 | config.ProxyV2UniqueID | config.ProxyV2Authority, v4a, v4b, false, sig + "\x21\x11\x00\x0f" +
			"\xc0\x00\x02\x01" + "\xc6\x33\x64\x07" + "\xdc\x04" + "\x01\xbb" + "\x05\x00\x00"},
		{"v2 check unique-id", config.ProxyV2 | config.ProxyV2UniqueID, v4a, v4b, true, sig + "\x20\x00\x00\x00"},
	}
	for _, tt := range tests {
		got := appendProxyHeader([]byte("x"), tt.pp, tt.src, tt.dst, tt.check)
		if string(got) != "x"+tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, "x"+tt.want)
		}
		if len(got)-1 > maxProxyHeader {
			t.Errorf("%s: %d bytes, more than maxProxyHeader", tt.name, len(got)-1)
		}
	}
}

// TestProxyHeaderCRC32C checks the CRC-32C TLV against a checksum of the
// header computed bit by bit (polynomial 0x82F63B78, reflected).
func TestProxyHeaderCRC32C(t *testing.T) {
	t.Parallel()
	for _, check := range []bool{false, true} {
		h := appendProxyHeader(nil, config.ProxyV2|config.ProxyV2CRC32C|config.ProxyV2UniqueID,
			netip.MustParseAddrPort("[2001:db8::1]:1024"), netip.MustParseAddrPort("[::1]:80"), check)
		at := bytes.Index(h, []byte{0x03, 0x00, 0x04}) + 3
		if at < 3 || int(h[14])<<8|int(h[15]) != len(h)-16 {
			t.Fatalf("check %v: no CRC-32C TLV or a wrong length in %x", check, h)
		}
		got := uint32(h[at])<<24 | uint32(h[at+1])<<16 | uint32(h[at+2])<<8 | uint32(h[at+3])
		z := bytes.Clone(h)
		copy(z[at:], []byte{0, 0, 0, 0})
		crc := ^uint32(0)
		for _, b := range z {
			crc ^= uint32(b)
			for range 8 {
				if crc&1 != 0 {
					crc = crc>>1 ^ 0x82F63B78
				} else {
					crc >>= 1
				}
			}
		}
		if want := ^crc; got != want {
			t.Errorf("check %v: CRC-32C %08x, want %08x", check, got, want)
		}
	}
}

func TestCheckProxyHeader(t *testing.T) {
	t.Parallel()
	local, remote := netip.MustParseAddrPort("127.0.0.2:40000"), netip.MustParseAddrPort("127.0.0.1:8080")
	tests := []struct {
		name string
		s    config.Server
		want string
	}{
		{"none", config.Server{}, ""},
		{"check-send-proxy", config.Server{CheckSendProxy: true}, "PROXY TCP4 127.0.0.2 127.0.0.1 40000 8080\r\n"},
		{"implied", config.Server{ProxyProto: config.ProxyV1}, "PROXY TCP4 127.0.0.2 127.0.0.1 40000 8080\r\n"},
		{"implied v2", config.Server{ProxyProto: config.ProxyV2}, proxyV2Sig + "\x20\x00\x00\x00"},
		{"port", config.Server{ProxyProto: config.ProxyV1, CheckPort: 81}, ""},
		{"addr", config.Server{ProxyProto: config.ProxyV1, CheckAddr: netip.MustParseAddr("127.0.0.9")}, ""},
		{"port forced", config.Server{ProxyProto: config.ProxyV2, CheckPort: 81, CheckSendProxy: true}, proxyV2Sig + "\x20\x00\x00\x00"},
	}
	for _, tt := range tests {
		if got := checkProxyHeader(&tt.s, local, remote); string(got) != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestAppendProxyHeaderAllocs(t *testing.T) {
	src, dst := netip.MustParseAddrPort("[2001:db8::1]:1024"), netip.MustParseAddrPort("[2001:db8::2]:80")
	var buf [maxProxyHeader]byte
	for _, pp := range []config.ProxyProto{config.ProxyV1, config.ProxyV2 | config.ProxyV2CRC32C | config.ProxyV2UniqueID} {
		if n := testing.AllocsPerRun(100, func() { _ = appendProxyHeader(buf[:0], pp, src, dst, false) }); n != 0 {
			t.Errorf("%b: %v allocations", pp, n)
		}
	}
}
