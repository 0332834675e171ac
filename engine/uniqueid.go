package engine

import (
	"tether/engine/accesslog"
	"tether/engine/config"
	"tether/h1"
)

// maxUniqueID bounds a request's unique ID, as HAProxy's UNIQUEID_LEN: a
// longer one is cut.
const maxUniqueID = 128

// uniqueID returns the unique ID of the request of cc, rendered from the
// frontend's unique-id-format the first time it is asked for, then kept for
// the exchange; nil without a unique-id-format. The view lives as long as
// the exchange.
func (cc *clientConn) uniqueID() []byte {
	f := cc.fe.proxy.UniqueIDFormat
	if f == nil || cc.x == nil {
		return nil
	}
	vs := cc.vars()
	if !vs.uidDone {
		vs.init()
		vs.uidDone = true // a format reading the unique ID reads it empty
		r := &cc.rec      // what the format may print of the request, refilled when it is logged
		r.Client, r.Accept, r.Frontend, r.FrontendAddr = cc.src, cc.t0, cc.fe.name, cc.local()
		r.ReqCounter, r.Hostname, r.PID = cc.reqNum, cc.e.hostname, cc.e.pid
		r.Method = cc.x.req.Method.Bytes(cc.x.head)
		r.URI = cc.x.req.Target.Bytes(cc.x.head)
		r.Version = cc.x.req.Version.Bytes(cc.x.head)
		vs.uidView = sampleView{cc: cc, buf: &vs.uidBuf} // not the format buffer: a rule's format may be asking
		r.Samples = &vs.uidView
		vs.uid = accesslog.AppendLogFormat(vs.uid[:0], f, r, maxUniqueID)
	}
	return vs.uid
}

// addUniqueIDHeader adds the frontend's unique-id-header to the request,
// its value the request's unique ID, as HAProxy adds it after the
// http-request rules.
func (cc *clientConn) addUniqueIDHeader(px *config.Proxy) error {
	if px.UniqueIDHeader == "" || px.UniqueIDFormat == nil {
		return nil
	}
	fs := &cc.x.fs
	if len(fs.added) == cap(fs.added) {
		return h1.ErrTooManyEdits
	}
	w := boundedWriter{b: *fs.arena}
	off := len(w.b)
	w.write(px.UniqueIDHeader)
	colon := len(w.b)
	w.write(": ")
	w.bytes(cc.uniqueID())
	w.write("\r\n")
	if w.over {
		return h1.ErrTooManyEdits
	}
	*fs.arena = w.b
	fs.added = append(fs.added, addedField{off: uint32(off), colon: uint32(colon), end: uint32(len(w.b))})
	return nil
}

// sampleView evaluates the samples of a log-format line over the exchange
// of cc (accesslog.Samples) into buf, a value cut at buf's capacity. It
// lives in the exchange's varStore.
type sampleView struct {
	cc  *clientConn
	buf *[]byte
}

// Sample writes p into the view's buffer and returns it.
func (v *sampleView) Sample(p *config.FormatPart) ([]byte, bool) {
	cc := v.cc
	if cc.x == nil {
		return nil, false
	}
	w := boundedWriter{b: (*v.buf)[:0]}
	ok := writePart(&w, p, &cc.x.fs, cc)
	return w.b, ok
}

// logSamples returns the samples view of the exchange's log line, which
// writes into the loop's format buffer.
func (cc *clientConn) logSamples() accesslog.Samples {
	if cc.x == nil {
		return nil
	}
	vs := cc.vars()
	vs.pruneReq()
	vs.logView = sampleView{cc: cc, buf: &cc.ls.fmtBuf}
	return &vs.logView
}
