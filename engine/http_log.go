package engine

import (
	"bytes"
	"net/netip"
	"time"

	"tether/engine/accesslog"
	"tether/h1"
	"tether/persist"
)

// stamp returns the time for a log timing: now when the frontend logs,
// the zero time otherwise (reading the clock is then skipped).
func (cc *clientConn) stamp() time.Time {
	if cc.fe.log == nil {
		return time.Time{}
	}
	return time.Now()
}

// logHTTP counts the exchange that just ended and queues its httplog line,
// when the frontend logs with `option httplog` and `option logasap` did
// not log it when the response head went out (logEarly).
func (cc *clientConn) logHTTP(status int, bytesOut int64) {
	cc.leaveBackend()
	cc.countExchange(status, bytesOut)
	if cc.x == nil || !cc.x.loggedEarly {
		cc.emitLog(status, bytesOut)
	}
}

// logEarly queues the line of a frontend with `option logasap` once the
// response head is out, with the time and the bytes so far.
func (cc *clientConn) logEarly(status int, bytesOut int64) {
	if cc.fe.proxy.Options.LogASAP {
		cc.emitLog(status, bytesOut)
		cc.x.loggedEarly = true
	}
}

// emitLog queues the httplog line of the exchange. Under `option logasap`
// its time and bytes are marked as counted so far, as HAProxy marks them
// on every line then, those of exchanges it answered itself included.
func (cc *clientConn) emitLog(status int, bytesOut int64) {
	lg := cc.fe.log
	if lg == nil || !cc.fe.httplog || cc.x != nil && cc.x.monitor {
		return
	}
	now := time.Now()
	r := &cc.rec
	r.Early = cc.fe.proxy.Options.LogASAP
	r.Client = cc.src
	r.Accept = cc.t0
	r.Frontend = cc.fe.name
	r.Backend = cc.fe.name
	r.Server = ""
	if cc.be != nil {
		r.Backend = cc.be.Name
	}
	if cc.srv != nil && cc.be != nil {
		r.Server = cc.srv.name
	}
	if cc.x != nil && cc.x.stats {
		r.Server = "<STATS>"
	}
	r.TR = ms(cc.t0, cc.tHead)
	if cc.be == nil && !cc.x.intercepted {
		r.TR = -1 // HAProxy times no request it found no backend for, unless a rule answered it
	}
	r.Tw, r.Tc = -1, -1
	if !cc.tAssign.IsZero() {
		r.Tw = ms(cc.tHead, cc.tAssign)
		if !cc.tConn.IsZero() {
			r.Tc = ms(cc.tAssign, cc.tConn)
		}
	}
	if cc.tConn.IsZero() {
		r.Tr = -1
	}
	r.Ta = ms(cc.t0, now)
	r.Status = status
	r.BytesOut = bytesOut
	r.ActConn = int(cc.e.cumConnsActive())
	r.FeConn = int(cc.fe.conns.Load())
	if cc.be != nil {
		r.BeConn = int(cc.be.conns.Load())
	}
	if cc.srv != nil {
		n := cc.srv.live.cur.Load()
		if s := cc.up; s != nil && s.cc == cc && s.srv == cc.srv {
			n-- // an exchange cut short: HAProxy lets the server go before it logs
		}
		r.SrvConn = int(n)
	}
	r.CapturedRequestCookie = cc.x.capReq.bytes()
	r.CapturedResponseCookie = cc.x.capResp.bytes()
	r.RequestHeaders, r.ResponseHeaders = cc.x.hdrs.req, cc.x.hdrs.resp
	r.Method = cc.x.req.Method.Bytes(cc.x.head)
	r.URI = cc.x.req.Target.Bytes(cc.x.head)
	r.Version = cc.x.req.Version.Bytes(cc.x.head)
	r.RequestBytes = int64(len(cc.x.head)) + cc.reqBody.sent
	if f := cc.fe.proxy.LogFormat; f != nil {
		cc.fillFormatFields(r)
	}
	if lg.LogHTTP(r) && r.Format != nil {
		cc.fe.logged.Add(1) // %lc
	}
}

