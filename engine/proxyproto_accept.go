package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"

	"tether/engine/accesslog"
)

// A listener with `accept-proxy` expects each connection to start with a
// PROXY protocol header (version 1 or 2, as haproxy's proxy-protocol.txt
// describes them); the client's address is then the one the header gives
// (or the connection's own for UNKNOWN and LOCAL). A connection that
// starts with anything else is closed, as HAProxy closes it.

var (
	// errNotProxy: the connection did not start with a PROXY header.
	errNotProxy = errors.New("engine: not a PROXY protocol header")
	// errBadProxy: the connection started with a malformed PROXY header.
	errBadProxy = errors.New("engine: invalid PROXY protocol header")
	// errProxyProto: a version 1 header names a protocol other than TCP4,
	// TCP6 or UNKNOWN (alone).
	errProxyProto = errors.New("engine: unhandled protocol in the PROXY protocol header")
	// errProxyMore: more bytes are needed to read the header.
	errProxyMore = errors.New("engine: incomplete PROXY protocol header")
)

// proxyV1Max is the longest version 1 header, CRLF included.
const proxyV1Max = 107

// parseProxyHeader reads the PROXY header at the start of b. It returns its
// length and the addresses it carries, src and dst invalid when it carries
// none (UNKNOWN, LOCAL, a family other than TCP), errProxyMore when b ends
// inside it, errBadProxy when it is malformed (errProxyProto for a version
// 1 protocol other than TCP4, TCP6 and UNKNOWN), and errNotProxy when b
// starts with something else. tether waits for a header that comes in
// pieces, where HAProxy reads it in one go. It does not allocate and keeps no reference
// to b.
func parseProxyHeader(b []byte) (n int, src, dst netip.AddrPort, err error) {
	switch {
	case len(b) >= len(proxyV2Sig) && string(b[:len(proxyV2Sig)]) == proxyV2Sig:
		return readProxyV2(b)
	case len(b) < len(proxyV2Sig) && string(b) == proxyV2Sig[:len(b)]:
		return 0, src, dst, errProxyMore
	case len(b) >= 6 && string(b[:6]) == "PROXY ":
		return readProxyV1(b)
	case len(b) < 6 && string(b) == "PROXY "[:len(b)]:
		return 0, src, dst, errProxyMore
	}
	return 0, src, dst, errNotProxy
}

// readProxyV1 reads "PROXY TCP4|TCP6 src dst sport dport\r\n" or "PROXY
// UNKNOWN ...\r\n".
func readProxyV1(b []byte) (n int, src, dst netip.AddrPort, err error) {
	end := bytes.IndexByte(b[:min(len(b), proxyV1Max)], '\n')
	if end < 0 {
		if len(b) >= proxyV1Max {
			return 0, src, dst, errBadProxy
		}
		return 0, src, dst, errProxyMore
	}
	if end < 1 || b[end-1] != '\r' {
		return 0, src, dst, errBadProxy
	}
	line := b[6 : end-1]
	n = end + 1
	if string(line) == "UNKNOWN" { // as HAProxy 2.6, nothing may follow it
		return n, src, dst, nil
	}
	if p := bytes.IndexByte(line, ' '); p < 0 || string(line[:p]) != "TCP4" && string(line[:p]) != "TCP6" {
		return 0, src, dst, errProxyProto
	}
	var f [5][]byte
	for i := range f {
		sp := bytes.IndexByte(line, ' ')
		if i == len(f)-1 {
			sp = len(line)
		}
		if sp <= 0 {
			return 0, src, dst, errBadProxy
		}
		f[i], line = line[:sp], line[min(sp+1, len(line)):]
	}
	v4 := string(f[0]) == "TCP4"
	if !v4 && string(f[0]) != "TCP6" {
		return 0, src, dst, errProxyProto
	}
	sa, err1 := netip.ParseAddr(string(f[1]))
	da, err2 := netip.ParseAddr(string(f[2]))
	sp, ok1 := proxyPort(f[3])
	dp, ok2 := proxyPort(f[4])
	if err1 != nil || err2 != nil || !ok1 || !ok2 || sa.Is4() != v4 || da.Is4() != v4 || sa.Zone() != "" || da.Zone() != "" {
		return 0, src, dst, errBadProxy
	}
	return n, netip.AddrPortFrom(sa, sp), netip.AddrPortFrom(da, dp), nil
}

// proxyPort reads a version 1 port: decimal digits, 0 to 65535.
func proxyPort(b []byte) (uint16, bool) {
	if len(b) == 0 || len(b) > 5 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseUint(string(b), 10, 16)
	return uint16(v), err == nil
}

