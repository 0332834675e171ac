package engine

import (
	"errors"
	"io"
	"net/netip"
	"time"

	"github.com/panjf2000/gnet/v2"

	"tether/engine/accesslog"
	"tether/engine/balance"
	"tether/engine/config"
	"tether/h1"
	"tether/persist"
)

// Backpressure marks: a producer is paused when its consumer has more than
// highMark bytes waiting to be sent, and resumed at lowMark.
const (
	highMark = 256 << 10
	lowMark  = 64 << 10
)

// retryDelay is HAProxy's turn-around time before retrying a connection to
// the same server (bounded by the connect timeout).
const retryDelay = time.Second

// clientState is where a client connection is in its current exchange.
type clientState uint8

const (
	csIdle     clientState = iota // between requests, nothing received
	csHead                        // receiving a request head
	csConnect                     // head complete; getting a server connection
	csQueue                       // waiting for a server slot (maxconn)
	csTarpit                      // held by a tarpit rule before its answer
	csExchange                    // request sent or streaming; response pending or streaming
	csTunnel                      // the connection became a tunnel
	csClosing                     // closing once flushed
)

// clientConn is the Endpoint of one client connection: it reads request
// heads, routes them, edits and forwards them to a server connection on
// the same loop, and hands the connection back to the next request when the
// response is done. One request is in flight at a time: pipelined requests
// wait in its inbox, so responses go out in order, and a client that sends
// too far ahead is paused (http_ahead.go). A clientConn is used only on its
// loop.
type clientConn struct {
	e    *Engine
	ls   *loopState
	fe   *frontend
	c    gnet.Conn
	in   inbox          // what the client sent and the exchange has not consumed
	out  Sink           // where responses go: c, or tail while c is off the loop
	tail *Tail          // the client's write side after it sent its FIN or while it is paused, or nil
	src  netip.AddrPort // the client: the socket's peer, or what a PROXY header named
	dst  netip.AddrPort // what a PROXY header named as the local end; invalid for the socket's own
	// proxyFrom is the accept-proxy listener the connection came from,
	// until its PROXY header has been read; nil otherwise.
	proxyFrom *Listener
	deaf      bool // the client sent too far ahead: what it sends is dropped
	shut      bool // the client shut its write side: close after the exchange
	// dropping: the server went away after a complete early response; the
	// rest of the request body is read and dropped (dropBody)
	dropping bool
	dropped  int64 // body bytes dropped so far

	state clientState
	x     *exchange // the request's working state, from a head's first byte to the end of its exchange

	be      *Backend
	inBe    bool // the request counts in be.conns (HAProxy's beconn) until its exchange ends
	sn      *snapshot
	srv     *server
	rq      persist.RequestState
	up      *serverConn
	reqBody body
	nreq    int  // requests received on this connection
	tries   int  // connection retries left
	redisp  bool // the next connection attempt, after the turn-around delay, redispatches
	fresh   bool // the next connection must be a new one
	l7      bool // the request may be sent again after a server failed it (retry.go)
	resend  bool // the next write of the request is a layer 7 retry: its body comes from x.kept
	own     Pool // idle server connections kept for this client (http-reuse never, or private)
	// authPinned: a server asked this client for NTLM or Negotiate
	// authentication; its requests go back to the server they keep a
	// connection to (prefer.go)
	authPinned bool
	keep       bool // keep the connection after this exchange
	drainIt    bool // the server is stopping: close after this exchange
	timer      Timer
	valve      Valve

	rec     accesslog.Record
	t0      time.Time      // first byte of the request; until the first request, when the connection was accepted
	idle    time.Time      // when the connection last became idle: accepted, or an exchange ended (Ti)
	srcAddr netip.AddrPort // the proxy's end of the server connection (%bi:%bp), for a log-format
	reqNum  int64          // the request's number in the process (%rt)
	sess    varStore       // the connection's sess variables
	tHead   time.Time      // request head complete
	tAssign time.Time      // a server was last assigned (after the queue or a redispatch), or the queue gave up
	tConn   time.Time      // server connection ready

	queued int         // the server waited for, or balance.Full for any
	qmark  int64       // the queue's taken count when the request joined it
	key    balance.Key // the request's balancing key during Pick (a local would escape through the interface call)

	prev, next   *clientConn // the loop's ring of client connections
	qprev, qnext *clientConn // the loop's queue of waiting requests
}

// exchange is the working state of one request, taken from the loop when
// its first byte arrives and given back when the exchange ends, so an idle
// client connection holds none of it.
type exchange struct {
	scan *h1.Scanner
	req  h1.Request
	head []byte // the request head, copied out of gnet's buffer
	rw   []byte // replacement bytes the editor refers to, bounded by tune.maxrewrite
	ed   h1.Editor
	fs   fieldSet // the fields as http-request rules left them
	// target is the request target http-request rules set, in rw; nil
	// while they have not
	target []byte
	// mark and rwMark are the edits and the rewrite arena as editRequest
	// left them, before finishHead
	mark   h1.Mark
	rwMark int
	edits  [32]persist.Edit
	dec    *h1.ChunkedDecoder
	kept   retryTee // the request body as its first write sent it, kept for layer 7 retries (retry.go)

	capReq, capResp cookieCapture  // `capture cookie` of the request (%CC) and the response (%CS)
	hdrs            headerCaptures // `capture request header` and `capture response header` (%hr, %hs)
	monitor         bool           // the request is for the frontend's monitor-uri: answered by the proxy, never logged
	intercepted     bool           // an http-request or redirect rule answered the request
	own             reply          // the redirect or return answering it, made up in the arena of the rules' message
	tarpit          int            // the status a tarpit rule answers with once it has held the request
	stats           bool           // the request is for a statistics page (logged as served by <STATS>)
	loggedEarly     bool           // `option logasap` logged the exchange when the response head went out
	noL7            bool           // an http-request disable-l7-retry rule ran: no layer 7 retry
	normalized      bool           // normalizeTarget removed the target's default port
}