// fillFormatFields sets what only a log-format prints.
func (cc *clientConn) fillFormatFields(r *accesslog.Record) {
	r.Format = cc.fe.proxy.LogFormat
	r.BytesIn = cc.reqBody.logged() + requestLogSize(&cc.x.req, cc.x.head, cc.x.normalized)
	r.FrontendAddr = cc.local()
	r.ServerAddr, r.SourceAddr = netip.AddrPort{}, netip.AddrPort{}
	if cc.srv != nil && cc.be != nil {
		r.ServerAddr = cc.srv.addr
		if !cc.tConn.IsZero() {
			r.SourceAddr = cc.srcAddr
		}
	}
	r.Ti = 0
	if !cc.idle.IsZero() && !cc.t0.IsZero() {
		r.Ti = max(0, ms(cc.idle, cc.t0))
	}
	r.LogCounter, r.ReqCounter = cc.fe.logged.Load(), cc.reqNum
	r.Hostname, r.PID = cc.e.hostname, cc.e.pid
	r.Samples = cc.logSamples()
}

// logConnect queues the line HAProxy 2.6 logs for each request of an HTTP
// frontend that has log targets but no `option httplog`: "Connect from
// client to local (frontend/HTTP)", once the request head is read whole
// and valid.
func (cc *clientConn) logConnect() {
	lg := cc.fe.log
	if lg == nil || cc.fe.httplog {
		return
	}
	line := accesslog.AppendConnectLog(cc.ls.scratch[:0], cc.src, cc.local(), cc.fe.name)
	lg.Log(line)
	cc.ls.scratch = line[:0]
}

// logAborted logs an exchange cut short before its end (an abort or a
// timeout on either side, a broken body), as HAProxy logs every stream once.
// The status is the response's once its head went out, else -1; the
// termination flags are those the caller recorded, else the client's abort
// in the phase the exchange was in. It does nothing outside an exchange.
func (cc *clientConn) logAborted() {
	var finish accesslog.Finish
	switch cc.state {
	case csConnect:
		finish = accesslog.FinishConnect
	case csQueue:
		finish = accesslog.FinishQueue
	case csTarpit:
		finish = accesslog.FinishTarpit
	case csExchange:
		finish = accesslog.FinishData
		if cc.reqBody.done && cc.rec.Status == 0 {
			finish = accesslog.FinishHeaders
		}
	default:
		return
	}
	r := &cc.rec
	if r.Term == accesslog.TermNone {
		r.Term = accesslog.TermClientAbort
	}
	if r.Cookie == ([2]byte{}) && cc.sn != nil {
		// As HAProxy, the request's cookie was read even if no response
		// came.
		var rs persist.ResponseState
		r.Cookie = cc.sn.table.LogFlags(&cc.rq, &rs)
	}
	if r.Finish == accesslog.FinishNone {
		r.Finish = finish
	}
	status, bytes := r.Status, r.BytesOut
	if status == 0 {
		status = -1
	}
	if s := cc.up; s != nil && s.state == ssBody {
		bytes += s.body.logged() // the response is cut here
	}
	cc.logHTTP(status, bytes)
}

// logBad logs a request that could not be read: refused, timed out or
// abandoned before its head was complete, or before it began on a new
// connection (a null request, which `option dontlognull` leaves out).
func (cc *clientConn) logBad(term accesslog.Termination, status int) {
	cc.countRefused(status)
	lg := cc.fe.log
	if lg == nil || !cc.fe.httplog {
		return
	}
	r := &cc.rec
	*r = accesslog.Record{
		Client:   cc.src,
		Accept:   cc.t0,
		Frontend: cc.fe.name,
		Backend:  cc.fe.name,
		TR:       -1, Tw: -1, Tc: -1, Tr: -1,
		Ta:           ms(cc.t0, time.Now()),
		Status:       status,
		Term:         term,
		Finish:       accesslog.FinishRequest,
		ActConn:      int(cc.e.cumConnsActive()),
		FeConn:       int(cc.fe.conns.Load()),
		RequestBytes: int64(cc.in.InboundBuffered()),
	}
	if cc.state == csHead {
		r.RequestBytes = max(r.RequestBytes, 1) // a head was begun
	}
	if term == accesslog.TermClientAbort {
		r.BytesOut = 0
	}
	lg.LogHTTP(r)
}

