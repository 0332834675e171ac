package persist

import (
	"net/netip"

	"github.com/cespare/xxhash/v2"
)

// DynamicLen is the length of a dynamic cookie value.
const DynamicLen = 16

// hexDigits are the lowercase digits of a dynamic cookie value.
const hexDigits = "0123456789abcdef"

// DynamicCookie computes the cookie value HAProxy derives for a server of a
// backend with `cookie ... dynamic`: XXH64 with seed 0 over the key bytes,
// the address (4 bytes for IPv4, 16 for IPv6, network order) and the service
// port as 4 big-endian bytes, printed as 16 lowercase hex digits. port is
// HAProxy's svc_port: 0 without a port, N for "+N" and 2^32-N for "-N".
// ok is false when addr is not a valid address; HAProxy then computes no
// cookie. An IPv4-mapped IPv6 address is hashed as IPv6, as the kernel
// address family says.
func DynamicCookie(key string, addr netip.Addr, port uint32) (v [DynamicLen]byte, ok bool) {
	if !addr.IsValid() {
		return v, false
	}
	d := xxhash.New()
	_, _ = d.WriteString(key)
	if addr.Is4() {
		a := addr.As4()
		_, _ = d.Write(a[:])
	} else {
		a := addr.As16()
		_, _ = d.Write(a[:])
	}
	p := [4]byte{byte(port >> 24), byte(port >> 16), byte(port >> 8), byte(port)}
	_, _ = d.Write(p[:])
	h := d.Sum64()
	for i := DynamicLen - 1; i >= 0; i-- {
		v[i] = hexDigits[h&0xf]
		h >>= 4
	}
	return v, true
}