func newExchange(l h1.Limits) *exchange {
	return &exchange{
		scan: h1.NewScanner(l),
		head: make([]byte, 0, l.BufSize),
		rw:   make([]byte, 0, l.MaxRewrite),
		fs:   newFieldSet(l),
		dec:  h1.NewChunkedDecoder(l),
	}
}

func newClientConn(e *Engine, ls *loopState, fe *frontend, c gnet.Conn, dual bool) *clientConn {
	cc := &clientConn{
		e:   e,
		ls:  ls,
		fe:  fe,
		c:   c,
		in:  inbox{c: c},
		out: c,
		src: peerAddr(c.RemoteAddr(), dual),
	}
	cc.timer.Init(cc.expire)
	cc.valve.Init(ls.l, cc.resumed)
	return cc
}

// OnOpen links the connection into its loop and arms the first timeout.
func (cc *clientConn) OnOpen(gnet.Conn) gnet.Action {
	r := &cc.ls.clients
	cc.prev, cc.next = r.prev, r
	r.prev.next = cc
	r.prev = cc
	cc.t0 = cc.stamp()
	cc.idle = cc.t0
	cc.armIdle()
	return gnet.None
}

// OnTraffic reads a head, or streams the request body; what the client
// sends ahead of the request in flight is bounded (holdBack).
func (cc *clientConn) OnTraffic(gnet.Conn) gnet.Action {
	if cc.deaf {
		_, _ = cc.in.Discard(-1)
		return gnet.None
	}
	switch cc.state {
	case csIdle, csHead:
		if cc.proxyFrom != nil && !cc.readProxy() {
			return gnet.None
		}
		cc.readHead()
	case csConnect, csQueue, csTarpit:
		cc.holdBack()
	case csExchange:
		cc.pumpRequest()
		if !cc.valve.Paused() {
			cc.holdBack()
		}
	case csClosing:
		_, _ = cc.in.Discard(-1)
	}
	return gnet.None
}

// OnClose releases everything the connection holds.
func (cc *clientConn) OnClose(c gnet.Conn, err error) {
	if cc.state == csTunnel {
		return
	}
	if errors.Is(err, io.EOF) && cc.owed() {
		// The client sent its request and shut down its write side: the
		// response is still due on the socket's other half, and goes out
		// as it would have (HAProxy does not say it closes after it).
		if t, terr := cc.newTail(c, true); terr == nil {
			cc.tail, cc.out = t, t
			cc.shut = true
			if !cc.reqBody.done {
				cc.in.take() // the rest of the body, which c's buffer holds
				cc.in.c = nil
			}
			return
		}
	}
	if err != nil && cc.awaitsFirst() && !cc.ignoredProbe() {
		// As HAProxy, answer a request cut short (or a connection that
		// never sent one) with a 400 if the client can still read it.
		cc.logBad(accesslog.TermClientAbort, 400)
		if errors.Is(err, io.EOF) {
			if t, terr := cc.newTail(c, true); terr == nil {
				cc.tail, cc.out = t, t
				cc.sendRaw(&reply400)
				return
			}
		}
	}
	cc.logAborted()
	cc.state = csClosing
	cc.release()
}

// awaitsFirst reports whether the connection is receiving a request head,
// or has not received a byte of its first request yet: HAProxy answers
// such a connection with an error when it times out or is shut, where a
// connection idle between requests is closed silently.
func (cc *clientConn) awaitsFirst() bool {
	return cc.state == csHead || cc.state == csIdle && cc.nreq == 0
}

// ignoredProbe reports whether the connection has not sent a byte of its
// first request and its frontend has `option http-ignore-probes`: it then
// closes without an answer and without a log, as HAProxy does.
func (cc *clientConn) ignoredProbe() bool {
	return cc.state == csIdle && cc.fe.ignoreProbes
}

// owed reports whether a response is due to a whole request: its body
// has gone, or what is left of it has come (a Content-Length one).
func (cc *clientConn) owed() bool {
	switch cc.state {
	case csConnect, csQueue, csTarpit, csExchange:
		b := &cc.reqBody
		return b.done || b.framing == h1.BodyLength && int64(cc.in.InboundBuffered()) >= b.left
	}
	return false
}

// release drops the exchange in progress, unlinks the connection and
// uncounts it; the socket is closed or being closed.
func (cc *clientConn) release() {
	cc.leaveBackend()
	cc.timer.Stop()
	cc.dequeue(false)
	cc.valve.Close()
	cc.in.kept = nil
	if up := cc.up; up != nil {
		cc.up = nil
		up.abandon()
	}
	cc.own.Close()
	cc.putExchange()
	if cc.prev != nil {
		cc.prev.next = cc.next
		cc.next.prev = cc.prev
		cc.prev, cc.next = nil, nil
		cc.fe.conns.Add(-1)
	}
}

// drain makes the connection close: at once when idle between requests,
// after its exchange otherwise. A connection that has not sent its first
// request yet is kept for it: its client connected to a listener that was
// still open and is owed an answer.
func (cc *clientConn) drain() {
	cc.drainIt = true
	if cc.state == csIdle && cc.nreq > 0 {
		cc.closeNow()
	}
}

