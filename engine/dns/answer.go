package dns

import (
	"encoding/binary"
	"net/netip"

	mdns "github.com/miekg/dns"
)

// Sizes HAProxy bounds an answer with: a header, and the smallest record.
const (
	headerSize    = 12
	minRecordSize = 16
)

// cause is what a response amounts to once validated.
type cause uint8

const (
	causeValid       cause = iota // usable records
	causeInvalid                  // malformed, or too many records announced
	causeQueryCount               // not exactly one question
	causeWrongName                // the question is not the one asked
	causeNX                       // NXDOMAIN
	causeRefused                  // REFUSED
	causeAncountZero              // no answer record
	causeCNAME                    // a CNAME chain that breaks or ends without an address
	causeTruncated                // TC set on a non-SRV answer
	causeError                    // another rcode
)

// status returns the resolution status a response of cause c sets.
func (c cause) status() Status {
	switch c {
	case causeValid:
		return StatusValid
	case causeInvalid, causeQueryCount, causeWrongName:
		return StatusInvalid
	case causeNX:
		return StatusNX
	case causeRefused:
		return StatusRefused
	}
	return StatusOther
}

// item is one A, AAAA or SRV record read from a response.
type item struct {
	typ    uint16     // mdns.TypeA, TypeAAAA or TypeSRV
	ip     netip.Addr // A, AAAA
	target string     // SRV target
	port   uint16     // SRV
	weight uint16     // SRV
}

// answer is what a valid response holds: its records and, for an SRV
// question, the additional address records of the targets (name, item).
type answer struct {
	items []item
	extra []extraItem
}

// extraItem is an additional A or AAAA record.
type extraItem struct {
	name string
	item item
}

// parseAnswer validates response b to the question (name, qtype) as
// HAProxy does, in its order: rcode first, then the question count, the
// answer count (at most maxRecords), the question itself, truncation, and
// the chain of names from the question through CNAMEs to the addresses.
// It returns a copy of the usable records.
func parseAnswer(b []byte, name string, qtype uint16, maxRecords int) (answer, cause) {
	if len(b) < headerSize {
		return answer{}, causeInvalid
	}
	switch binary.BigEndian.Uint16(b[2:]) & 0xf {
	case mdns.RcodeSuccess:
	case mdns.RcodeNameError:
		return answer{}, causeNX
	case mdns.RcodeRefused:
		return answer{}, causeRefused
	default:
		return answer{}, causeError
	}
	if binary.BigEndian.Uint16(b[4:]) != 1 {
		return answer{}, causeQueryCount
	}
	an := int(binary.BigEndian.Uint16(b[6:]))
	if an == 0 {
		return answer{}, causeAncountZero
	}
	if an > maxRecords {
		return answer{}, causeInvalid
	}
	var m mdns.Msg
	if err := m.Unpack(b); err != nil || len(m.Question) != 1 {
		return answer{}, causeInvalid
	}
	q := m.Question[0]
	if q.Name != name {
		return answer{}, causeWrongName
	}
	if q.Qtype != mdns.TypeSRV && m.Truncated {
		return answer{}, causeTruncated
	}
	var a answer
	owner := name
	for i, rr := range m.Answer {
		h := rr.Header()
		if q.Qtype != mdns.TypeSRV && h.Name != owner {
			if i == 0 {
				return answer{}, causeInvalid
			}
			return answer{}, causeCNAME
		}
		switch r := rr.(type) {
		case *mdns.A:
			ip, ok := netip.AddrFromSlice(r.A.To4())
			if !ok {
				return answer{}, causeInvalid
			}
			a.items = append(a.items, item{typ: mdns.TypeA, ip: ip})
		case *mdns.AAAA:
			ip, ok := netip.AddrFromSlice(r.AAAA.To16())
			if !ok {
				return answer{}, causeInvalid
			}
			a.items = append(a.items, item{typ: mdns.TypeAAAA, ip: ip})
		case *mdns.CNAME:
			if i == len(m.Answer)-1 {
				return answer{}, causeCNAME
			}
			owner = r.Target
		case *mdns.SRV:
			a.items = append(a.items, item{typ: mdns.TypeSRV, target: r.Target, port: r.Port, weight: r.Weight})
		}
	}
	if q.Qtype != mdns.TypeSRV {
		return a, causeValid
	}
	for _, rr := range m.Extra {
		switch r := rr.(type) {
		case *mdns.A:
			if ip, ok := netip.AddrFromSlice(r.A.To4()); ok {
				a.extra = append(a.extra, extraItem{name: r.Hdr.Name, item: item{typ: mdns.TypeA, ip: ip}})
			}
		case *mdns.AAAA:
			if ip, ok := netip.AddrFromSlice(r.AAAA.To16()); ok {
				a.extra = append(a.extra, extraItem{name: r.Hdr.Name, item: item{typ: mdns.TypeAAAA, ip: ip}})
			}
		}
	}
	return a, causeValid
}

// buildQuery returns the query HAProxy sends: recursion desired, one
// question of class IN, and an EDNS0 record announcing payload.
func buildQuery(id uint16, name string, qtype uint16, payload int) ([]byte, error) {
	m := mdns.Msg{MsgHdr: mdns.MsgHdr{Id: id, RecursionDesired: true}}
	m.Question = []mdns.Question{{Name: name, Qtype: qtype, Qclass: mdns.ClassINET}}
	m.SetEdns0(uint16(payload), false)
	return m.Pack()
}
