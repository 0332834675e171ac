// Package dns resolves the names of servers at run time as HAProxy 2.6
// does for a `resolvers` section: UDP queries to every nameserver, the
// first valid answer wins, retries, A/AAAA fallback, SRV records, hold
// periods, and the spreading of one name's addresses over the servers that
// share it (server-template).
//
// A Resolver runs one goroutine for its section (plus one reader per
// nameserver socket) and reports what changes in each server through a
// callback; it never touches the engine itself.
package dns

import (
	"net/netip"
	"time"
)

// Config is one resolvers section.
type Config struct {
	Name        string           // section name, for reasons in changes
	Nameservers []netip.AddrPort // UDP nameservers
	Names       []string         // their names, in the same order, for Change.Updater; missing ones are named by address
	PayloadSize int              // accepted_payload_size, announced with EDNS0; larger answers are dropped; default 512
	Retries     int              // resolve_retries: queries sent before giving up; at least 1
	Resolve     time.Duration    // timeout resolve: between two resolutions of a name; default 1s
	Retry       time.Duration    // timeout retry: between two queries of one resolution; default 1s
	Hold        Hold
}

// Hold holds how long after the last valid answer an error of each kind is
// ignored (the server keeps its address), and how long a record missing
// from new answers is kept (Obsolete). Valid does not concern servers.
type Hold struct {
	NX, Refused, Timeout, Other, Valid, Obsolete time.Duration
}

// Family is an address family a server prefers.
type Family uint8

const (
	// IPv6 prefers AAAA records and queries them first (HAProxy's default).
	IPv6 Family = iota
	// IPv4 prefers A records and queries them first.
	IPv4
)

// Server is one server that resolves its name with the section. The
// servers of a server-template share Host and spread its records.
type Server struct {
	Backend      string         // backend name: addresses are not shared within a backend
	Name         string         // server name
	Host         string         // name to resolve; one starting with '_' is an SRV name
	Prefer       Family         // resolve-prefer
	Nets         []netip.Prefix // resolve-net: preferred networks
	AllowDup     bool           // resolve-opts allow-dup-ip
	IgnoreWeight bool           // resolve-opts ignore-weight
	Addr         netip.Addr     // address at start (init-addr); invalid without one
	Maint        bool           // in maintenance for resolution at start (init-addr none)
}

// Change is what a resolution changes in one server. Fields not marked
// set are unchanged.
type Change struct {
	Backend, Server string

	SetAddr bool
	Addr    netip.Addr // invalid when the address is cleared
	Updater string     // what gave the address, as HAProxy names it: "section/nameserver" or "DNS cache"

	SetPort bool
	Port    uint16 // from an SRV record

	SetWeight bool
	Weight    int // from an SRV record's weight

	SetHost bool
	Host    string // the SRV target a slot resolves, without the final dot; "" once emptied

	SetMaint bool
	Maint    bool   // the RMAINT flag ("resolution")
	Reason   string // why, as HAProxy words it
}

// Status is the outcome of a resolution, as HAProxy names them.
type Status uint8

const (
	// StatusNone: no answer yet.
	StatusNone Status = iota
	// StatusValid: a valid answer.
	StatusValid
	// StatusNX: NXDOMAIN.
	StatusNX
	// StatusRefused: REFUSED.
	StatusRefused
	// StatusTimeout: no nameserver answered.
	StatusTimeout
	// StatusOther: another error (empty answer, truncated, bad CNAME chain, other rcode).
	StatusOther
	// StatusInvalid: a malformed answer, a wrong question or question count.
	StatusInvalid
)

var statusNames = [...]string{"none", "valid", "nx", "refused", "timeout", "other", "invalid"}

func (s Status) String() string { return statusNames[s] }