// closeNow closes the client connection (asynchronously), logging the
// exchange it cuts short.
func (cc *clientConn) closeNow() {
	cc.logAborted()
	cc.drop()
}

// drop closes the connection (asynchronously) without a log line.
func (cc *clientConn) drop() {
	if cc.endOffLoop(false) {
		return
	}
	cc.state = csClosing
	cc.timer.Stop()
	_ = cc.c.Close()
}

// abandonKeepAlive closes the connection without an answer and without a
// log line, as HAProxy does when the server goes away before the response
// head to a request that was not the first of the connection: its client
// retries the request, as clients do when a keep-alive connection closes
// under them.
func (cc *clientConn) abandonKeepAlive() {
	cc.state = csClosing // nothing to log
	cc.closeFlushed()    // what went out before (an interim response) is sent
}

// lingerTime bounds how long a closing client connection is read and
// dropped after its output, so that the close sends no reset: long enough
// for the client to read the end of the stream and close, short enough not
// to hold sockets (see Loop.CloseLingering).
const lingerTime = time.Second

// closeFlushed closes the connection once its output is written, lingering
// as HAProxy does.
func (cc *clientConn) closeFlushed() {
	if cc.endOffLoop(true) {
		return
	}
	cc.state = csClosing
	cc.timer.Stop()
	d := cc.fe.timeouts.Client
	if d <= 0 {
		d = 10 * time.Second
	}
	cc.ls.l.CloseLingering(cc.c, d, min(d, lingerTime))
}

// armIdle arms the timeout of a connection waiting for a request: the
// keep-alive timeout after a request, http-request otherwise, client when
// neither is set.
func (cc *clientConn) armIdle() {
	t := &cc.fe.timeouts
	d := t.HTTPRequest
	if cc.nreq > 0 && t.HTTPKeepAlive > 0 {
		d = t.HTTPKeepAlive
	}
	if d <= 0 {
		d = t.Client
	}
	if d > 0 {
		cc.ls.l.Schedule(&cc.timer, d)
	} else {
		cc.timer.Stop()
	}
}

// expire is the client timer: a request timeout, a keep-alive timeout, a
// client timeout while a body streams, or the end of a retry delay.
func (cc *clientConn) expire() {
	switch cc.state {
	case csIdle, csHead:
		if !cc.awaitsFirst() || cc.ignoredProbe() {
			cc.closeNow()
			return
		}
		cc.logBad(accesslog.TermClientTimeout, 408)
		cc.sendRaw(&reply408)
	case csConnect:
		if cc.redisp {
			cc.redisp = false
			cc.redispatch()
			return
		}
		cc.connect()
	case csQueue:
		cc.queueTimeout()
	case csTarpit:
		cc.endTarpit()
	case csExchange:
		cc.rec.Term = accesslog.TermClientTimeout
		cc.closeNow()
	}
}

// readHead scans what the client sent for a request head and starts the
// exchange once it is complete.
func (cc *clientConn) readHead() {
	buf, _ := cc.in.Peek(-1)
	if len(buf) == 0 {
		return
	}
	if cc.state == csIdle {
		cc.x = cc.ls.exchange()
		cc.x.capReq.reset()
		cc.x.capResp.reset()
		cc.x.hdrs.reset(cc.fe, cc.e.limits)
		cc.x.monitor, cc.x.intercepted, cc.x.target, cc.x.stats, cc.x.loggedEarly, cc.x.noL7 = false, false, nil, false, false, false
		cc.state = csHead
		cc.t0 = cc.stamp()
		if d := cc.fe.timeouts.HTTPRequest; d > 0 {
			cc.ls.l.Schedule(&cc.timer, d)
		} else if d := cc.fe.timeouts.Client; d > 0 {
			cc.ls.l.Schedule(&cc.timer, d)
		}
	}
	n, err := cc.x.scan.Request(buf, &cc.x.req)
	if err == h1.ErrNeedMore {
		return
	}
	st := requestTE(&cc.x.req, buf, err)
	if st == 422 {
		cc.logBad(accesslog.TermProxy, st)
		cc.sendRaw(&reply422)
		return
	}
	if payloadRefused(&cc.x.req, err) {
		cc.logBad(accesslog.TermProxy, 413)
		cc.sendRaw(&reply413)
		return
	}
	if err == nil && badWebSocket(&cc.x.req.Header, buf, false) {
		err = errWebSocketKey
	}
	if err == nil && st == 0 && cc.x.req.Framing == h1.BodyChunked {
		err = firstChunks(cc.x.dec, buf[n:], cc.e.limits.BufSize)
	}
	if err != nil || st != 0 {
		// HAProxy 2.6 answers any request it cannot take with its 400:
		// a head past its buffer too, where h1 would say 414 or 431.
		cc.logBad(accesslog.TermProxy, 400)
		cc.sendRaw(&reply400)
		return
	}
	cc.x.head = append(cc.x.head[:0], buf[:n]...)
	cc.x.normalized = normalizeTarget(&cc.x.req, cc.x.head)
	cc.x.hdrs.request(cc.fe, &cc.x.req.Header, cc.x.head)
	_, _ = cc.in.Discard(n)
	cc.tHead = cc.stamp()
	cc.timer.Stop()
	cc.nreq++
	cc.e.cumReqs.Add(1)
	if cc.e.countRequests {
		// HAProxy numbers a request (%rt) as it starts: its rules and
		// unique ID see its own number, and a request they answer
		// counts too.
		cc.reqNum = cc.e.requests.Add(1) - 1
	}
	cc.logConnect()
	cc.start()
}

