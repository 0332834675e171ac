package config

import (
	"errors"
	"net/netip"
	"strings"
)

// addrPrefix is the family prefix of an address ("ipv4@", "unix@", ...).
type addrPrefix uint8

const (
	prefixNone addrPrefix = iota
	prefixIPv4
	prefixIPv6
	prefixUnix
)

// unsupportedPrefixes are HAProxy address families tether does not handle.
var unsupportedPrefixes = []string{"abns@", "fd@", "sockpair@", "udp@", "udp4@", "udp6@", "quic4@", "quic6@", "uxdg@", "uxst@"}

// splitPrefix removes an address family prefix. It returns ok false with
// the prefix for a family tether does not support.
func splitPrefix(s string) (addrPrefix, string, string, bool) {
	switch {
	case strings.HasPrefix(s, "ipv4@"), strings.HasPrefix(s, "tcp4@"):
		return prefixIPv4, s[5:], "", true
	case strings.HasPrefix(s, "ipv6@"), strings.HasPrefix(s, "tcp6@"):
		return prefixIPv6, s[5:], "", true
	case strings.HasPrefix(s, "tcp@"):
		return prefixNone, s[4:], "", true
	case strings.HasPrefix(s, "unix@"):
		return prefixUnix, s[5:], "", true
	}
	for _, u := range unsupportedPrefixes {
		if strings.HasPrefix(s, u) {
			return prefixNone, s, u, false
		}
	}
	return prefixNone, s, "", true
}

// splitHostPort cuts "host:port" at the last colon; "[v6]:port" keeps the
// brackets off. hasPort is false when there is no colon at all.
func splitHostPort(s string) (host, port string, hasPort bool) {
	if strings.HasPrefix(s, "[") {
		if end := strings.IndexByte(s, ']'); end > 0 {
			host, rest := s[1:end], s[end+1:]
			if strings.HasPrefix(rest, ":") {
				return host, rest[1:], true
			}
			return host, rest, false
		}
	}
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+1:], true
}

// parsePort reads a decimal port in 1..65535.
func parsePort(s string) (int, bool) {
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, n > 0 && n <= 65535
}

// ErrAddr is wrapped by the errors of ParseListenAddr and ParseServerAddr,
// whose text says what is wrong with the address.
var ErrAddr = errors.New("config: bad address")

// addrError is an address refused by ParseListenAddr or ParseServerAddr,
// with the parser's alert message.
type addrError struct{ addr, msg string }

func (e *addrError) Error() string { return ErrAddr.Error() + " '" + e.addr + "': " + e.msg }

func (e *addrError) Unwrap() error { return ErrAddr }

// ParseListenAddr reads a listening address as a `bind` or `stats socket`
// line does (see parseListenAddr), for programs that build listeners
// without a configuration file. Unlike a configuration line it also takes
// port 0, which lets the system choose a free port.
func ParseListenAddr(s string) (ListenAddr, error) {
	la, msg := parseListenAddr(s, true)
	if msg != "" {
		return ListenAddr{}, &addrError{s, msg}
	}
	return la, nil
}

// ParseServerAddr reads an address to connect to as a `server` line does
// (see parseServerAddr).
func ParseServerAddr(s string) (ServerAddr, error) {
	sa, msg := parseServerAddr(s)
	if msg != "" {
		return ServerAddr{}, &addrError{s, msg}
	}
	return sa, nil
}

