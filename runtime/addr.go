package runtime

import (
	"errors"
	"net"
	"strings"
)

// ErrAddr is returned (wrapped, with the address) for a socket address
// ParseSocketAddr does not understand.
var ErrAddr = errors.New("runtime: bad socket address")

// ParseSocketAddr returns the Go network and address of a socket written as
// HAProxy and tetherctl accept it:
//
//	ipv4@127.0.0.1:9999   TCP over IPv4
//	ipv6@[::1]:9999       TCP over IPv6 (ipv6@::1:9999 also works)
//	tcp@host:9999         TCP, either family
//	unix@/run/tether.sock unix stream socket
//	/run/tether.sock      a path (starting with / or .) is a unix socket
//	host:9999             TCP, either family
//	*:9999                TCP on every address (as :9999)
func ParseSocketAddr(s string) (network, address string, err error) {
	prefix, rest, found := strings.Cut(s, "@")
	if !found {
		prefix, rest = "", s
	}
	switch prefix {
	case "unix":
		network = "unix"
	case "ipv4":
		network = "tcp4"
	case "ipv6":
		network = "tcp6"
	case "tcp":
		network = "tcp"
	case "":
		network = "tcp"
		if strings.HasPrefix(rest, "/") || strings.HasPrefix(rest, ".") {
			network = "unix"
		}
	default:
		return "", "", &addrError{s}
	}
	if network == "unix" {
		if rest == "" {
			return "", "", &addrError{s}
		}
		return network, rest, nil
	}
	host, port, err := net.SplitHostPort(rest)
	if err != nil {
		// ipv6@::1:9999: the port follows the last colon.
		i := strings.LastIndexByte(rest, ':')
		if network != "tcp6" || i < 0 {
			return "", "", &addrError{s}
		}
		host, port = rest[:i], rest[i+1:]
	}
	if port == "" {
		return "", "", &addrError{s}
	}
	if host == "*" { // HAProxy's "any address"
		host = ""
	}
	return network, net.JoinHostPort(host, port), nil
}

// addrError names the address ParseSocketAddr rejected.
type addrError struct{ addr string }

func (e *addrError) Error() string { return ErrAddr.Error() + " '" + e.addr + "'" }

func (e *addrError) Unwrap() error { return ErrAddr }