// start routes a complete request head, applies persistence and picks the
// server, then connects.
func (cc *clientConn) start() {
	cc.be, cc.sn, cc.srv = nil, nil, nil
	cc.x.rw = cc.x.rw[:0]
	cc.x.fs.reset(cc.x.head, cc.x.req.Fields, &cc.x.rw)
	cc.keep = cc.x.req.KeepAlive() && !cc.drainIt && cc.fe.mode != config.Close
	cc.reqBody.none()
	if f := cc.x.req.Framing; f == h1.BodyLength || f == h1.BodyChunked {
		cc.reqBody.start(&cc.x.req.Header, cc.x.dec)
	}
	if m := cc.fe.proxy.MonitorURI; m != "" && monitored(cc.URL(), cc.pathQuery(), m) {
		cc.x.monitor = true
		cc.fail(&replyMonitor, accesslog.TermLocal, accesslog.FinishNone)
		return
	}
	if !cc.requestRules(cc.fe.proxy) {
		return
	}
	if cc.statsRequest(cc.fe.proxy) {
		cc.serveStats(cc.fe.proxy)
		return
	}
	be := cc.fe.def
	for i := range cc.fe.routes {
		r := &cc.fe.routes[i]
		if r.cond == nil || r.cond.Eval(cc) {
			be = r.be
			break
		}
	}
	if be == nil {
		cc.be = nil
		cc.fail(&reply503, accesslog.TermServerAbort, accesslog.FinishConnect)
		return
	}
	cc.be = be
	cc.inBe = true
	raiseMax(&be.connsMax, be.conns.Add(1))
	be.total.Add(1)
	sn := be.snap.Load()
	cc.sn = sn
	if be.proxy != cc.fe.proxy && !cc.requestRules(be.proxy) {
		return
	}
	if be.proxy != cc.fe.proxy && cc.statsRequest(be.proxy) {
		cc.serveStats(be.proxy)
		return
	}
	var flags persist.Flags
	for _, r := range be.proxy.PersistRules {
		if r.Cond.Eval(cc) {
			if r.Force {
				flags = persist.ForcePersist
			} else {
				flags = persist.IgnorePersist
			}
			break
		}
	}
	now := cc.ls.l.Now().Unix() // the loop's clock: cookie dates count seconds
	cc.rq = sn.table.Request(now, cc.Method(), flags)
	for _, us := range be.proxy.UseServers {
		if us.Cond.Eval(cc) {
			if i := sn.index(us.Server.Name); i >= 0 && (sn.servers[i].usable() || flags&persist.ForcePersist != 0) {
				cc.rq.UseServer(i)
				break
			}
		}
	}
	if err := cc.editRequest(); err != nil {
		cc.fail(&reply500, accesslog.TermInternal, accesslog.FinishRequest)
		return
	}
	cc.tries = be.proxy.Retries
	cc.redisp = false
	cc.l7, cc.resend = false, false
	cc.fresh = false
	cc.rec.Retries, cc.rec.Redisp = 0, false
	i := cc.rq.Server()
	if i < 0 {
		i = cc.preferred() // prefer.go
	}
	if i < 0 {
		switch i = cc.balance(-1); i {
		case balance.None:
			cc.fail(&reply503, accesslog.TermServerAbort, accesslog.FinishConnect)
			return
		case balance.Full:
			cc.enqueue(balance.Full)
			return
		}
		cc.rq.Balanced(i)
		sn.servers[i].live.picked.Add(1)
	} else if cc.rq.Server() < 0 {
		cc.rq.Balanced(i) // preferred: assigned as balancing assigns, not counted as chosen by it
		if cc.full(i) {
			cc.enqueue(i)
			return
		}
	} else if cc.full(i) {
		cc.enqueue(i)
		return
	}
	cc.srv = sn.servers[i]
	cc.tAssign = cc.stamp()
	cc.connect()
}

// forwardsUpgrade reports whether the server sees r's Upgrade: any
// protocol an HTTP/1.1 client asks for with "Connection: upgrade", as
// HAProxy passes them, except h2c, which tether refuses by removing the
// upgrade (it speaks HTTP/1.1 to servers). A 101 answer then makes a tunnel.
func forwardsUpgrade(r *h1.Request) bool {
	const both = h1.FlagUpgrade | h1.FlagConnUpgrade
	return r.Minor == 1 && r.Flags&both == both && r.Flags&h1.FlagH2C == 0
}

