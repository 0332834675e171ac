package engine

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/panjf2000/gnet/v2"

	"tether/engine/accesslog"
	"tether/engine/balance"
	"tether/engine/config"
	"tether/h1"
	"tether/persist"
)

// serverState is where a server connection is in its exchange.
type serverState uint8

const (
	ssIdle       serverState = iota // not attached to a client
	ssConnecting                    // dialling
	ssHead                          // request sent (or sending); reading the response head
	ssBody                          // streaming the response body
	ssDone                          // response complete; the request body is still going
	ssUpgraded                      // 101 (2xx to CONNECT) forwarded; the tunnel waits for both sides to be on the loop
)

// serverConn is one connection to a server, on the loop of the client it
// serves. It reads the response head, applies the persistence response
// rules, edits and forwards the head, streams the body and then goes back
// to the loop's pool or closes. It is used only on its loop and recycled
// by the loop after its socket closes.
type serverConn struct {
	Upstream
	ls      *loopState
	cc      *clientConn
	srv     *server
	ctr     *balance.Counters // where the assignment is counted
	idx     int               // the server's index in ctr
	addr    netip.AddrPort
	addrGen uint32
	state   serverState
	reused  bool // taken from a pool: may have been closed by the server meanwhile
	private bool // kept for its client connection alone once idle (see privateAuth)
	got     bool // a response byte arrived
	scan    *h1.Scanner
	resp    h1.Response
	ed      h1.Editor
	edits   [16]persist.Edit
	dec     *h1.ChunkedDecoder
	body    body
	timer   Timer
	valve   Valve
}

func newServerConn(ls *loopState) *serverConn {
	s := &serverConn{
		ls:   ls,
		scan: h1.NewScanner(ls.e.limits),
		dec:  h1.NewChunkedDecoder(ls.e.limits),
	}
	s.Init(ls.l, s)
	s.timer.Init(s.expire)
	s.valve.Init(ls.l, s.resumed)
	return s
}

// attach binds s to the exchange of cc with srv.
func (s *serverConn) attach(cc *clientConn, srv *server, reused bool) {
	s.cc, s.srv, s.reused, s.got = cc, srv, reused, false
	s.private = s.private && reused
	cc.up = s
	if reused {
		s.state = ssHead
	} else {
		s.state = ssConnecting
	}
	raiseMax(&srv.live.curMax, srv.live.cur.Add(1))
	srv.live.total.Add(1)
	s.ctr, s.idx = cc.sn.counters, cc.rq.Server() // the slot connect took
}

// detach unbinds s from its client.
func (s *serverConn) detach() {
	if cc := s.cc; cc != nil {
		s.cc = nil
		if cc.up == s {
			cc.up = nil
		}
		s.srv.live.cur.Add(-1)
		s.ctr.Release(s.idx)
		s.ctr = nil
		if q := &s.ls.queue; q.qnext != q {
			s.ls.l.Schedule(&s.ls.qtimer, 0) // a slot is free: serve the queue soon
		}
	}
	s.timer.Stop()
	s.state = ssIdle
}

// abandon drops the exchange: the client went away or was answered.
func (s *serverConn) abandon() {
	s.detach()
	s.valve.Close()
	s.Close()
}

// sending runs when the request head is written: the response is awaited.
func (s *serverConn) sending() {
	s.state = ssHead
	s.scan.Reset()
	s.armServer()
}

func (s *serverConn) armServer() {
	if d := s.cc.be.proxy.Timeouts.Server; d > 0 {
		s.ls.l.Schedule(&s.timer, d)
	}
}

// OnConnect ends a dial (UpstreamHandler).
func (s *serverConn) OnConnect(_ *Upstream, err error) {
	cc := s.cc
	if cc == nil {
		s.Close()
		return
	}
	if err != nil {
		cc.observe(s.srv, obsConnectFailed) // counted while the request still holds its server
		s.detach()
		cc.connectFailed(err)
		return
	}
	cc.connected()
}

