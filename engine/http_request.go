package engine

import (
	"bytes"
	"net/netip"
)

// The request view conditions read (config.Request), over the head the
// client connection holds. The slices are views into the head buffer,
// valid until the exchange ends.

// Method returns the request method as received.
func (cc *clientConn) Method() []byte { return cc.x.req.Method.Bytes(cc.x.head) }

// URL returns the request target as received.
func (cc *clientConn) URL() []byte { return cc.x.req.Target.Bytes(cc.x.head) }

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
	if a := cc.x.req.Authority; a.End > 0 && a.End <= cc.x.req.Target.End {
		return cc.x.head[a.End:cc.x.req.Target.End]
	}
	return cc.URL()
}

// Query returns what follows the first '?' of the target, or nil.
func (cc *clientConn) Query() []byte {
	u := cc.URL()
	if i := bytes.IndexByte(u, '?'); i >= 0 {
		return u[i+1:]
	}
	return nil
}

// NumHeaders returns the number of header fields.
func (cc *clientConn) NumHeaders() int { return len(cc.x.req.Fields) }

// Header returns the name and value of field i.
func (cc *clientConn) Header(i int) (name, value []byte) {
	f := &cc.x.req.Fields[i]
	return f.Name.Bytes(cc.x.head), f.Value.Bytes(cc.x.head)
}

// Src returns the client's address.
func (cc *clientConn) Src() netip.Addr { return cc.src.Addr() }