// editRequest records the edits of the request head: hop-by-hop fields
// out, persistence cookie edits, one Content-Length, X-Forwarded-For.
func (cc *clientConn) editRequest() error {
	h := cc.x.head
	r := &cc.x.req
	cc.x.ed.Reset(h, &r.Header)
	t := cc.sn.table
	cookies := cookieFields(t, &cc.fe.proxy.CaptureCookie)
	upgrade := forwardsUpgrade(r)
	seenCL := false
	var err error
	if v := r.Version.Bytes(h); r.Minor == 1 && v[len(v)-1] != '1' {
		err = cc.x.ed.Replace(r.Version, http11) // a later HTTP/1 minor goes out as 1.1, as HAProxy sends it
	}
	if err == nil {
		err = hostEdits(&cc.x.ed, r, h, cc.x.normalized)
	}
	if err == nil && cc.x.target != nil {
		err = cc.x.ed.Replace(r.Target, cc.x.target) // set by an http-request rule
	}
	for i := 0; i < len(r.Fields) && err == nil; i++ {
		f := &r.Fields[i]
		if cc.x.fs.deleted(i) {
			err = cc.x.ed.DeleteField(i) // by an http-request rule
			continue
		}
		if v, ok := cc.x.fs.newValue(i); ok {
			err = cc.x.ed.ReplaceValue(i, v) // by an http-request rule
			continue
		}
		if name := cc.be.proxy.SendNameHeader; name != "" && h1.EqualFold(f.Name.Bytes(h), name) {
			err = cc.x.ed.DeleteField(i) // finishHead names the server
			continue
		}
		if f.ID == h1.FieldCookie {
			cc.x.capReq.field(f.Value.Bytes(h), &cc.fe.proxy.CaptureCookie, true)
		}
		switch {
		case f.ID == h1.FieldContentLength && r.Flags&h1.FlagRemoveCL != 0:
			err = cc.x.ed.DeleteField(i)
		case f.ID == h1.FieldContentLength && r.Flags&h1.FlagCLList != 0:
			err = oneContentLength(&cc.x.ed, h, f, i, &seenCL)
		case upgrade && (f.ID == h1.FieldConnection || f.ID == h1.FieldUpgrade):
			// an upgrade keeps its Connection and Upgrade
		case f.ID == h1.FieldTE && offersTrailers(f.Value.Bytes(h)):
			err = keepTrailersOnly(&cc.x.ed, h, f, i)
		case r.HopByHop(h, i):
			err = cc.x.ed.DeleteField(i)
		case f.ID == h1.FieldCookie && cookies:
			edits, act := t.Cookie(&cc.rq, f.Value.Bytes(h), cc.x.edits[:0])
			if act == persist.Remove {
				err = cc.x.ed.DeleteField(i)
				break
			}
			for _, e := range edits {
				sp := h1.Span{Off: f.Value.Off + uint32(e.Off), End: f.Value.Off + uint32(e.End)}
				if err = cc.x.ed.Replace(sp, e.Text); err != nil {
					break
				}
			}
		}
	}
	for i := range cc.x.fs.added {
		if l := cc.x.fs.line(i); l != nil && err == nil {
			err = cc.x.ed.Append(l)
		}
	}
	if err != nil {
		return err
	}
	if name, ok := cc.forwardFor(); ok {
		err = cc.appendAddrField(name, cc.src.Addr())
	}
	if name, dst, ok := cc.originalTo(); ok && err == nil {
		err = cc.appendAddrField(name, dst)
	}
	cc.x.mark, cc.x.rwMark = cc.x.ed.Mark(), len(cc.x.rw)
	return err
}

// finishHead ends the edited request head for the server it now goes to,
// anew for each attempt: the Connection field the server reads the fate
// of its connection from (the client's is gone, hop-by-hop), when the
// default of the request's version differs, then, as HAProxy adds it when
// it connects, the `http-send-name-header` field naming the server.
func (cc *clientConn) finishHead() error {
	cc.x.ed.Rewind(cc.x.mark)
	cc.x.rw = cc.x.rw[:cc.x.rwMark]
	r := &cc.x.req
	var err error
	if r.Flags&h1.FlagConnUpgrade == 0 {
		keepServer := cc.fe.mode == config.KeepAlive && cc.be.proxy.Options.ConnMode == config.KeepAlive ||
			cc.be.proxy.Options.PretendKeepAlive
		switch {
		case keepServer && r.Minor == 0:
			err = cc.x.ed.Append(connKeep)
		case !keepServer && r.Minor == 1:
			err = cc.x.ed.Append(connClose)
		}
	}
	if name := cc.be.proxy.SendNameHeader; name != "" && cc.srv != nil && err == nil {
		at := len(cc.x.rw)
		w := boundedWriter{b: cc.x.rw}
		for i := 0; i < len(name); i++ {
			w.byte(lower(name[i]))
		}
		w.write(": ")
		w.write(cc.srv.name)
		w.write("\r\n")
		if w.over {
			return h1.ErrTooManyEdits
		}
		cc.x.rw = w.b
		err = cc.x.ed.Append(w.b[at:])
	}
	return err
}

// appendAddrField appends to the request the field "name: addr", its name
// in lower case, written in the exchange's rewrite arena.
func (cc *clientConn) appendAddrField(name string, addr netip.Addr) error {
	at := len(cc.x.rw)
	if at+len(name)+len(": \r\n")+len("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff") > cap(cc.x.rw) {
		return h1.ErrTooManyEdits // no room left within tune.maxrewrite
	}
	for i := 0; i < len(name); i++ {
		cc.x.rw = append(cc.x.rw, lower(name[i]))
	}
	cc.x.rw = append(cc.x.rw, ": "...)
	cc.x.rw = addr.AppendTo(cc.x.rw)
	cc.x.rw = append(cc.x.rw, "\r\n"...)
	return cc.x.ed.Append(cc.x.rw[at:])
}

// originalTo tells whether the request gets an X-Original-To field, its
// name and the address the client connected to, as HAProxy combines the
// `option originalto` of the frontend and of the backend: when either has
// it, named as the backend says when it has it, unless the address is in
// the except network of either.
func (cc *clientConn) originalTo() (name string, dst netip.Addr, ok bool) {
	fe, be := &cc.fe.proxy.Options.OriginalTo, &cc.be.proxy.Options.OriginalTo
	if !fe.Enabled && !be.Enabled {
		return "", dst, false
	}
	dst = cc.local().Addr()
	if !dst.IsValid() || fe.Except.IsValid() && fe.Except.Contains(dst) || be.Except.IsValid() && be.Except.Contains(dst) {
		return "", dst, false
	}
	name = fe.Header
	if be.Enabled {
		name = be.Header
	}
	return name, dst, true
}

