package engine

import (
	"tether/engine/config"
	"tether/h1"
)

// Layer 7 retries (`retry-on`): HAProxy 2.6 sends a request again, to the
// same server or, by `option redispatch`, to another, when the server
// failed it in a way the backend's retry-on names: it closed without a
// whole response head (empty-response), its timeout struck first
// (response-timeout), its head was invalid (junk-response) or its status
// is one the list names. A retry shares the `retries` budget with the
// connection retries, goes at once (no turn-around delay), and only for a
// request that was whole in the proxy when it was first sent, as HAProxy
// copies its request buffer only then, and of which no byte of response
// reached the client.

// retryTee is the request body as the request's first write sent it,
// kept for a retry; while Sink is set, the body pumped to Sink is copied
// into kept as it goes (a chunked body, rechunked). It lives in the
// exchange, and kept grows once per pooled exchange, never per request.
type retryTee struct {
	Sink
	kept []byte
}

func (t *retryTee) Write(p []byte) (int, error) {
	n, err := t.Sink.Write(p)
	t.kept = append(t.kept, p[:n]...)
	return n, err
}

func (t *retryTee) Writev(bs [][]byte) (int, error) {
	n, err := t.Sink.Writev(bs)
	for i, rest := 0, n; i < len(bs) && rest > 0; i++ {
		k := min(rest, len(bs[i]))
		t.kept = append(t.kept, bs[i][:k]...)
		rest -= k
	}
	return n, err
}

// HAProxy holds a message in its buffer in its internal form (HTX): a
// fixed header, then for each block (the start line, each field, the end
// of the head, the body's data, the end of a chunked body's trailers) an
// index entry and its payload, which %B counts (requestLogSize).
const (
	htxHeader = 48 // struct htx
	htxBlock  = 8  // the index entry of a block
)

// retryable reports whether layer 7 retries may send the request again
// once its first write has sent its body whole, body bytes of it as %B
// counts them: retry-on asks for them, no disable-l7-retry rule ran, and
// the request fitted in HAProxy's
// buffer (tune.bufsize) less its rewrite reserve (tune.maxrewrite), as
// HAProxy keeps a copy of the request only when it was whole in its buffer
// when it first went out.
func (cc *clientConn) retryable(body int64) bool {
	if !cc.be.proxy.RetryOn.Layer7() || !cc.reqBody.done || cc.x.noL7 {
		return false
	}
	r := &cc.x.req
	blocks := 2 + len(r.Fields)
	switch {
	case r.Framing == h1.BodyChunked:
		blocks += 2
	case body > 0:
		blocks++
	}
	size := htxHeader + htxBlock*int64(blocks) + requestLogSize(r, cc.x.head, cc.x.normalized) + body
	l := cc.e.limits
	return size <= int64(l.BufSize-l.MaxRewrite)
}

// keepForRetry keeps a copy of body, the Content-Length body bytes the
// request's first write sent with its head, when the request may be sent
// again.
func (cc *clientConn) keepForRetry(body []byte) {
	if cc.l7 = cc.retryable(int64(len(body))); cc.l7 {
		cc.x.kept.kept = append(cc.x.kept.kept[:0], body...)
	}
}

// pumpFirst streams what the client has sent of the body after the
// request's first write; a chunked body goes through the tee, so that
// when it went whole the request may be sent again.
func (cc *clientConn) pumpFirst(s *serverConn) {
	x := cc.x
	if cc.resend || cc.reqBody.framing != h1.BodyChunked || !cc.be.proxy.RetryOn.Layer7() {
		cc.pumpRequest()
		return
	}
	t := &x.kept
	t.Sink, t.kept = s.Conn(), t.kept[:0]
	cc.pumpRequest()
	t.Sink = nil
	if cc.x == x {
		cc.l7 = cc.retryable(cc.reqBody.logged())
	}
}

// bodySink is where the request body goes: s's connection, through the
// tee while pumpFirst keeps a copy.
func (cc *clientConn) bodySink(s *serverConn) Sink {
	if t := &cc.x.kept; t.Sink != nil {
		return t
	}
	return s.Conn()
}

// mayRetry reports whether the request sent may go again after ev, an
// event of a server connection that holds no accepted response head: the
// backend retries on ev, the request was kept (retryable), no byte of a
// response went to the client (an interim one), and retries are left.
func (cc *clientConn) mayRetry(ev config.RetryOn) bool {
	return cc.l7 && cc.tries > 0 && cc.be.proxy.RetryOn&ev != 0 && cc.rec.BytesOut == 0
}

// retry sends the request again once the caller has let its server
// connection go: at once to the same server, or to another when the
// redispatch rules allow it. It counts a retry (wretr) for the server and
// the backend, and one more when the server stays (or redispatch picks it
// again), as HAProxy 2.6 does.
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
	if b := cc.x.kept.kept; len(b) > 0 {
		iov = append(iov, b)
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
