package engine

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"testing"

	"tether/engine/config"
)

// TestParseProxyHeaderRoundTrip: the headers tether writes (version 1 and
// 2, IPv4 and IPv6, with TLVs) read back to the same addresses, then the
// bytes that follow; every shorter prefix asks for more.
func TestParseProxyHeaderRoundTrip(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	addr := func(v6 bool) netip.AddrPort {
		var a netip.Addr
		if v6 {
			var b [16]byte
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
			b[0] = 0x20
			a = netip.AddrFrom16(b)
		} else {
			a = netip.AddrFrom4([4]byte{byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))})
		}
		return netip.AddrPortFrom(a, uint16(r.IntN(65536)))
	}
	for i := range 200 {
		v6 := i%2 == 1
		pp := []config.ProxyProto{config.ProxyV1, config.ProxyV2, config.ProxyV2 | config.ProxyV2CRC32C}[i%3]
		src, dst := addr(v6), addr(v6)
		h := appendProxyHeader(nil, pp, src, dst, false)
		b := append(h, "GET / HTTP/1.1\r\n"...)
		n, gs, gd, err := parseProxyHeader(b)
		if err != nil || n != len(h) || gs != src || gd != dst {
			t.Fatalf("%q: %d %v %v %v; want %d %v %v", h, n, gs, gd, err, len(h), src, dst)
		}
		for k := range len(h) {
			if _, _, _, err := parseProxyHeader(h[:k]); !errors.Is(err, errProxyMore) {
				t.Fatalf("%q, first %d bytes: %v, want errProxyMore", h, k, err)
			}
		}
	}
}

// TestParseProxyHeaderRefusals: what is not a PROXY header is told from a
// malformed one, as HAProxy 2.6 tells them; UNKNOWN, LOCAL and families
// other than TCP carry no address.
func TestParseProxyHeaderRefusals(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want error
	}{
		{"GET / HTTP/1.1\r\n\r\n", errNotProxy},
		{proxyV2Sig + "\x31\x11\x00\x0c" + "012345678901", errNotProxy},            // version 3
		{"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n", errBadProxy},                          // no CR
		{"PROXY TCP4 1.2.3.4 ::1 1 2\r\n", errBadProxy},                            // family mismatch
		{"PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n", errBadProxy},                        // family mismatch
		{"PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n", errBadProxy},                    // port
		{"PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n", errBadProxy},                          // missing port
		{"PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n", errBadProxy},                       // port
		{"PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n", errBadProxy},                       // empty field
		{"PROXY TCP4 " + string(make([]byte, 120)), errBadProxy},                   // too long
		{proxyV2Sig + "\x22\x11\x00\x0c" + "012345678901", errBadProxy},            // command 2
		{proxyV2Sig + "\x21\x11\x00\x04" + "0123", errBadProxy},                    // short IPv4 block
		{proxyV2Sig + "\x21\x00\x00\x03abc", errBadProxy},                          // a TLV past the end
		{proxyV2Sig + "\x21\x00\x00\x07\x03\x00\x04\x00\x00\x00\x00", errBadProxy}, // a wrong CRC-32C
		{"PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n", errProxyProto},
		{"PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n", errProxyProto}, // as HAProxy 2.6 reads it
	} {
		if _, _, _, err := parseProxyHeader([]byte(c.in)); !errors.Is(err, c.want) {
			t.Errorf("%q: %v, want %v", c.in, err, c.want)
		}
	}
	for _, in := range []string{"PROXY UNKNOWN\r\n", proxyV2Sig + "\x20\x00\x00\x00",
		proxyV2Sig + "\x21\x00\x00\x05\x04\x00\x02ok", proxyV2Sig + "\x21\x31\x00\x00"} {
		n, src, dst, err := parseProxyHeader([]byte(in + "GET"))
		if err != nil || n != len(in) || src.IsValid() || dst.IsValid() {
			t.Errorf("%q: %d %v %v %v", in, n, src, dst, err)
		}
	}
}

// FuzzParseProxyHeader: any input is read without panic, a header never
// claims more bytes than given, and an accepted one reads the same from
// a longer input.
func FuzzParseProxyHeader(f *testing.F) {
	f.Add([]byte("PROXY TCP4 10.1.2.3 10.9.9.9 1234 80\r\nGET"))
	f.Add([]byte("PROXY TCP6 ::1 2001:db8::1 1 2\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(appendProxyHeader(nil, config.ProxyV2|config.ProxyV2CRC32C, netip.MustParseAddrPort("1.2.3.4:5"), netip.MustParseAddrPort("6.7.8.9:10"), false))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, src, dst, err := parseProxyHeader(b)
		if err != nil {
			return
		}
		if n <= 0 || n > len(b) {
			t.Fatalf("%q: length %d of %d", b, n, len(b))
		}
		n2, src2, dst2, err2 := parseProxyHeader(append(b[:n:n], "more"...))
		if err2 != nil || n2 != n || src2 != src || dst2 != dst {
			t.Fatalf("%q: read again %d %v %v %v", b, n2, src2, dst2, err2)
		}
	})
}