// OnUpstreamTraffic reads the response (UpstreamHandler).
func (s *serverConn) OnUpstreamTraffic(*Upstream) gnet.Action {
	switch s.state {
	case ssHead:
		s.readHead()
	case ssBody:
		s.pumpResponse()
	case ssUpgraded:
		s.pumpUpgraded()
	default:
		return gnet.Close // the server spoke out of turn
	}
	return gnet.None
}

// OnUpstreamClose settles the exchange the connection carried
// (UpstreamHandler).
func (s *serverConn) OnUpstreamClose(_ *Upstream, err error) {
	cc := s.cc
	st := s.state
	if cc == nil {
		s.ls.release(s)
		return
	}
	if st == ssHead && s.retryClosed() {
		return // retry-on empty-response, as HAProxy counts it even on a reused connection
	}
	// A stale idle connection: the request is retried on a new one.
	stale := st == ssHead && !s.got && s.reused && cc.reqBody.sent == 0 && cc.reqBody.done
	if st == ssHead && !stale && cc.nreq <= 1 {
		// The server failed the request, which it still holds.
		if err != nil {
			cc.observe(s.srv, obsReadError)
		} else {
			cc.observe(s.srv, obsBrokenPipe)
		}
	}
	s.detach()
	switch {
	case st == ssBody && s.body.framing == h1.BodyUntilClose:
		cc.rec.Status = s.resp.Status
		cc.rec.BytesOut += s.body.logged()
		cc.keep = false
		cc.exchangeDone()
	case stale:
		cc.fresh = true
		cc.connect()
	case st == ssHead && cc.nreq > 1:
		cc.abandonKeepAlive()
	case st == ssHead:
		cc.fail(&reply502, accesslog.TermServerAbort, accesslog.FinishHeaders)
	case st == ssDone:
		// The response is out; the rest of the request body has nowhere
		// to go and must not be read as a request: it is dropped.
		cc.dropping = true
		cc.dropBody()
	case st == ssUpgraded:
		cc.keep = false // the tunnel ended before it started: what the server sent goes out
		cc.logHTTP(cc.rec.Status, cc.rec.BytesOut)
		cc.closeFlushed()
	default:
		if st == ssBody {
			cc.rec.BytesOut += s.body.logged() // s is detached: countSent would not see it
		}
		cc.rec.Term, cc.rec.Finish = accesslog.TermServerAbort, accesslog.FinishData
		// As HAProxy, the client gets what arrived before the close, then
		// the close.
		cc.logAborted()
		cc.closeFlushed()
	}
	s.ls.release(s)
}

// expire is the server timeout.
func (s *serverConn) expire() {
	cc := s.cc
	if cc == nil {
		return
	}
	st := s.state
	if st == ssHead && cc.rec.BytesOut == 0 { // a head begun but not finished gets the 504 too
		if s.retryAfter(config.RetryTimeout) {
			return
		}
		cc.observe(s.srv, obsReadTimeout)
		s.abandon()
		cc.fail(&reply504, accesslog.TermServerTimeout, accesslog.FinishHeaders)
		return
	}
	cc.rec.Term, cc.rec.Finish = accesslog.TermServerTimeout, accesslog.FinishData
	s.countSent()
	s.abandon()
	cc.closeNow()
}

// readHead scans the response head; interim 1xx responses are relayed
// (never to an HTTP/1.0 client), the final one is edited and forwarded.
func (s *serverConn) readHead() {
	cc := s.cc
	if cc.valve.Resuming() {
		return // the client's Tail is being replaced; back here when it is
	}
	c := s.Conn()
	for {
		buf, _ := c.Peek(-1)
		if len(buf) == 0 {
			return
		}
		s.got = true
		n, err := s.scan.Response(buf, &s.resp, cc.x.req.MethodID)
		if err == h1.ErrNeedMore {
			return
		}
		if err == nil && s.resp.Status == 101 && badWebSocket(&s.resp.Header, buf, true) {
			err = errWebSocketKey
		}
		if err == nil && readTE(&s.resp.Header, buf).other {
			err = errTransferCoding
		}
		if err == nil && s.resp.Framing == h1.BodyChunked {
			err = firstChunks(s.dec, buf[n:], s.ls.e.limits.BufSize)
		}
		if err != nil {
			cc.observe(s.srv, obsBadHead)
			if s.retryAfter(config.RetryJunkResponse) {
				return
			}
			s.abandon()
			cc.fail(&reply502, accesslog.TermProxy, accesslog.FinishHeaders) // PH, as HAProxy logs an invalid response
			return
		}
		st := s.resp.Status
		if st >= 200 && s.retryAfter(config.RetryStatus(st)) {
			return
		}
		cc.observe(s.srv, statusObserved(st))
		if st >= 200 || st == 101 {
			s.forwardHead(buf, n)
			return
		}
		if cc.x.req.Minor == 1 {
			if _, err := cc.out.Write(buf[:n]); err != nil {
				return
			}
			cc.rec.BytesOut += headLogSize(&s.resp, buf[:n])
		}
		_, _ = c.Discard(n)
	}
}

