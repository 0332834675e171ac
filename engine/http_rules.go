package engine

import (
	"bytes"
	"net/netip"
	"strconv"

	"tether/engine/accesslog"
	"tether/engine/config"
	"tether/h1"
)

// runRules applies http-request or http-response rules to fs, in order,
// for the exchange of cc; v is the message as conditions read it. It stops
// at an allow, and at a deny, a redirect or a return, which it returns for
// the caller to answer (the reply of a redirect or a return is then in
// cc.x.own); err is h1.ErrTooManyEdits when what the rules write outgrows
// tune.maxrewrite.
func runRules(rules []*config.HTTPRule, fs *fieldSet, v config.Request, cc *clientConn) (final *config.HTTPRule, err error) {
	for _, ru := range rules {
		if !ru.Holds(v) {
			continue
		}
		switch ru.Action {
		case config.RuleAllow:
			return nil, nil
		case config.RuleDeny, config.RuleReject, config.RuleSilentDrop, config.RuleTarpit:
			return ru, nil
		case config.RuleRedirect:
			ok, err := cc.redirect(ru.Redirect)
			if err != nil || ok {
				return ru, err
			}
		case config.RuleReturn:
			if err := cc.returnReply(ru.Return, fs); err != nil {
				return nil, err
			}
			return ru, nil
		case config.RuleReplaceHeader, config.RuleReplaceValue:
			if err := cc.replaceFields(ru, fs); err != nil {
				return nil, err
			}
		case config.RuleSetStatus:
			rr := &cc.ls.resp
			rr.status, rr.reason = ru.Status, ru.Value
		case config.RuleSetPath, config.RuleSetPathQ, config.RuleSetQuery, config.RuleSetURI,
			config.RuleReplacePath, config.RuleReplacePathQ, config.RuleReplaceURI:
			if err := cc.rewriteTarget(ru); err != nil {
				return nil, err
			}
		case config.RuleDisableL7Retry:
			cc.x.noL7 = true
		case config.RuleSetVar, config.RuleSetVarFmt:
			cc.setVar(ru, fs)
		case config.RuleUnsetVar:
			cc.varsFor(ru.Var).unset(ru.Var)
		case config.RuleCapture:
			v, err := cc.evalFormat(ru.Value, fs)
			if err != nil {
				return nil, err
			}
			if slot := cc.x.hdrs.req; ru.Status < len(slot) {
				slot[ru.Status] = append(slot[ru.Status][:0], v[:min(len(v), cap(slot[ru.Status]))]...)
			}
		case config.RuleDelHeader:
			fs.removeNamed(ru, "", fs.n())
		case config.RuleAddHeader, config.RuleSetHeader:
			if err := addField(fs, ru, cc); err != nil {
				return nil, err
			}
		}
	}
	return nil, nil
}

// addField writes the field of an add-header or set-header rule; set-header
// then removes the fields of that name before it, its value written first
// so that it may read them.
func addField(fs *fieldSet, ru *config.HTTPRule, cc *clientConn) error {
	if len(fs.added) == cap(fs.added) {
		return h1.ErrTooManyEdits
	}
	w := boundedWriter{b: *fs.arena}
	off := len(w.b)
	for i := 0; i < len(ru.Name); i++ {
		w.byte(lower(ru.Name[i]))
	}
	colon := len(w.b)
	w.write(": ")
	for i := range ru.Value {
		writePart(&w, &ru.Value[i], fs, cc)
	}
	w.write("\r\n")
	if w.over {
		return h1.ErrTooManyEdits
	}
	*fs.arena = w.b
	if ru.Action == config.RuleSetHeader {
		fs.removeNamed(nil, ru.Name, fs.n())
	}
	fs.added = append(fs.added, addedField{off: uint32(off), colon: uint32(colon), end: uint32(len(w.b))})
	return nil
}