// forwardFor tells whether the request gets an X-Forwarded-For field and
// its name, as HAProxy combines the `option forwardfor` of the frontend and
// of the backend: the field is added when either has the option, named as
// the backend says when it has it, else as the frontend says; not for a
// client in the except network of either, and not when the request has the
// field already and every side with the option says if-none.
func (cc *clientConn) forwardFor() (name string, ok bool) {
	fe, be := &cc.fe.fwd, &cc.be.proxy.Options.ForwardFor
	if !fe.Enabled && !be.Enabled || !cc.src.IsValid() {
		return "", false
	}
	src := cc.src.Addr()
	if fe.Except.IsValid() && fe.Except.Contains(src) || be.Except.IsValid() && be.Except.Contains(src) {
		return "", false
	}
	name = fe.Header
	if be.Enabled {
		name = be.Header
	}
	always := fe.Enabled && !fe.IfNone || be.Enabled && !be.IfNone
	if !always && cc.x.req.Find(cc.x.head, name, 0) >= 0 {
		return "", false
	}
	return name, true
}

// balance picks a server for the request with the backend's algorithm;
// avoid is a server to avoid when another can take the request, or -1. It
// returns balance.None when no server is usable and balance.Full when
// every usable one is at its maxconn.
func (cc *clientConn) balance(avoid int) int {
	p := cc.ls.picker(cc.be, cc.sn)
	key := &cc.key
	*key = balance.Key{Src: cc.src.Addr(), Target: cc.URL()}
	if b := &cc.be.proxy.Balance; b.Algo == config.Hdr {
		key.Header = cc.x.fs.find(b.Param)
	}
	i := p.Pick(key, avoid)
	*key = balance.Key{} // it holds views of the request head
	return i
}

// connect gets a connection to the chosen server: an idle one from the
// loop's pool when the request may reuse one, else a new dial.
func (cc *clientConn) connect() {
	cc.state = csConnect
	srv := cc.srv
	if srv.tcp == nil {
		cc.connectFailed(ErrNotRegistered)
		return
	}
	// The slot is taken here, atomically against the other loops: a check
	// of the count before (full) may have raced another loop's take.
	// detach releases it.
	if i := cc.rq.Server(); !cc.sn.counters.TryTake(i, cc.sn.lb.MaxConn(i)) {
		cc.enqueue(i)
		return
	}
	p := cc.ls.pool(srv)
	if !cc.fresh {
		// As HAProxy: a connection the client connection keeps first
		// (http-reuse never), then one of the server's idle ones as the
		// mode allows.
		gen := srv.live.addrGen.Load()
		for s := cc.own.take(srv); s != nil; s = cc.own.take(srv) {
			if s.addrGen == gen && s.addr == srv.addr {
				cc.reuse(s, p)
				return
			}
			s.Close()
		}
		if l := p.From(cc.nreq > 1, cc.be.proxy.HTTPReuse); l != nil {
			for u := cc.takeIdle(l, srv); u != nil; u = cc.takeIdle(l, srv) {
				s := u.Handler().(*serverConn)
				if s.addrGen == gen && s.addr == srv.addr {
					cc.reuse(s, p)
					return
				}
				s.Close()
			}
		}
	}
	s := cc.ls.serverConn()
	s.attach(cc, srv, false)
	p.Use()
	s.addr, s.addrGen = srv.addr, srv.live.addrGen.Load()
	s.KeepAlive = cc.be.proxy.Options.SrvTCPKA
	cc.prepareDial(s, srv)
	srv.live.connects.Add(1)
	if err := s.Dial(srv.tcp, cc.be.proxy.Timeouts.Connect); err != nil {
		cc.observe(srv, obsConnectFailed)
		s.detach()
		cc.connectFailed(err)
	}
}

// reuse sends the request on s, an idle connection to cc.srv taken from
// cc's own or from p.
func (cc *clientConn) reuse(s *serverConn, p *ServerPool) {
	s.attach(cc, cc.srv, true)
	p.Use()
	cc.srv.live.reuses.Add(1)
	cc.observe(cc.srv, obsConnected)
	cc.send()
}

// connected runs when the server connection is ready.
func (cc *clientConn) connected() {
	cc.observe(cc.srv, obsConnected)
	if cc.fe.proxy.LogFormat != nil {
		cc.srcAddr = addrPort(cc.up.Conn().LocalAddr())
	}
	cc.send()
}

// connectFailed retries, redispatches, or answers 503 (logged sC after a
// connect timeout, SC after another error). As HAProxy, after an error
// (not a timeout) it waits MIN(1s, timeout connect) before trying the same
// server again, and before a redispatch when at most one active server is
// usable.
//
// As HAProxy counts them, a connection error (econ) is a request given up,
// a retry (wretr) one that tries the same server again; a redispatch is
// counted when it lands on another server (wredis).
func (cc *clientConn) connectFailed(err error) {
	timedOut := errors.Is(err, ErrConnectTimeout)
	if cc.tries <= 0 || cc.be.proxy.RetryOn&config.RetryConnFailure == 0 {
		cc.srv.live.failed.Add(1)
		cc.be.failed.Add(1)
		term := accesslog.TermServerAbort
		if timedOut {
			term = accesslog.TermServerTimeout
		}
		cc.fail(&reply503, term, accesslog.FinishConnect)
		return
	}
	p := cc.be.proxy
	cc.tries--
	cc.rec.Retries++
	if cc.mayRedispatch() {
		if cc.sn.active > 1 || timedOut {
			cc.redispatch()
			return
		}
		cc.redisp = true
	} else {
		cc.srv.live.retries.Add(1)
		cc.be.retries.Add(1)
	}
	if timedOut || errors.Is(err, ErrSourceBind) {
		// A timeout has waited already; a source that cannot be bound
		// fails at once, and HAProxy retries it at once.
		cc.connect()
		return
	}
	d := retryDelay
	if c := p.Timeouts.Connect; c > 0 && c < d {
		d = c
	}
	cc.ls.l.Schedule(&cc.timer, d)
}