// forwardHead edits the final response head in buf[:n] and writes it to
// the client, then starts on the body.
func (s *serverConn) forwardHead(buf []byte, n int) {
	cc := s.cc
	r := &s.resp
	t := cc.sn.table
	// A 101 to a forwarded upgrade, or a 2xx to CONNECT, makes a tunnel;
	// a 101 to a request whose upgrade was not forwarded is bogus.
	tunnel := r.Framing == h1.BodyTunnel
	s.private = s.private || privateAuth(r, buf)
	if r.Status == 101 && !forwardsUpgrade(&cc.x.req) {
		// HAProxy counts the head it refuses, and what came after it
		cc.rec.BytesOut += headLogSize(r, buf[:n]) + int64(len(buf)-n)
		cc.observe(s.srv, obsBadHead)
		s.abandon()
		cc.fail(&reply502, accesslog.TermProxy, accesslog.FinishHeaders) // PH: HAProxy deems it invalid
		return
	}
	var rr *respRules
	if len(cc.be.proxy.HTTPResponse)+len(cc.fe.proxy.HTTPResponse) > 0 {
		var deny *config.HTTPRule
		var err error
		rr, deny, err = s.responseRules(buf, r)
		switch {
		case err != nil:
			s.abandon()
			cc.fail(&reply500, accesslog.TermInternal, accesslog.FinishHeaders)
			return
		case deny != nil:
			cc.rec.BytesOut += headLogSize(r, buf[:n]) + int64(len(buf)-n) // as for a bogus 101: what it refused counts
			s.abandon()
			if deny.Action == config.RuleSilentDrop {
				// HAProxy logs the server's status and PR.
				cc.rec.Term, cc.rec.Finish = accesslog.TermProxy, accesslog.FinishRequest
				cc.logHTTP(r.Status, cc.rec.BytesOut)
				cc.drop()
				return
			}
			if deny.Action == config.RuleReturn {
				cc.fail(&cc.x.own, accesslog.TermLocal, accesslog.FinishHeaders)
			} else {
				cc.fail(denyReply(deny.Status), accesslog.TermProxy, accesslog.FinishHeaders)
			}
			return
		}
	}
	status := r.Status
	if rr != nil && rr.status != 0 {
		status = rr.status // set-status
	}
	rs := t.Response(&cc.rq, status)
	cookies := cookieFields(t, &cc.fe.proxy.CaptureCookie)
	s.ed.Reset(buf, &r.Header)
	var err error
	if rr != nil && rr.status != 0 {
		err = s.setStatus(r, buf, rr)
	} else {
		err = statusLine(&s.ed, r, buf)
	}
	seenCL := false
	logged := headLogSize(r, buf) // the head as HAProxy parses it, before any edit
	cc.x.hdrs.response(cc.fe, &r.Header, buf)
	for i := 0; i < len(r.Fields) && err == nil; i++ {
		f := &r.Fields[i]
		if rr != nil && rr.fs.deleted(i) {
			err = s.ed.DeleteField(i) // by an http-response rule
			continue
		}
		if rr != nil {
			if v, ok := rr.fs.newValue(i); ok {
				err = s.ed.ReplaceValue(i, v) // by an http-response rule
				continue
			}
		}
		if f.ID == h1.FieldSetCookie {
			cc.x.capResp.field(f.Value.Bytes(buf), &cc.fe.proxy.CaptureCookie, false)
		}
		switch {
		case r.Status == 204 && (f.ID == h1.FieldContentLength || f.ID == h1.FieldTransferEncoding):
			err = s.ed.DeleteField(i) // HAProxy never sends a 204 with a framing field
		case f.ID == h1.FieldContentLength && r.Flags&h1.FlagRemoveCL != 0:
			err = s.ed.DeleteField(i) // Transfer-Encoding frames the body
		case f.ID == h1.FieldContentLength && r.Flags&h1.FlagCLList != 0:
			err = oneContentLength(&s.ed, buf, f, i, &seenCL)
		case !tunnel && f.ID == h1.FieldTE && offersTrailers(f.Value.Bytes(buf)):
			err = keepTrailersOnly(&s.ed, buf, f, i)
		case !tunnel && r.HopByHop(buf, i):
			err = s.ed.DeleteField(i)
		case cookies:
			edits, act := t.ResponseField(&cc.rq, &rs, f.Name.Bytes(buf), f.Value.Bytes(buf), s.edits[:0])
			if act == persist.Remove {
				err = s.ed.DeleteField(i)
				break
			}
			for _, e := range edits {
				sp := h1.Span{Off: f.Value.Off + uint32(e.Off), End: f.Value.Off + uint32(e.End)}
				if err = s.ed.Replace(sp, e.Text); err != nil {
					break
				}
			}
		}
	}
	if rr != nil {
		for i := range rr.fs.added {
			if l := rr.fs.line(i); l != nil && err == nil {
				err = s.ed.Append(l)
			}
		}
	}
	if r.Framing == h1.BodyUntilClose {
		cc.keep = false
	}
	scratch := s.ls.scratch[:0]
	if err == nil && t.Options().Enabled() {
		in := t.Insert(&cc.rq, &rs, cc.ls.l.Now().Unix())
		if !in.Empty() {
			scratch = in.AppendTo(scratch)
			for rest := scratch; len(rest) > 0 && err == nil; {
				j := bytes.IndexByte(rest, '\n') + 1
				err = s.ed.Append(rest[:j])
				rest = rest[j:]
			}
		}
	}
	if err == nil && !tunnel {
		// The client reads the connection's fate from the response's
		// version and Connection field: say it when the default differs.
		// As HAProxy, an HTTP/1.1 response closing the connection says so
		// to an HTTP/1.0 client too.
		switch {
		case !cc.keep && r.Minor == 1:
			err = s.ed.Append(connClose)
		case cc.keep && (cc.x.req.Minor == 0 || r.Minor == 0):
			err = s.ed.Append(connKeep)
		}
	}
	if err != nil {
		s.abandon()
		cc.fail(&reply502, accesslog.TermProxy, accesslog.FinishHeaders)
		return
	}
	cc.rec.Status = status
	cc.rec.Cookie = t.LogFlags(&cc.rq, &rs)
	cc.rec.Tr = ms(cc.tConn, cc.stamp())
	iov := s.ed.Segments(s.ls.iov[:0])
	cc.rec.BytesOut += logged
	if !tunnel {
		s.body.start(&r.Header, s.dec)
	}
	// A Content-Length body already read goes out in the same writev.
	k := 0
	if s.body.framing == h1.BodyLength && !tunnel {
		k = int(min(int64(len(buf)-n), s.body.left))
		if k > 0 {
			iov = append(iov, buf[n:n+k])
			s.body.left -= int64(k)
			s.body.sent += int64(k)
			s.body.done = s.body.left == 0
		}
	}
	_, werr := cc.out.Writev(iov)
	clear(iov)
	s.ls.scratch = scratch[:0]
	_, _ = s.Conn().Discard(n + k)
	if werr != nil || cc.up != s {
		return
	}
	cc.logEarly(status, cc.rec.BytesOut+int64(k))
	if tunnel {
		s.startTunnel()
		return
	}
	s.state = ssBody
	if !cc.reqBody.done {
		cc.armUpload() // the response started: the client's timeout runs again
	}
	if s.body.done {
		s.finish()
		return
	}
	s.pumpResponse()
}

