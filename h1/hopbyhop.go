package h1

// Hop-by-hop fields (RFC 9110 section 7.6.1) describe one connection and
// must not be forwarded as they are. The scanner sets Flags from the
// Connection options it knows (close, keep-alive, upgrade), from Upgrade and
// from Expect; the helpers here answer the rest without allocating, by
// reading the Connection values again from the window.

// ConnectionLists reports whether a Connection field of h lists option,
// ignoring ASCII case. buf is the scanned window.
func (h *Header) ConnectionLists(buf []byte, option []byte) bool {
	for i := range h.Fields {
		if h.Fields[i].ID != FieldConnection {
			continue
		}
		v := h.Fields[i].Value.Bytes(buf)
		for j := 0; j < len(v); {
			var e []byte
			e, j = nextElem(v, j)
			if equalFold(e, option) {
				return true
			}
		}
	}
	return false
}

// HopByHop reports whether field i must be removed before the message is
// forwarded: Connection, Proxy-Connection, Keep-Alive, TE and Upgrade
// always, and any field the Connection options name. A proxy that tunnels
// an upgrade puts its own Connection and Upgrade back.
//
// Three kinds of field are never hop-by-hop here, whatever Connection says,
// so a client cannot strip what frames or routes the message: Host,
// Content-Length and Transfer-Encoding (the framing code deals with the
// latter two). Trailer is end-to-end in RFC 9110 and is kept.
func (h *Header) HopByHop(buf []byte, i int) bool {
	switch h.Fields[i].ID {
	case FieldConnection, FieldProxyConnection, FieldKeepAlive, FieldTE, FieldUpgrade:
		return true
	case FieldHost, FieldContentLength, FieldTransferEncoding:
		return false
	}
	return h.Flags&FlagConnOther != 0 && h.ConnectionLists(buf, h.Fields[i].Name.Bytes(buf))
}
