package engine

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"strconv"

	"tether/engine/config"
)

// The PROXY protocol header a server with `send-proxy` or `send-proxy-v2`
// reads first on each new connection, as HAProxy 2.6 writes it (see
// /usr/share/doc/haproxy/proxy-protocol.txt): the client's address and the
// address it connected to. A connection is reused only by requests whose
// header would be the same, which HAProxy ensures by hashing the header
// into the identity of its idle connections; here a pooled connection
// keeps the header it was opened with (Upstream.Preface) and a request
// compares it with its own (takeIdle).

// proxyV2Sig is the signature that starts a version 2 header.
const proxyV2Sig = "\r\n\r\n\x00\r\nQUIT\n"

// Version 2 header fields.
const (
	proxyV2Local = 0x20 // version 2, command LOCAL: the proxy's own connection
	proxyV2Proxy = 0x21 // version 2, command PROXY: a relayed connection

	proxyV2Unspec = 0x00 // family and transport unknown (LOCAL)
	proxyV2TCP4   = 0x11 // TCP over IPv4
	proxyV2TCP6   = 0x21 // TCP over IPv6

	proxyTLVCRC32C   = 0x03 // the CRC-32C of the header
	proxyTLVUniqueID = 0x05 // the request's unique ID
)

// maxProxyHeader bounds a header tether writes: version 1 with two IPv6
// addresses is 104 bytes; version 2 is at most 16 + 36 bytes of addresses,
// 7 of CRC-32C and 3 of the unique ID's TLV, plus the ID (maxUniqueID).
const maxProxyHeader = 108 + maxUniqueID

// crc32cTable is the Castagnoli table of the CRC-32C TLV.
var crc32cTable = crc32.MakeTable(crc32.Castagnoli)

// crc32c returns the CRC-32C of b, a byte at a time through the table:
// crc32.Checksum would make every header escape (it calls through a
// function variable), and a header is short.
func crc32c(b []byte) uint32 {
	crc := ^uint32(0)
	for _, c := range b {
		crc = crc32cTable[byte(crc)^c] ^ crc>>8
	}
	return ^crc
}

// appendProxyHeader appends to b the header of pp (which must not be 0)
// for a connection from src to dst: version 1 names them (UNKNOWN when
// either is invalid), version 2 carries them, with the TLVs pp asks for.
// check says the connection is a health check's, the proxy's own: version
// 2 then says LOCAL without addresses and has no unique ID, as in HAProxy.
// A client address and a frontend address of different families are both
// written as IPv6, as HAProxy does. It does not allocate when b has room
// for maxProxyHeader more bytes.
func appendProxyHeader(b []byte, pp config.ProxyProto, src, dst netip.AddrPort, check bool) []byte {
	return appendProxyHeaderID(b, pp, src, dst, check, nil)
}

// appendProxyHeaderID is appendProxyHeader with the request's unique ID
// for the unique-id TLV (nil: empty, as HAProxy sends it without a
// unique-id-format).
func appendProxyHeaderID(b []byte, pp config.ProxyProto, src, dst netip.AddrPort, check bool, uid []byte) []byte {
	if pp&config.ProxyV2 == 0 {
		return appendProxyV1(b, src, dst)
	}
	start := len(b)
	b = append(b, proxyV2Sig...)
	both4 := src.Addr().Is4() && dst.Addr().Is4()
	switch {
	case check || !src.IsValid() || !dst.IsValid():
		b = append(b, proxyV2Local, proxyV2Unspec, 0, 0)
	case both4:
		b = append(b, proxyV2Proxy, proxyV2TCP4, 0, 0)
		s, d := src.Addr().As4(), dst.Addr().As4()
		b = append(append(b, s[:]...), d[:]...)
		b = binary.BigEndian.AppendUint16(b, src.Port())
		b = binary.BigEndian.AppendUint16(b, dst.Port())
	default:
		b = append(b, proxyV2Proxy, proxyV2TCP6, 0, 0)
		s, d := src.Addr().As16(), dst.Addr().As16() // IPv4 as IPv4-mapped
		b = append(append(b, s[:]...), d[:]...)
		b = binary.BigEndian.AppendUint16(b, src.Port())
		b = binary.BigEndian.AppendUint16(b, dst.Port())
	}
	crcAt := -1
	if pp&config.ProxyV2CRC32C != 0 {
		b = append(b, proxyTLVCRC32C, 0, 4)
		crcAt = len(b)
		b = append(b, 0, 0, 0, 0)
	}
	// authority: the client's TLS SNI or the authority of a PROXY header
	// it sent; tether's clients have neither, so there is no TLV, as in
	// HAProxy for such a client.
	if pp&config.ProxyV2UniqueID != 0 && !check {
		uid = uid[:min(len(uid), maxUniqueID)]
		b = append(b, proxyTLVUniqueID, 0, byte(len(uid)))
		b = append(b, uid...)
	}
	binary.BigEndian.PutUint16(b[start+14:], uint16(len(b)-start-16))
	if crcAt >= 0 {
		binary.BigEndian.PutUint32(b[crcAt:], crc32c(b[start:]))
	}
	return b
}

