package engine

import "tether/engine/config"

// Layer 7 retries (`retry-on`): HAProxy 2.6 sends a request again, to the
// same server or, by `option redispatch`, to another, when the server
// failed it in a way the backend's retry-on names: it closed without a
// byte of response (empty-response), its timeout struck first
// (response-timeout), its head was invalid (junk-response) or its status
// is one the list names. A retry shares the `retries` budget with the
// connection retries, happens at once (no turn-around delay), and only for
// a request whose head and body went whole in its first write and of which
// no byte of response reached the client.

// keepForRetry decides, at the first write of a request, whether layer 7
// retries may resend it: retry-on asks for them and the whole request,
// its body already read (sent, the bytes being written with the head),
// fits within a buffer less its rewrite reserve, as HAProxy keeps a copy of
// its request buffer only when the request is complete in it. It copies
// sent into the exchange's resend buffer, which grows once per pooled
// exchange and never per request.
func (cc *clientConn) keepForRetry(sent []byte) {
	cc.l7 = false
	if !cc.be.proxy.RetryOn.Layer7() || !cc.reqBody.done {
		return
	}
	l := cc.e.limits
	if len(cc.x.head)+len(sent) > l.BufSize-l.MaxRewrite {
		return
	}
	cc.x.resend = append(cc.x.resend[:0], sent...)
	cc.l7 = true
}

// mayRetry reports whether the request sent may go again after ev, an
// event of a server connection that holds no accepted response head: the
// backend retries on ev, the request was kept (keepForRetry), no byte of a
// response went to the client (an interim one), and retries are left.
func (cc *clientConn) mayRetry(ev config.RetryOn) bool {
	return cc.l7 && cc.tries > 0 && cc.be.proxy.RetryOn&ev != 0 && cc.rec.BytesOut == 0
}

// retry sends the request again once the caller has let its server
// connection go: at once to the same server, or to another when the
// redispatch rules allow it. It counts a retry (wretr) for the server and
// the backend, twice when the server stays, as HAProxy 2.6 counts one in
// do_l7_retry and one more when it does not redispatch.
func (cc *clientConn) retry() {
	cc.tries--
	cc.rec.Retries++
	cc.resend = true
	cc.srv.live.retries.Add(1)
	cc.be.retries.Add(1)
	if cc.mayRedispatch() {
		cc.redispatch()
		return
	}
	cc.srv.live.retries.Add(1)
	cc.be.retries.Add(1)
	cc.connect()
}

// resendIov appends to iov the body bytes kept for a retry.
func (cc *clientConn) resendIov(iov [][]byte) [][]byte {
	if len(cc.x.resend) > 0 {
		iov = append(iov, cc.x.resend)
	}
	return iov
}

// retryClosed sends the request again when the server closed or reset its
// connection before a whole response head and retry-on has
// empty-response: HAProxy 2.6 sees a head cut short as no response too,
// not as junk. It reports whether it did; s is then released.
func (s *serverConn) retryClosed() bool {
	cc := s.cc
	if !cc.mayRetry(config.RetryEmptyResponse) {
		return false
	}
	s.detach()
	cc.retry()
	s.ls.release(s)
	return true
}

// retryAfter sends the request again when retry-on names ev, the server
// timeout or a response head (junk, or a status) that s holds: the
// response and s are dropped. It reports whether it did.
func (s *serverConn) retryAfter(ev config.RetryOn) bool {
	cc := s.cc
	if !cc.mayRetry(ev) {
		return false
	}
	s.abandon()
	cc.retry()
	return true
}