// pumpResponse streams the response body to the client, pausing the
// server while the client's output backs up.
func (s *serverConn) pumpResponse() {
	cc := s.cc
	if cc.valve.Resuming() {
		return
	}
	err := s.body.pump(s.ls, s.Conn(), cc.out)
	switch {
	case err == errWrite:
		return
	case err != nil: // a broken body: bad chunk framing
		cc.observe(s.srv, obsBadResponse)
		cc.rec.Term, cc.rec.Finish = accesslog.TermServerAbort, accesslog.FinishData
		s.countSent()
		s.abandon()
		cc.closeNow()
		return
	}
	if s.body.done {
		s.finish()
		return
	}
	s.armServer()
	if cc.out.OutboundBuffered() > highMark {
		if s.valve.Pause(s.Conn(), cc.out, lowMark) == nil {
			// Now the client is slow, not the server: the client
			// timeout runs until the output drains.
			s.timer.Stop()
			if d := cc.fe.timeouts.Client; d > 0 {
				cc.ls.l.Schedule(&cc.timer, d)
			}
		}
	}
}

// countSent adds the response body bytes sent so far to the log record,
// before an exchange cut in the middle of its body lets s go.
func (s *serverConn) countSent() {
	if s.state == ssBody {
		s.cc.rec.BytesOut += s.body.logged()
		s.body.sent, s.body.data = 0, 0
	}
}