// appendProxyV1 appends the version 1 line for a connection from src to
// dst.
func appendProxyV1(b []byte, src, dst netip.AddrPort) []byte {
	if !src.IsValid() || !dst.IsValid() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	sa, da := src.Addr(), dst.Addr()
	if sa.Is4() && da.Is4() {
		b = append(b, "PROXY TCP4 "...)
	} else {
		b = append(b, "PROXY TCP6 "...)
		sa, da = as6(sa), as6(da)
	}
	b = sa.AppendTo(b)
	b = append(b, ' ')
	b = da.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(src.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(dst.Port()), 10)
	return append(b, "\r\n"...)
}

// as6 returns a as an IPv6 address: an IPv4 one IPv4-mapped.
func as6(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom16(a.As16())
	}
	return a
}

// proxyHeader returns the PROXY header a new connection to srv carries for
// cc's request, appended to b, or b unchanged when srv sends none.
func (cc *clientConn) proxyHeader(b []byte, srv *server) []byte {
	pp := srv.cfg.ProxyProto
	if pp == 0 {
		return b
	}
	var uid []byte
	if pp&config.ProxyV2UniqueID != 0 {
		uid = cc.uniqueID() // made now if not yet, as HAProxy makes it for the TLV
	}
	return appendProxyHeaderID(b, pp, cc.src, cc.local(), false, uid)
}

// prepareDial sets what a new connection of s to srv starts with for cc's
// request: the local address it binds (`source` of the server, else of
// the backend) and the PROXY header it writes first.
func (cc *clientConn) prepareDial(s *serverConn, srv *server) {
	s.Source = srv.cfg.Source
	if !s.Source.IsValid() {
		s.Source = cc.be.proxy.Source
	}
	s.Preface = nil
	if srv.cfg.ProxyProto != 0 {
		// A new slice each time: the dial's goroutine writes it while s
		// may be closed and dial again.
		s.Preface = cc.proxyHeader(make([]byte, 0, maxProxyHeader), srv)
	}
}

// maxPassedOver bounds how many idle connections takeIdle looks past for
// one whose PROXY header is the request's.
const maxPassedOver = 8

// takeIdle takes an idle connection to srv from p for cc's request: the
// most recently parked one, or for a server that gets a PROXY header, the
// most recent one whose header is the request's (HAProxy reuses only
// those), looking at most maxPassedOver deep. The ones passed over go back
// into p in their order, their idle time counted again from now. It
// returns nil when there is none.
func (cc *clientConn) takeIdle(p *Pool, srv *server) *Upstream {
	if srv.cfg.ProxyProto == 0 {
		return p.Get()
	}
	var buf [maxProxyHeader]byte
	hdr := cc.proxyHeader(buf[:0], srv)
	var passed [maxPassedOver]*Upstream
	n := 0
	var found *Upstream
	for n < len(passed) {
		u := p.Get()
		if u == nil {
			break
		}
		if bytes.Equal(u.Preface, hdr) { // a unique ID in the header too, as HAProxy hashes it
			found = u
			break
		}
		passed[n] = u
		n++
	}
	for i := n - 1; i >= 0; i-- {
		if !p.Put(passed[i]) {
			passed[i].Close()
		}
	}
	return found
}

// checkProxyHeader returns the PROXY header a check of a server whose line
// is cfg starts with, on a connection from local to remote, or nil: with
// `check-send-proxy`, or, as in HAProxy, when the server sends one to
// its traffic and its line sends checks to neither another `port` nor
// another `addr`. Version 1 names the check's own addresses.
func checkProxyHeader(cfg *config.Server, local, remote netip.AddrPort) []byte {
	pp := cfg.ProxyProto
	if pp == 0 && !cfg.CheckSendProxy || !cfg.CheckSendProxy && (cfg.CheckPort != 0 || cfg.CheckAddr.IsValid()) {
		return nil
	}
	if pp == 0 {
		pp = config.ProxyV1
	}
	return appendProxyHeader(make([]byte, 0, maxProxyHeader), pp, local, remote, true)
}