// headLogSize returns the bytes HAProxy's %B counts for the response head
// r scanned from buf: the start line's parts and htxStartLine (see body),
// its fields (fieldsLogSize), and 1 for the end of the head.
func headLogSize(r *h1.Response, buf []byte) int64 {
	n := int64(htxStartLine + r.Version.Len() + r.Code.Len() + r.Reason.Len() + htxEndOfHead)
	return n + fieldsLogSize(&r.Header, buf, false)
}

// requestLogSize returns the bytes HAProxy's bin counts for the request
// head r scanned from buf, by the rule of headLogSize, once HAProxy's
// parser has normalized it: after normalizeTarget removed the target's
// default port (normalized), the Host field holds the target's authority;
// and the parser drops Upgrade when Connection asks for an upgrade by a
// request that has a body.
func requestLogSize(r *h1.Request, buf []byte, normalized bool) int64 {
	n := int64(htxStartLine + r.Method.Len() + r.Target.Len() + r.Version.Len() + htxEndOfHead)
	body := r.Framing == h1.BodyChunked || r.Framing == h1.BodyLength && r.ContentLength > 0
	n += fieldsLogSize(&r.Header, buf, r.Flags&h1.FlagConnUpgrade != 0 && body)
	if normalized && r.Host >= 0 {
		n += int64(r.Authority.Len() - r.Fields[r.Host].Value.Len())
	}
	return n
}

// fieldsLogSize returns the bytes HAProxy counts for the fields of h
// scanned from buf (without Upgrade when noUpgrade): each field's name and
// value as HAProxy's parser keeps them. The parser drops the "close" and
// "keep-alive" options of Connection (the field with them when nothing is
// left, the others joined by bare commas), every Content-Length when
// Transfer-Encoding frames the body, and all but the first Content-Length,
// cut to one value. Other hop-by-hop fields are counted: they are dropped
// later.
func fieldsLogSize(h *h1.Header, buf []byte, noUpgrade bool) int64 {
	var n int64
	seenCL := false
	for i := range h.Fields {
		f := &h.Fields[i]
		v := f.Value.Bytes(buf)
		switch f.ID {
		case h1.FieldConnection:
			k := connectionLogSize(v)
			if k < 0 {
				continue
			}
			n += int64(f.Name.Len() + k)
			continue
		case h1.FieldContentLength:
			if seenCL || h.Flags&h1.FlagRemoveCL != 0 {
				continue
			}
			seenCL = true
			if j := bytes.LastIndexByte(v, ','); j >= 0 {
				v = bytes.TrimLeft(v[j+1:], " \t")
			}
		case h1.FieldUpgrade:
			if noUpgrade {
				continue
			}
		}
		n += int64(f.Name.Len() + len(v))
	}
	return n
}

// connectionLogSize returns the length of a Connection value once
// HAProxy's parser has dropped its "close" and "keep-alive" options and
// joined the others with commas, or -1 when none is left.
func connectionLogSize(v []byte) int {
	n := -1
	for len(v) > 0 {
		tok := v
		if j := bytes.IndexByte(v, ','); j >= 0 {
			tok, v = v[:j], v[j+1:]
		} else {
			v = nil
		}
		tok = bytes.Trim(tok, " \t")
		if len(tok) == 0 || h1.EqualFold(tok, "close") || h1.EqualFold(tok, "keep-alive") {
			continue
		}
		n += len(tok) + 1 // the comma before it, or the -1 for the first
	}
	return n
}