// mayRedispatch reports whether the connection retry that follows a
// failure may go to another server, as HAProxy's stream_choose_redispatch
// decides: with `option redispatch` and no force-persist, when the server
// is stopped, on the retries the redispatch interval designates, or on any
// retry of a balanced request when more than one active server is usable
// and the algorithm is not a hash (the server then does not matter).
func (cc *clientConn) mayRedispatch() bool {
	p := cc.be.proxy
	if !p.Options.Redispatch || !cc.rq.MayRedispatch() {
		return false
	}
	if cc.srv.state.Stopped() || !cc.rq.Direct() && cc.sn.active > 1 && !hashes(p.Balance.Algo) {
		return true
	}
	done := p.Retries - cc.tries // retries done, this one included
	switch iv := p.Options.RedispatchInterval; {
	case iv > 0:
		return done%iv == 0
	case iv < 0:
		m := p.Retries + 1 + iv
		return m > 0 && done%m == 0
	}
	return false
}

// hashes reports whether algo picks a server from a hash of the request.
func hashes(algo config.Algo) bool {
	switch algo {
	case config.Source, config.URI, config.URLParam, config.Hdr:
		return true
	}
	return false
}

// redispatch assigns the request to the server load balancing picks now,
// away from the one that failed when another can take it, and connects.
// The log shows the redispatch ('+') only when the server changed; when
// it did not, the attempt counts as a retry (wretr).
func (cc *clientConn) redispatch() {
	old := cc.rq.Server()
	if i := cc.balance(old); i >= 0 && !cc.full(i) {
		cc.rq.Redispatch(i)
		cc.sn.servers[i].live.picked.Add(1)
		if i != old {
			cc.srv.live.redisp.Add(1)
			cc.be.redisp.Add(1)
			cc.srv = cc.sn.servers[i]
			cc.rec.Redisp = true
		} else {
			cc.srv.live.retries.Add(1) // as HAProxy counts a redispatch to the same server
			cc.be.retries.Add(1)
		}
	}
	cc.tAssign = cc.stamp()
	cc.connect()
}

// send writes the edited request head, then what the client has of the
// body, to the attached server connection.
func (cc *clientConn) send() {
	s := cc.up
	cc.state = csExchange
	cc.tConn = cc.stamp()
	cc.rec.Tr = -1 // until the response head comes
	s.sending()
	if err := cc.finishHead(); err != nil {
		cc.fail(&reply500, accesslog.TermInternal, accesslog.FinishConnect)
		return
	}
	iov := cc.x.ed.Segments(cc.ls.iov[:0])
	// A Content-Length body already read goes out in the same writev.
	k := 0
	if cc.resend {
		iov = cc.resendIov(iov)
	} else {
		var buf []byte
		if b := &cc.reqBody; b.framing == h1.BodyLength && !b.done {
			buf, _ = cc.in.Peek(-1)
			if k = int(min(int64(len(buf)), b.left)); k > 0 {
				iov = append(iov, buf[:k])
				b.left -= int64(k)
				b.sent += int64(k)
				b.done = b.left == 0
			}
		}
		cc.keepForRetry(buf[:k])
	}
	_, err := s.Conn().Writev(iov)
	clear(iov)
	if err != nil || cc.up != s {
		return // the server connection's OnClose has dealt with it
	}
	if k > 0 {
		_, _ = cc.in.Discard(k) // gnet's Discard(0) would drop everything
	}
	if !cc.reqBody.done {
		cc.armUpload()
		cc.pumpFirst(s)
	}
}

// armUpload arms the client timeout while the request body streams. As
// HAProxy does, it does not run while the response is awaited from a
// server with a timeout: the server's timeout runs then, so a stalled
// upload ends in a 504 (sH) rather than cD.
func (cc *clientConn) armUpload() {
	if s := cc.up; s != nil && s.state == ssHead && cc.be.proxy.Timeouts.Server > 0 {
		cc.timer.Stop()
		return
	}
	if d := cc.fe.timeouts.Client; d > 0 {
		cc.ls.l.Schedule(&cc.timer, d)
	}
}

// pumpRequest streams the request body to the server, pausing the client
// while the server's output backs up.
func (cc *clientConn) pumpRequest() {
	if cc.dropping {
		cc.dropBody()
		return
	}
	s := cc.up
	if s == nil || cc.reqBody.done || s.Conn() == nil {
		return
	}
	if cc.state != csExchange || s.state == ssConnecting {
		return
	}
	err := cc.reqBody.pump(cc.ls, &cc.in, cc.bodySink(s))
	switch {
	case err == errWrite:
		return
	case err != nil && s.state == ssHead:
		// No response has begun: the client hears why, as from HAProxy
		// (400, logged PH).
		cc.fail(&replyBadBody, accesslog.TermProxy, accesslog.FinishHeaders)
		return
	case err != nil:
		cc.rec.Term = accesslog.TermProxy
		s.Close()
		cc.closeNow()
		return
	}
	if cc.reqBody.done {
		cc.timer.Stop()
		if s.state == ssDone {
			s.abandon()
			cc.exchangeDone()
		}
		return
	}
	cc.armUpload()
	if s.state == ssHead {
		s.armServer() // the server takes the body: it is not idle
	}
	if s.Conn().OutboundBuffered() > highMark && !cc.valve.Paused() && cc.pause() {
		cc.timer.Stop() // the server is slow, not the client: its timeout runs
	}
}

