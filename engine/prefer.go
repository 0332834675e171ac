package engine

import "tether/persist"

// A client connection goes back to a server it keeps a connection to, as
// HAProxy 2.6's assign_server does before balancing. HAProxy looks at the
// server connections its session owns: under http-reuse never every
// connection, otherwise only the private ones, made so by a 401 or 407
// asking for NTLM or Negotiate authentication (privateAuth). tether keeps
// the same connections in the client connection's own pool (cc.own).
//
// The preference holds with `option prefer-last-server`, and on a client
// connection one of whose servers asked for NTLM or Negotiate (HAProxy's
// SESS_FL_PREFER_LAST: the authentication is bound to the server
// connection), never with the hash algorithms, which choose the same
// server for the same request anyway. The preferred server must be usable
// (ready, weight above 0): a server stopped, in maintenance or draining is
// left, and the request is balanced. A server at its maxconn is still
// preferred, the request waiting in its queue, unless max-keep-alive-queue
// limits that queue (never for NTLM or Negotiate).
//
// HAProxy walks the servers in the order the session first kept a
// connection to each; tether walks its kept connections oldest first. The
// two orders differ only when a client connection keeps connections to
// several servers and an older one to the first server closed, which
// needs the preferred server to have been unusable meanwhile.

// preferred returns the index in cc.sn of the server the request goes back
// to, or -1 when it is balanced. It sees the kept connections as the
// request finds them, before connect takes one.
func (cc *clientConn) preferred() int {
	if cc.own.Len() == 0 || hashes(cc.be.proxy.Balance.Algo) {
		return -1
	}
	for u := cc.own.oldest; u != nil && !cc.authPinned; u = u.newer {
		cc.authPinned = u.Handler().(*serverConn).private
	}
	if !cc.authPinned && !cc.be.proxy.Options.PreferLast {
		return -1
	}
	for u := cc.own.oldest; u != nil; u = u.newer {
		live := u.Handler().(*serverConn).srv.live
		for i, s := range cc.sn.servers {
			if s.live == live {
				if s.state == persist.Ready && s.weight > 0 && cc.mayWait(i) {
					return i
				}
				break
			}
		}
	}
	return -1
}

// mayWait reports whether the request may go back to server i as far as
// max-keep-alive-queue is concerned: without one, after NTLM or Negotiate,
// when the server has a free slot, or when fewer requests than the limit
// wait for it.
func (cc *clientConn) mayWait(i int) bool {
	limit := cc.be.proxy.MaxKAQueue // the setting plus one
	return limit <= 0 || cc.authPinned || !cc.full(i) || cc.sn.counters.Queued(i)+1 < limit
}