// writePart writes one part of a format and reports whether its sample had
// something to give; a sample with nothing to give writes nothing, as in
// HAProxy's header values.
func writePart(w *boundedWriter, p *config.FormatPart, fs *fieldSet, cc *clientConn) bool {
	var tmp [48]byte
	start := len(w.b)
	found := true
	switch p.Kind {
	case config.FmtText, config.FmtStr:
		w.write(p.Text)
	case config.FmtSrc:
		found = cc.src.IsValid()
		w.addr(cc.src.Addr(), tmp[:0])
	case config.FmtSrcPort:
		found = cc.src.IsValid()
		w.port(cc.src, tmp[:0])
	case config.FmtDst:
		w.addr(cc.local().Addr(), tmp[:0])
	case config.FmtDstPort:
		w.port(cc.local(), tmp[:0])
	case config.FmtMethod:
		w.bytes(cc.Method())
	case config.FmtPath:
		w.bytes(cc.Path())
	case config.FmtURL:
		w.bytes(cc.URL())
	case config.FmtQuery:
		q := cc.Query()
		found = q != nil
		w.bytes(q)
	case config.FmtHdr, config.FmtFullHdr:
		v, ok := fs.last(p.Text)
		if ok && p.Kind == config.FmtHdr {
			if i := bytes.LastIndexByte(v, ','); i >= 0 {
				v = bytes.TrimLeft(v[i+1:], " \t")
			}
		}
		found = ok
		w.bytes(v)
	case config.FmtVar:
		v, ok := cc.varsFor(p.Var).get(p.Var)
		switch {
		case ok:
			w.bytes(v)
		case p.HasDefault:
			w.write(p.Text)
		default:
			found = false
		}
	case config.FmtUniqueID, config.FmtMadeID:
		var id []byte
		if p.Kind == config.FmtUniqueID || cc.vars().uidDone {
			id = cc.uniqueID()
		}
		found = id != nil
		w.bytes(id)
	}
	if !w.over && p.Conv != config.ConvNone {
		convert(w.b[start:], p.Conv)
	}
	return found
}

// convert applies a converter to a sample, in place.
func convert(b []byte, c config.Converter) {
	for i, ch := range b {
		switch {
		case c == config.ConvLower && 'A' <= ch && ch <= 'Z':
			b[i] = ch + 'a' - 'A'
		case c == config.ConvUpper && 'a' <= ch && ch <= 'z':
			b[i] = ch - ('a' - 'A')
		}
	}
}

// boundedWriter appends to a buffer without growing it past its capacity;
// over records that something did not fit.
type boundedWriter struct {
	b    []byte
	over bool
}

func (w *boundedWriter) write(s string) {
	if w.over || len(w.b)+len(s) > cap(w.b) {
		w.over = true
		return
	}
	w.b = append(w.b, s...)
}

func (w *boundedWriter) bytes(p []byte) {
	if w.over || len(w.b)+len(p) > cap(w.b) {
		w.over = true
		return
	}
	w.b = append(w.b, p...)
}

func (w *boundedWriter) byte(c byte) {
	if w.over || len(w.b) == cap(w.b) {
		w.over = true
		return
	}
	w.b = append(w.b, c)
}

func (w *boundedWriter) addr(a netip.Addr, tmp []byte) {
	if a.IsValid() {
		w.bytes(a.AppendTo(tmp))
	}
}

func (w *boundedWriter) port(ap netip.AddrPort, tmp []byte) {
	if ap.IsValid() {
		w.bytes(strconv.AppendUint(tmp, uint64(ap.Port()), 10))
	}
}

// responseView is a response as the conditions of http-response rules
// read it. HAProxy evaluates them with the request gone: the fetches of
// its target and fields (hdr() in an ACL names a request field) find
// nothing, and the configuration warns that they never match; the method
// and the client stay.
type responseView struct{ cc *clientConn }

// Method returns the request's method when HAProxy keeps it past the
// request: one of those it knows by name; nil for others (PATCH too).
func (v *responseView) Method() []byte {
	switch v.cc.x.req.MethodID {
	case h1.MethodOther, h1.MethodPATCH:
		return nil
	}
	return v.cc.Method()
}

func (v *responseView) URL() []byte                     { return nil }
func (v *responseView) Path() []byte                    { return nil }
func (v *responseView) Query() []byte                   { return nil }
func (v *responseView) NumHeaders() int                 { return 0 }
func (v *responseView) Header(int) (name, value []byte) { return nil, nil }
func (v *responseView) Src() netip.Addr                 { return v.cc.src.Addr() }

// respRules is a loop's working state for the http-response rules of the
// response head it forwards: used and done with within one callback.
type respRules struct {
	fs     fieldSet
	arena  []byte
	view   responseView
	status int           // set-status: the new status, or 0
	reason config.Format // set-status: the new reason (text), or nil for the status's own
}

