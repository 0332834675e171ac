package engine

import (
	"bytes"
	"net/netip"
)

// The request view conditions read (config.Request), over the head the
// client connection holds. The slices are views into the head buffer,
// valid until the exchange ends.

// Method returns the request method as received.
func (cc *clientConn) Method() []byte { return cc.req.Method.Bytes(cc.head) }

// URL returns the request target as received.
func (cc *clientConn) URL() []byte { return cc.req.Target.Bytes(cc.head) }

// Path returns the target's path without the query string (and without the
// scheme and authority of an absolute-form target).
func (cc *clientConn) Path() []byte {
	u := cc.URL()
	if cc.req.Authority.End > 0 && cc.req.Authority.End <= cc.req.Target.End {
		u = cc.head[cc.req.Authority.End:cc.req.Target.End]
	}
	if i := bytes.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u
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
func (cc *clientConn) NumHeaders() int { return len(cc.req.Fields) }

// Header returns the name and value of field i.
func (cc *clientConn) Header(i int) (name, value []byte) {
	f := &cc.req.Fields[i]
	return f.Name.Bytes(cc.head), f.Value.Bytes(cc.head)
}

// Src returns the client's address.
func (cc *clientConn) Src() netip.Addr { return cc.src.Addr() }