// parseListenAddr reads a listening address: "[ipv4@|ipv6@]host:port" with
// host an IP literal, "*" or empty (":::80" is IPv6's unspecified address),
// or "unix@path" or "/path". An IPv4-mapped IPv6 address reads as its IPv4
// address. Port 0 is refused, as HAProxy does, unless anyPort. It returns
// the alert message on failure.
func parseListenAddr(s string, anyPort bool) (ListenAddr, string) {
	pfx, rest, bad, ok := splitPrefix(s)
	if !ok {
		return ListenAddr{}, "address family '" + bad + "' is not supported yet by tether"
	}
	if pfx == prefixUnix || (pfx == prefixNone && strings.HasPrefix(rest, "/")) {
		if rest == "" {
			return ListenAddr{}, "missing path in '" + s + "'"
		}
		return ListenAddr{Name: s, Network: NetUnix, Path: rest}, ""
	}
	host, port, hasPort := splitHostPort(rest)
	if !hasPort || port == "" {
		return ListenAddr{}, "missing port specification in '" + s + "'"
	}
	if strings.Contains(port, "-") {
		return ListenAddr{}, "port ranges are not supported yet by tether in '" + s + "'"
	}
	n, ok := parsePort(port)
	if !ok && !(anyPort && port == "0") {
		return ListenAddr{}, "invalid port '" + port + "'"
	}
	var ip netip.Addr
	switch {
	case host == "" || host == "*":
		ip = netip.IPv4Unspecified()
		if pfx == prefixIPv6 {
			ip = netip.IPv6Unspecified()
		}
	default:
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" {
			return ListenAddr{}, "invalid address: '" + host + "' in '" + s + "'"
		}
		ip = a
	}
	network := NetTCP4
	if ip.Is6() {
		network = NetTCP6
	}
	if (pfx == prefixIPv4 && network != NetTCP4) || (pfx == prefixIPv6 && network != NetTCP6) {
		return ListenAddr{}, "invalid address: '" + host + "' in '" + s + "'"
	}
	if ip.Is4In6() {
		// HAProxy's IPv6 socket on a mapped address takes the IPv4
		// address's connections: an IPv4 socket does the same.
		ip, network = ip.Unmap(), NetTCP4
	}
	return ListenAddr{Name: s, Network: network, Addr: netip.AddrPortFrom(ip, uint16(n))}, ""
}

// parseServerAddr reads a server address: "[ipv4@|ipv6@]host[:port]" with
// host an IP literal or a name to resolve, port absent, fixed, or an offset
// "+N"/"-N"; or "unix@path" or "/path".
func parseServerAddr(s string) (ServerAddr, string) {
	pfx, rest, bad, ok := splitPrefix(s)
	if !ok {
		return ServerAddr{}, "address family '" + bad + "' is not supported yet by tether"
	}
	if pfx == prefixUnix || (pfx == prefixNone && strings.HasPrefix(rest, "/")) {
		if rest == "" {
			return ServerAddr{}, "missing path in '" + s + "'"
		}
		return ServerAddr{Network: NetUnix, Path: rest, PortMode: PortNone}, ""
	}
	host, port, hasPort := splitHostPort(rest)
	// "::1" alone: an IPv6 literal without a port.
	if hasPort && !strings.HasPrefix(rest, "[") {
		if a, err := netip.ParseAddr(rest); err == nil && a.Is6() && strings.Count(rest, ":") > 1 {
			if _, perr := netip.ParseAddr(host); perr != nil {
				host, port, hasPort = rest, "", false
			}
		}
	}
	sa := ServerAddr{Network: NetTCP4, PortMode: PortNone}
	if pfx == prefixIPv6 {
		sa.Network = NetTCP6
	}
	switch {
	case !hasPort:
	case port == "":
		return ServerAddr{}, "missing port specification in '" + s + "'"
	case port[0] == '+' || port[0] == '-':
		n, ok := parsePort(port[1:])
		if !ok {
			return ServerAddr{}, "invalid port '" + port + "'"
		}
		if port[0] == '-' {
			n = -n
		}
		sa.Port, sa.PortMode = n, PortOffset
	case strings.Contains(port, "-"):
		return ServerAddr{}, "port range not permitted here in '" + s + "'"
	default:
		if port != "0" {
			n, ok := parsePort(port)
			if !ok {
				return ServerAddr{}, "invalid port '" + port + "'"
			}
			sa.Port, sa.PortMode = n, PortFixed
		}
	}
	if host == "" || host == "*" {
		return ServerAddr{}, "invalid address: '" + host + "' in '" + s + "'"
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
		sa.IP = a
		if a.Is4() || a.Is4In6() && pfx == prefixIPv4 {
			sa.IP, sa.Network = a.Unmap(), NetTCP4
		} else {
			sa.Network = NetTCP6
		}
		if (pfx == prefixIPv4 && sa.Network != NetTCP4) || (pfx == prefixIPv6 && sa.Network != NetTCP6) {
			return ServerAddr{}, "invalid address: '" + host + "' in '" + s + "'"
		}
		return sa, ""
	}
	for i := 0; i < len(host); i++ {
		if hostClass[host[i]] == 0 {
			return ServerAddr{}, "invalid address: '" + host + "' in '" + s + "'"
		}
	}
	sa.Host = host
	return sa, ""
}

// hostClass marks the characters allowed in a host name.
var hostClass = func() (t [256]uint8) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = 1
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = 1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = 1
	}
	t['-'], t['.'], t['_'] = 1, 1, 1
	return t
}()
