package balance

import (
	"bytes"
	"encoding/binary"
	"net/netip"
)

// Key holds the request-derived inputs of the hash algorithms. Its slices
// are views into the request owned by the caller; Pick reads them only
// during the call. A missing input (no query parameter, no header, an
// invalid address) makes the hash algorithms fall back to static round
// robin over the server map, as HAProxy does.
type Key struct {
	// Src is the client's address as the socket reports it (balance
	// source). Do not unmap an IPv4-mapped IPv6 address: HAProxy hashes it
	// as 16 bytes.
	Src netip.Addr
	// Target is the request target exactly as in the request line (balance
	// uri and url_param): "/a/b?x=1", or an absolute form as sent. Pick
	// applies `whole`, `len` and `depth` and finds the parameter itself.
	Target []byte
	// Header is the raw value (after the colon, as received) of the first
	// field whose name equals the hdr(name) argument, compared without case
	// (balance hdr); nil when the request has no such field. Pick keeps the
	// first comma-separated element, trims it and applies use_domain_only.
	Header []byte
}

// sourceHash is HAProxy's hash of a client address: the exclusive-or of its
// 32-bit big-endian words. ok is false for an invalid address.
func sourceHash(a netip.Addr) (h uint32, ok bool) {
	switch {
	case a.Is4():
		b := a.As4()
		return binary.BigEndian.Uint32(b[:]), true
	case a.Is6():
		b := a.As16()
		for i := 0; i < 16; i += 4 {
			h ^= binary.BigEndian.Uint32(b[i:])
		}
		return h, true
	}
	return 0, false
}

// uriPart returns the part of a request target that balance uri hashes: at
// most n bytes when n > 0, stopping before the (depth+1)th slash when depth
// > 0, and before the query string unless whole.
func uriPart(target []byte, whole bool, n, depth int) []byte {
	if n > 0 && len(target) > n {
		target = target[:n]
	}
	slashes := 0
	for i, c := range target {
		switch {
		case c == '/':
			slashes++
			if depth > 0 && slashes == depth+1 {
				return target[:i]
			}
		case c == '?' && !whole:
			return target[:i]
		}
	}
	return target
}

// uriPath returns the path of a request target as balance uri path-only
// hashes it, as HAProxy's URI parser finds it: all of an origin form; for
// an absolute form (a scheme of a letter then letters, digits, '+', '-' or
// '.', then "://"), what follows the authority, which runs to the first
// '/' (a query string included); nothing, an empty key still hashed, for
// an absolute form without a path and for the other forms.
func uriPath(target []byte) []byte {
	if len(target) > 0 && target[0] == '/' {
		return target
	}
	i := 0
	for i < len(target) && (schemeByte(target[i]) && i > 0 || isAlpha(target[i])) {
		i++
	}
	if i == 0 || !bytes.HasPrefix(target[i:], []byte("://")) {
		return target[:0]
	}
	rest := target[i+3:]
	if j := bytes.IndexByte(rest, '/'); j >= 0 {
		return rest[j:]
	}
	return rest[len(rest):]
}

// isAlpha reports whether c is an ASCII letter.
func isAlpha(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

// schemeByte reports whether c may follow the first letter of a URI
// scheme.
func schemeByte(c byte) bool {
	return isAlpha(c) || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
}

// urlParam returns the value of the first query-string parameter of target
// named name, as balance url_param finds it: the query starts after the
// first '?', parameters are separated by '&' only, the name must be followed
// by '=', and the value runs to the next '&' or the end (a fragment
// included). ok is false when there is no such parameter.
func urlParam(target []byte, name string) (v []byte, ok bool) {
	q := bytes.IndexByte(target, '?')
	if q < 0 {
		return nil, false
	}
	params := target[q+1:]
	for len(params) > len(name) {
		if params[len(name)] == '=' && string(params[:len(name)]) == name {
			v = params[len(name)+1:]
			if amp := bytes.IndexByte(v, '&'); amp >= 0 {
				v = v[:amp]
			}
			return v, true
		}
		amp := bytes.IndexByte(params, '&')
		if amp < 0 {
			return nil, false
		}
		params = params[amp+1:]
	}
	return nil, false
}

// headerElement returns the first comma-separated element of a field value
// with surrounding white space removed, commas inside double quotes (with
// backslash escapes) not counting, as HAProxy's header lookup returns it.
func headerElement(v []byte) []byte {
	for len(v) > 0 && isLWS(v[0]) {
		v = v[1:]
	}
	end := len(v)
	quoted, escaped := false, false
scan:
	for i, c := range v {
		switch {
		case escaped:
			escaped = false
		case quoted:
			escaped = c == '\\'
			quoted = c != '"'
		case c == '"':
			quoted = true
		case c == ',':
			end = i
			break scan
		}
	}
	v = v[:end]
	for len(v) > 0 && isLWS(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

// isLWS reports whether c is linear white space as HAProxy counts it.
func isLWS(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n'
}

// domainPart returns the part of a host name that hdr(name) use_domain_only
// hashes: the label before the last dot ("example" in "www.example.com" or
// "example.com:8080"). Without a dot after the first byte, it is the whole
// value. This follows HAProxy's backwards scan, which never looks at the
// first byte for the last dot.
func domainPart(v []byte) []byte {
	end := len(v)
	for i := len(v) - 1; i >= 1; i-- {
		if v[i] == '.' {
			end = i
			break
		}
	}
	if end == len(v) {
		return v
	}
	start := 0
	for i := end - 1; i >= 1; i-- {
		if v[i-1] == '.' {
			start = i
			break
		}
	}
	return v[start:end]
}