// readProxyV2 reads a binary header: the signature, the version and
// command, the family, the length of what follows, the addresses (then
// TLVs, skipped).
func readProxyV2(b []byte) (n int, src, dst netip.AddrPort, err error) {
	const fixed = 16
	if len(b) < fixed {
		return 0, src, dst, errProxyMore
	}
	verCmd, fam := b[12], b[13]
	n = fixed + int(binary.BigEndian.Uint16(b[14:16]))
	if verCmd>>4 != 2 {
		return 0, src, dst, errNotProxy
	}
	if verCmd&0x0f > 1 {
		return 0, src, dst, errBadProxy
	}
	if len(b) < n {
		return 0, src, dst, errProxyMore
	}
	if verCmd&0x0f == 0 { // LOCAL: the connection's own addresses
		return n, src, dst, nil
	}
	a := b[fixed:n]
	tlvs := fixed
	switch fam {
	case proxyV2TCP4:
		if len(a) < 12 {
			return 0, src, dst, errBadProxy
		}
		src = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:4])), binary.BigEndian.Uint16(a[8:10]))
		dst = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:8])), binary.BigEndian.Uint16(a[10:12]))
		tlvs += 12
	case proxyV2TCP6:
		if len(a) < 36 {
			return 0, src, dst, errBadProxy
		}
		src = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:16])), binary.BigEndian.Uint16(a[32:34]))
		dst = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:32])), binary.BigEndian.Uint16(a[34:36]))
		tlvs += 36
	default: // another family: the connection's own addresses, as HAProxy keeps them
	}
	if !proxyTLVsValid(b[:n], tlvs) {
		return 0, netip.AddrPort{}, netip.AddrPort{}, errBadProxy
	}
	return n, src, dst, nil
}

// proxyTLVAuthority is the version 2 TLV of the client's authority.
const proxyTLVAuthority = 0x02

// proxyTLVsValid reports whether the TLVs of header h, from off to its
// end, are framed and hold what HAProxy 2.6 checks: an authority of at
// most 255 bytes, a unique ID of at most 128, a CRC-32C of 4 that matches
// the header's with them zero.
func proxyTLVsValid(h []byte, off int) bool {
	for off < len(h) {
		if off+3 > len(h) {
			return false
		}
		typ, l := h[off], int(binary.BigEndian.Uint16(h[off+1:off+3]))
		v := off + 3
		if off = v + l; off > len(h) {
			return false
		}
		switch typ {
		case proxyTLVAuthority:
			if l > 255 {
				return false
			}
		case proxyTLVUniqueID:
			if l > 128 {
				return false
			}
		case proxyTLVCRC32C:
			if l != 4 || binary.BigEndian.Uint32(h[v:v+4]) != crc32cZeroed(h, v) {
				return false
			}
		}
	}
	return true
}

// crc32cZeroed is the CRC-32C of h with the 4 bytes at v read as zeros.
func crc32cZeroed(h []byte, v int) uint32 {
	crc := ^uint32(0)
	for i, c := range h {
		if i >= v && i < v+4 {
			c = 0
		}
		crc = crc32cTable[byte(crc)^c] ^ crc>>8
	}
	return ^crc
}

// readProxy reads the PROXY header the connection's listener expects
// first, and takes the client's address from it. It reports whether the
// requests may follow: not while the header is incomplete, nor after
// anything else came, which closes the connection (its unread bytes make
// it a reset) with HAProxy's message in the frontend's log.
func (cc *clientConn) readProxy() bool {
	buf, _ := cc.in.Peek(-1)
	n, src, dst, err := parseProxyHeader(buf)
	switch {
	case errors.Is(err, errProxyMore):
		return false
	case err != nil:
		// As HAProxy, a frontend that logs its traffic (httplog) logs the
		// failed connection.
		if lg := cc.fe.log; lg != nil && cc.fe.httplog {
			msg := "Received something which does not look like a PROXY protocol header"
			switch {
			case errors.Is(err, errBadProxy):
				msg = "Received an invalid PROXY protocol header"
			case errors.Is(err, errProxyProto):
				msg = "Received an unhandled protocol in the PROXY protocol header"
			}
			line := accesslog.AppendConnError(cc.ls.scratch[:0], cc.src, cc.t0, cc.fe.name, cc.proxyFrom.ID, msg)
			lg.Log(line)
			cc.ls.scratch = line[:0]
		}
		cc.proxyFrom = nil
		cc.closeNow()
		return false
	}
	_, _ = cc.in.Discard(n)
	cc.proxyFrom = nil
	if src.IsValid() {
		cc.src, cc.dst = src, dst
	}
	return true
}

// local is the connection's local end: what a PROXY header named, else
// the socket's.
func (cc *clientConn) local() netip.AddrPort {
	if cc.dst.IsValid() {
		return cc.dst
	}
	return addrPort(cc.c.LocalAddr())
}