// requestRules runs the http-request rules of px on the request, then its
// redirect rules and its header name policy (restrictNames), and reports
// whether the request goes on: a deny, a redirect or a return answers it,
// a rewrite that fails answers 500.
func (cc *clientConn) requestRules(px *config.Proxy) bool {
	// The unique-id-header goes after the rules of the backend (or the
	// listen section), the last before the server, as HAProxy adds it.
	last := px.Cap&config.CapBackend != 0
	if len(px.HTTPRequest)+len(px.Redirects) == 0 && (!last || cc.fe.proxy.UniqueIDHeader == "") {
		return cc.restrictNames(px)
	}
	final, err := runRules(px.HTTPRequest, &cc.x.fs, cc, cc)
	if final == nil && err == nil {
		final, err = runRules(px.Redirects, &cc.x.fs, cc, cc)
	}
	switch {
	case err != nil:
		cc.fail(&reply500, accesslog.TermProxy, accesslog.FinishRequest) // a failed rewrite, as HAProxy's strict mode fails it
		return false
	case final == nil:
		if last && cc.addUniqueIDHeader(cc.fe.proxy) != nil {
			cc.fail(&reply500, accesslog.TermProxy, accesslog.FinishRequest)
			return false
		}
		return cc.restrictNames(px)
	}
	switch final.Action {
	case config.RuleReject, config.RuleSilentDrop:
		// As HAProxy, untimed and without a status.
		cc.rec.Term, cc.rec.Finish = accesslog.TermProxy, accesslog.FinishRequest
		cc.logHTTP(-1, 0)
		cc.drop()
	case config.RuleTarpit:
		cc.holdTarpit(final.Status, px)
	case config.RuleDeny:
		cc.x.intercepted = true
		cc.fail(denyReply(final.Status), accesslog.TermProxy, accesslog.FinishRequest)
	default:
		cc.x.intercepted = true
		cc.fail(&cc.x.own, accesslog.TermLocal, accesslog.FinishRequest)
	}
	return false
}

// restrictNames applies the `option http-restrict-req-hdr-names` of px,
// after its rules as HAProxy does, and reports whether the request goes
// on: fields whose name has a byte outside [A-Za-z0-9-] are deleted, or
// the request is answered 403.
func (cc *clientConn) restrictNames(px *config.Proxy) bool {
	policy := px.Options.HdrNames
	if policy == config.HdrNamesPreserve {
		return true
	}
	fs := &cc.x.fs
	for i, n := 0, fs.n(); i < n; i++ {
		name, _ := fs.field(i)
		if name == nil || plainName(name) {
			continue
		}
		if policy == config.HdrNamesReject {
			cc.x.intercepted = true
			cc.fail(denyReply(403), accesslog.TermProxy, accesslog.FinishRequest)
			return false
		}
		fs.remove(i)
	}
	return true
}

// plainName reports whether a field name has only letters, digits and '-'.
func plainName(name []byte) bool {
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// holdTarpit holds the request for the timeout tarpit of px (its timeout
// connect when unset), then answers it with status (endTarpit); the log
// shows the time held as Tw, and no TR, as HAProxy's.
func (cc *clientConn) holdTarpit(status int, px *config.Proxy) {
	cc.x.tarpit = status
	cc.state = csTarpit
	d := px.Timeouts.Tarpit
	if d <= 0 {
		d = px.Timeouts.Connect
	}
	if d <= 0 {
		cc.endTarpit()
		return
	}
	cc.ls.l.Schedule(&cc.timer, d)
}

// endTarpit answers a request a tarpit rule held.
func (cc *clientConn) endTarpit() {
	cc.tAssign = cc.stamp()
	cc.fail(denyReply(cc.x.tarpit), accesslog.TermProxy, accesslog.FinishTarpit)
}

// responseRules runs the http-response rules of the backend, then of the
// frontend, on the response head of s (buf, r), leaving the edits in the
// loop's fieldSet. It returns a deny rule that matched.
func (s *serverConn) responseRules(buf []byte, r *h1.Response) (*respRules, *config.HTTPRule, error) {
	cc := s.cc
	rr := &s.ls.resp
	rr.arena, rr.status, rr.reason = rr.arena[:0], 0, nil
	rr.fs.reset(buf, r.Fields, &rr.arena)
	rr.view = responseView{cc: cc}
	cc.vars().pruneReq()
	for i, px := range [2]*config.Proxy{cc.be.proxy, cc.fe.proxy} {
		if i == 1 && px == cc.be.proxy {
			break // a listen section's rules run once
		}
		if final, err := runRules(px.HTTPResponse, &rr.fs, &rr.view, cc); final != nil || err != nil {
			return rr, final, err // a deny or a return: http-response redirects are refused
		}
	}
	return rr, nil, nil
}
