package accesslog

import "errors"

// Errors of New. They are wrapped with the offending `log` line and are
// compared with errors.Is.
var (
	// ErrFormat: the `format` of a log line is not one HAProxy 2.6 knows
	// (local, rfc3164, rfc5424, priority, short, timed, iso, raw; all are
	// supported).
	ErrFormat = errors.New("accesslog: unknown log format")
	// ErrAddress: the address of a log line is not supported: tether
	// sends to UDP (IPv4 or IPv6), to a unix datagram socket, to stdout
	// and to stderr, not to rings, other descriptors or TCP.
	ErrAddress = errors.New("accesslog: unsupported log address")
	// ErrFacility: unknown facility or level name.
	ErrFacility = errors.New("accesslog: unknown log facility or level")
)

// errNotConnected: a unix socket target could not be reached; the line
// is counted as dropped.
var errNotConnected = errors.New("accesslog: log socket not connected")