// dropBody reads and drops the rest of a request body whose server closed
// its connection after a complete early response, as HAProxy does: once
// the body has come, the client's connection goes on; when more than a
// buffer of it comes after the server's close, HAProxy sees the server's
// abort and closes (SD).
func (cc *clientConn) dropBody() {
	b := &cc.reqBody
	from := b.sent
	if err := b.pump(cc.ls, &cc.in, discard{}); err != nil {
		cc.rec.Term = accesslog.TermProxy
		cc.closeNow()
		return
	}
	if b.done {
		cc.dropping = false
		cc.timer.Stop()
		cc.exchangeDone()
		return
	}
	if cc.dropped += b.sent - from; cc.dropped > int64(cc.e.limits.BufSize) {
		cc.rec.Term, cc.rec.Finish = accesslog.TermServerAbort, accesslog.FinishData
		cc.closeNow()
		return
	}
	cc.armUpload()
}

// skipBuffered consumes the request body when the client has sent all of
// it already and none of it went to a server: HAProxy then keeps the
// connection after its own reply, where a body still to come closes it.
func (cc *clientConn) skipBuffered() {
	b := &cc.reqBody
	if b.done || b.sent > 0 {
		return
	}
	buf, _ := cc.in.Peek(-1)
	n := 0
	switch b.framing {
	case h1.BodyLength:
		if int64(len(buf)) < b.left {
			return
		}
		n = int(b.left)
	case h1.BodyChunked:
		for !b.dec.Done() {
			k, _, err := b.dec.Next(buf[n:])
			if err != nil || k == 0 {
				return
			}
			n += k
		}
	default:
		return
	}
	_, _ = cc.in.Discard(n)
	b.done = true
}

// fail answers the request with a reply of the proxy's own.
func (cc *clientConn) fail(r *reply, term accesslog.Termination, fin accesslog.Finish) {
	cc.rec.Term, cc.rec.Finish = term, fin
	if cc.sn != nil {
		var rs persist.ResponseState // no response was processed
		cc.rec.Cookie = cc.sn.table.LogFlags(&cc.rq, &rs)
	}
	if up := cc.up; up != nil {
		cc.up = nil
		up.abandon()
	}
	cc.skipBuffered()
	iov, n, keep := cc.answer(r)
	_, err := cc.out.Writev(iov)
	clear(iov)
	if err != nil {
		return
	}
	status := statusOf(r)
	if r.logged != 0 {
		status = r.logged
	}
	cc.logHTTP(status, cc.rec.BytesOut+n) // interim responses relayed before it count too
	if !keep || cc.shut {
		cc.closeFlushed()
		return
	}
	cc.next1()
}

// sendRaw answers an unparsable or timed out request and closes.
func (cc *clientConn) sendRaw(r *reply) {
	iov := cc.rawAnswer(r)
	_, err := cc.out.Writev(iov)
	clear(iov)
	if err != nil {
		return
	}
	cc.closeFlushed()
}

// exchangeDone ends an exchange whose response is complete and whose
// request body has been forwarded.
func (cc *clientConn) exchangeDone() {
	cc.logHTTP(cc.rec.Status, cc.rec.BytesOut)
	if !cc.keep || cc.drainIt || cc.shut {
		cc.closeFlushed()
		return
	}
	cc.next1()
}

// next1 makes the connection ready for the next request and starts on it
// if the client has already sent it.
func (cc *clientConn) next1() {
	cc.leaveBackend()
	cc.putExchange()
	cc.state = csIdle
	cc.up = nil
	cc.dropped = 0
	cc.rec = accesslog.Record{}
	cc.tAssign, cc.tConn = time.Time{}, time.Time{}
	cc.idle = cc.stamp()
	cc.armIdle()
	if cc.in.InboundBuffered() > 0 {
		cc.readHead()
	}
	// A client paused for sending ahead may come back now, if what it
	// sent is used up and its Tail has drained (else the Tail's drain
	// nudges the loop).
	cc.valve.Check()
}

// leaveBackend uncounts the request from its backend's connections, as
// HAProxy does when a transaction ends, before it is logged.
func (cc *clientConn) leaveBackend() {
	if cc.inBe {
		cc.inBe = false
		cc.be.conns.Add(-1)
	}
}

// putExchange gives the request's working state back to the loop.
func (cc *clientConn) putExchange() {
	if x := cc.x; x != nil {
		cc.x = nil
		x.scan.Reset()
		x.head = x.head[:0]
		cc.ls.putExchange(x)
	}
}

// statusOf reads the status of a reply.
func statusOf(r *reply) int {
	h := r.head
	return int(h[9]-'0')*100 + int(h[10]-'0')*10 + int(h[11]-'0')
}

// index returns the position of the server named name, or -1.
func (sn *snapshot) index(name string) int {
	for i, s := range sn.servers {
		if s.name == name {
			return i
		}
	}
	return -1
}

// lower returns the ASCII lower case of b: HAProxy emits the field names it
// adds in lower case.
func lower(b byte) byte {
	if 'A' <= b && b <= 'Z' {
		return b + 'a' - 'A'
	}
	return b
}