// resumed brings a paused server connection back.
func (s *serverConn) resumed(_ gnet.Conn, err error) {
	cc := s.cc
	if cc == nil {
		return
	}
	if err != nil {
		s.countSent()
		s.detach()
		cc.rec.Term, cc.rec.Finish = accesslog.TermServerAbort, accesslog.FinishData
		cc.closeNow()
		s.ls.release(s)
		return
	}
	if cc.reqBody.done {
		cc.timer.Stop()
	}
	if s.state == ssUpgraded {
		s.pumpUpgraded()
		return
	}
	s.pumpResponse()
}

// finish ends the response: the connection goes back to the pool when
// both sides allow it, and the client moves on.
func (s *serverConn) finish() {
	cc := s.cc
	cc.rec.BytesOut += s.body.logged()
	keep := s.resp.KeepAlive() && cc.be.proxy.Options.ConnMode == config.KeepAlive &&
		cc.fe.mode == config.KeepAlive && cc.reqBody.done && s.Conn().InboundBuffered() == 0
	if !cc.reqBody.done {
		// An early response: as HAProxy, the client connection stays
		// open once the rest of the request body has gone to the server.
		s.state = ssDone
		return
	}
	s.detach()
	if !keep || !s.park(cc) {
		s.Close()
	}
	cc.exchangeDone()
}

// park keeps s idle after its exchange for cc: for cc alone under
// http-reuse never or once private (as HAProxy keeps a private connection
// in its session), else in the loop's pool of its server. It returns false
// when s is not wanted.
func (s *serverConn) park(cc *clientConn) bool {
	if s.private || cc.be.proxy.HTTPReuse == config.ReuseNever {
		return cc.own.Keep(&s.Upstream, sessionConns)
	}
	return cc.ls.pool(s.srv).Park(&s.Upstream, s.reused)
}

// statusLine records the edits HAProxy 2.6's output makes to the status
// line of r, whose bytes are buf: a later HTTP/1 minor goes out as 1.1, and
// a status line without a reason phrase keeps the space before it.
func statusLine(ed *h1.Editor, r *h1.Response, buf []byte) error {
	if v := r.Version.Bytes(buf); v[len(v)-1] != '1' && r.Minor == 1 {
		if err := ed.Replace(r.Version, http11); err != nil {
			return err
		}
	}
	if r.Reason.Len() == 0 && buf[r.Code.End] != ' ' {
		return ed.Replace(h1.Span{Off: r.Code.End, End: r.Code.End}, space)
	}
	return nil
}

// ms returns the milliseconds from a to b, or -1 when a is unset.
func ms(a, b time.Time) int {
	if a.IsZero() {
		return -1
	}
	return int(b.Sub(a) / time.Millisecond)
}
