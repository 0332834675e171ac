package engine

import (
	"bytes"
	"net/netip"

	"tether/h1"
)

// The request view conditions read (config.Request), over the head the
// client connection holds. The slices are views into the head buffer,
// valid until the exchange ends.

// Method returns the request method as received.
func (cc *clientConn) Method() []byte { return cc.x.req.Method.Bytes(cc.x.head) }

// URL returns the request target as received, or as http-request rules
// set it.
func (cc *clientConn) URL() []byte {
	if t := cc.x.target; t != nil {
		return t
	}
	return cc.x.req.Target.Bytes(cc.x.head)
}

// Path returns the target's path without the query string (and without the
// scheme and authority of an absolute-form target).
func (cc *clientConn) Path() []byte {
	u := cc.pathQuery()
	if i := bytes.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
}

// pathQuery returns the target without the scheme and authority of an
// absolute-form target: the path and the query string.
func (cc *clientConn) pathQuery() []byte {
	if t := cc.x.target; t != nil {
		return targetPath(t)
	}
	if a := cc.x.req.Authority; a.End > 0 && a.End <= cc.x.req.Target.End {
		return cc.x.head[a.End:cc.x.req.Target.End]
	}
	return cc.URL()
}

// targetPath returns the path and query of a target: all of an origin
// form, what follows the authority of an absolute form.
func targetPath(t []byte) []byte {
	i := bytes.Index(t, []byte("://"))
	if len(t) == 0 || t[0] == '/' || t[0] == '*' || i < 0 {
		return t
	}
	rest := t[i+3:]
	if j := bytes.IndexAny(rest, "/?"); j >= 0 {
		return rest[j:]
	}
	return rest[len(rest):]
}

// Query returns what follows the first '?' of the target, or nil.
func (cc *clientConn) Query() []byte {
	u := cc.URL()
	if i := bytes.IndexByte(u, '?'); i >= 0 {
		return u[i+1:]
	}
	return nil
}

// NumHeaders returns the number of header fields, as http-request rules
// left them (fieldSet.n).
func (cc *clientConn) NumHeaders() int { return cc.x.fs.n() }

// Header returns the name and value of field i; nil for a field an
// http-request rule deleted.
func (cc *clientConn) Header(i int) (name, value []byte) { return cc.x.fs.field(i) }

// Src returns the client's address.
func (cc *clientConn) Src() netip.Addr { return cc.src.Addr() }

// normalizeTarget removes the port of an absolute-form target's authority
// when it is the scheme's default (80 for http, 443 for https) or empty, as
// HAProxy 2.6 normalizes a target before routing, logging and forwarding
// it. The head is the connection's own copy: the bytes of the request line
// before the port move right over it, and the spans that start before it
// follow; the head then starts later in the buffer. It reports whether the
// target changed, which makes the Host field follow (hostEdits).
func normalizeTarget(r *h1.Request, head []byte) bool {
	if r.Form != h1.FormAbsolute {
		return false
	}
	t := r.Target.Bytes(head)
	a := r.Authority.Bytes(head)
	colon := bytes.LastIndexByte(a, ':')
	if colon < 0 || colon < bytes.LastIndexByte(a, ']') {
		return false
	}
	port := a[colon+1:]
	scheme := t[:bytes.IndexByte(t, ':')]
	switch {
	case len(port) == 0:
	case string(port) == "80" && h1.EqualFold(scheme, "http"):
	case string(port) == "443" && h1.EqualFold(scheme, "https"):
	default:
		return false
	}
	k := uint32(len(port) + 1)
	at := r.Authority.Off + uint32(colon) // where the port's colon is
	copy(head[r.Head.Off+k:at+k], head[r.Head.Off:at])
	r.Head.Off += k
	r.Method.Off += k
	r.Method.End += k
	r.Target.Off += k
	r.Authority.Off += k
	r.Authority.End = at + k
	return true
}

// hostEdits records the edits HAProxy 2.6 makes to the Host field of r,
// whose head is h: after normalizeTarget changed the target (normalized),
// Host takes the target's authority; for CONNECT to port 80 or 443, Host
// loses its port.
func hostEdits(ed *h1.Editor, r *h1.Request, h []byte, normalized bool) error {
	if r.Host < 0 {
		return nil
	}
	switch {
	case normalized:
		return ed.ReplaceValue(r.Host, r.Authority.Bytes(h))
	case r.Form == h1.FormAuthority:
		a := r.Authority.Bytes(h)
		port := a[bytes.LastIndexByte(a, ':')+1:]
		if string(port) != "80" && string(port) != "443" {
			return nil
		}
		v := r.Value(h, r.Host)
		if c := bytes.LastIndexByte(v, ':'); c > bytes.LastIndexByte(v, ']') {
			return ed.ReplaceValue(r.Host, v[:c])
		}
	}
	return nil
}
