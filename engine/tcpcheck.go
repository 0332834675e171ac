package engine

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"time"

	"tether/engine/config"
)

// A tcp-check runs a backend's rule set over one connection at a time:
// connect, send, expect, in order. Expect rules test every byte received
// since the last connect or send; a rule that needs more bytes reads more
// and tests again from the first expect of its run, as HAProxy does.

// tcpStep is one rule of a tcp-check as it runs.
type tcpStep struct {
	config.TCPCheckRule
	implicit bool        // the connect HAProxy adds before rules that start without one
	ok       CheckStatus // status when the check ends passing on this rule
	fail     CheckStatus // status when this expect fails
	tout     CheckStatus // status when the check times out on this rule
}

// tcpCheck is a compiled tcp-check rule set.
type tcpCheck struct {
	steps []tcpStep
	// generic: the backend's own `tcp-check` rules, whose outcomes HAProxy
	// words itself ("TCPCHK did not match ..."); protocol rule sets
	// (redis-check) report only what their rules say.
	generic bool
}

// statusByName maps the names `ok-status`, `error-status` and
// `tout-status` take to statuses.
var statusByName = map[string]CheckStatus{
	"L4OK": CheckL4OK, "L7OK": CheckL7OK, "L7OKC": CheckL7OKC,
	"L4CON": CheckL4Con, "L7RSP": CheckL7Rsp, "L7STS": CheckL7Sts,
	"L4TOUT": CheckL4Tout, "L7TOUT": CheckL7Tout,
}

// newTCPCheck compiles a backend's tcp-check rule set: comments become
// the comment of the rules after them (up to the next rule of another
// action), and a connect is added first when the rules start without
// one.
func newTCPCheck(o config.TCPChk) *tcpCheck {
	rules := o.Rules.RuleList()
	tc := &tcpCheck{generic: true}
	switch o.Kind {
	case config.TCPChkRedis:
		rules, tc.generic = config.RedisCheckRules, false
	case config.TCPChkSMTP:
		rules, tc.generic = config.SMTPCheckRules(o.SMTPCmd), false
	case config.TCPChkPgSQL:
		rules, tc.generic = config.PgSQLCheckRules(o.User), false
	}
	var comment string
	prev := config.TCPCheckComment
	for _, r := range rules {
		if r.Action != prev && prev != config.TCPCheckComment {
			comment = ""
		}
		prev = r.Action
		switch r.Action {
		case config.TCPCheckComment:
			comment = r.Comment
			continue
		case config.TCPCheckConnect:
			if r.Comment == "" {
				r.Comment = comment
			}
			comment = ""
		default:
			if r.Comment == "" {
				r.Comment = comment
			}
		}
		st := tcpStep{TCPCheckRule: r, ok: CheckL7OK, fail: CheckL7Rsp, tout: CheckL7Tout}
		if s, ok := statusByName[r.OKStatus]; ok {
			st.ok = s
		}
		if s, ok := statusByName[r.ErrStatus]; ok {
			st.fail = s
		}
		if s, ok := statusByName[r.ToutStatus]; ok {
			st.tout = s
		}
		tc.steps = append(tc.steps, st)
	}
	if len(tc.steps) == 0 || tc.steps[0].Action != config.TCPCheckConnect {
		first := tcpStep{TCPCheckRule: config.TCPCheckRule{Action: config.TCPCheckConnect, Default: true}, implicit: true}
		tc.steps = append([]tcpStep{first}, tc.steps...)
	}
	return tc
}

// stepID is the step HAProxy names st in messages: its place among the
// rules, from 1, or 0 for the implicit first connect.
func (st *tcpStep) stepID() int {
	if st.implicit {
		return 0
	}
	return st.Index + 1
}

// tcpRun is the state of one run of a tcp-check.
type tcpRun struct {
	tc       *tcpCheck
	conn     *net.TCPConn
	buf      []byte      // bytes received since the last connect or send
	eof      bool        // the server closed its side, or the read failed
	linger   bool        // the connection closes with a FIN (connect's linger)
	unwatch  func() bool // stops ending conn's I/O when the engine stops
	cur      *tcpStep    // the rule being evaluated (HAProxy's current step)
	deadline time.Time   // the end of the check
}

// run runs the rule set against the server at addr, connecting as via
// says, within inter (see checkSpec.probe for the deadlines).
func (tc *tcpCheck) run(ctx context.Context, cs *checkSpec, addr netip.AddrPort, via checkConn, inter time.Duration) checkOutcome {
	start := time.Now()
	r := &tcpRun{tc: tc, deadline: start.Add(inter), buf: make([]byte, 0, checkBufSize)}
	connectBy := r.deadline
	if cs.check > 0 && cs.connect > 0 && cs.connect < inter {
		connectBy = start.Add(cs.connect)
	}
	defer r.close()
	chain := -1 // the first expect of the current run of expects
	for i := 0; i < len(tc.steps); i++ {
		st := &tc.steps[i]
		r.cur = st
		switch st.Action {
		case config.TCPCheckConnect:
			if out, ok := r.connect(ctx, st, addr, via, connectBy); !ok {
				return out
			}
			if cs.check > 0 {
				r.deadline = time.Now().Add(cs.check)
			}
			_ = r.conn.SetDeadline(r.deadline)
			chain = -1
		case config.TCPCheckSend:
			r.buf, r.eof, chain = r.buf[:0], false, -1
			if _, err := r.conn.Write(st.Data); err != nil {
				return r.connErr(err, false)
			}
		case config.TCPCheckExpect:
			if chain < 0 {
				chain = i
				if len(r.buf) == 0 && !r.eof {
					if out, ok := r.read(); !ok {
						return out
					}
				}
			}
			out, verdict := r.expect(st)
			switch verdict {
			case expectWait:
				if out, ok := r.read(); !ok {
					return out
				}
				i = chain - 1
			case expectFail:
				return out
			}
		}
	}
	return r.passed()
}

// expectVerdict is what an expect rule makes of the bytes so far.
type expectVerdict uint8

const (
	expectPass expectVerdict = iota // go on to the next rule
	expectWait                      // read more and test again
	expectFail                      // the check failed
)

// expect tests the bytes received against st.
func (r *tcpRun) expect(st *tcpStep) (checkOutcome, expectVerdict) {
	last := r.eof || len(r.buf) == cap(r.buf)
	if !last {
		if (st.Match == config.MatchString || st.Match == config.MatchBinary) && len(r.buf) < len(st.Data) {
			return checkOutcome{}, expectWait
		}
		if st.MinRecv > 0 && len(r.buf) < st.MinRecv {
			return checkOutcome{}, expectWait
		}
	}
	var match bool
	switch st.Match {
	case config.MatchString, config.MatchBinary:
		match = bytes.Contains(r.buf, st.Data)
	case config.MatchRString:
		match = st.Regexp.Match(r.buf)
	case config.MatchRBinary:
		match = st.Regexp.MatchString(upperHex(r.buf))
	}
	if !match && !last && st.MinRecv == -1 {
		return checkOutcome{}, expectWait
	}
	if match != st.Negate {
		return checkOutcome{}, expectPass
	}
	return checkOutcome{status: st.fail, code: r.code(st), desc: r.failWords(st, match)}, expectFail
}

// code is the check's code after st: the number the first three bytes
// received spell when st takes it from them, else 0.
func (r *tcpRun) code(st *tcpStep) int {
	if !st.CodeFromPayload || len(r.buf) < 3 {
		return 0
	}
	n := 0
	for _, c := range r.buf[:3] {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// payload is the text of the bytes received that st reports: from its
// PayloadSkip on, leading spaces trimmed with PayloadTrim, up to the
// first CR or LF with PayloadLine, and up to a NUL byte.
func (r *tcpRun) payload(st *tcpStep) string {
	b := r.buf[min(st.PayloadSkip, len(r.buf)):]
	if st.PayloadTrim {
		b = bytes.TrimLeft(b, " ")
	}
	if st.PayloadLine {
		b = b[:firstLineEnd(b)]
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// failWords are the details of a failed expect rule: its on-error text,
// the reply itself (redis-check), or HAProxy's words for a generic rule
// set, then its comment.
func (r *tcpRun) failWords(st *tcpStep, matched bool) string {
	var w string
	switch {
	case st.OnError != "":
		w = st.OnError
	case st.ErrorPayload:
		w = r.payload(st)
	case r.tc.generic:
		w = "TCPCHK did not match content"
		if matched {
			w = "TCPCHK matched unwanted content"
		}
		switch st.Match {
		case config.MatchString:
			w += " '" + st.Pattern + "'"
		case config.MatchBinary:
			w += " (binary)"
		case config.MatchRString:
			w += " (regex)"
		case config.MatchRBinary:
			w += " (binary regex)"
		}
		w += " at step " + strconv.Itoa(st.stepID())
	}
	if st.Comment != "" {
		w += " comment: " + st.Comment
	}
	return w
}

// firstLineEnd is the length of b up to its first CR or LF.
func firstLineEnd(b []byte) int {
	if i := bytes.IndexAny(b, "\r\n"); i >= 0 {
		return i
	}
	return len(b)
}

// upperHex writes b in upper-case hexadecimal, as HAProxy hands received
// bytes to an rbinary pattern.
func upperHex(b []byte) string {
	return string(bytes.ToUpper([]byte(hex.EncodeToString(b))))
}

// passed is the outcome of a rule set that ran to its end: the status
// its last rule gives.
func (r *tcpRun) passed() checkOutcome {
	st := r.cur
	switch st.Action {
	case config.TCPCheckExpect:
		desc := st.OnSuccess
		switch {
		case st.SuccessPayload:
			desc = r.payload(st)
		case desc == "" && r.tc.generic:
			desc = "(tcp-check)"
		}
		return checkOutcome{status: st.ok, code: r.code(st), desc: desc}
	case config.TCPCheckConnect:
		if st.implicit {
			return checkOutcome{status: CheckL4OK}
		}
		return checkOutcome{status: CheckL4OK, desc: "(tcp-check)"}
	}
	return checkOutcome{status: CheckL7OK, desc: "(tcp-check)"}
}

// connect opens the connection of a connect rule, closing the previous
// one, and sends the PROXY header the rule calls for.
func (r *tcpRun) connect(ctx context.Context, st *tcpStep, addr netip.AddrPort, via checkConn, by time.Time) (checkOutcome, bool) {
	r.close()
	r.buf, r.eof = r.buf[:0], false
	if st.Port > 0 {
		addr = netip.AddrPortFrom(addr.Addr(), uint16(st.Port))
	}
	c, err := dialCheck(ctx, addr, via.source, by)
	if err != nil {
		return r.connErr(err, true), false
	}
	r.conn, r.linger = c, st.Linger
	r.unwatch = context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
	var hdr []byte
	switch {
	case st.SendProxy && via.server != nil:
		s := *via.server
		s.CheckSendProxy = true
		hdr = checkProxyHeader(&s, addrPort(c.LocalAddr()), addrPort(c.RemoteAddr()))
	case st.Default && via.server != nil:
		hdr = checkProxyHeader(via.server, addrPort(c.LocalAddr()), addrPort(c.RemoteAddr()))
	}
	if len(hdr) > 0 {
		_ = c.SetDeadline(by)
		if _, err := c.Write(hdr); err != nil {
			return r.connErr(err, true), false
		}
	}
	return checkOutcome{}, true
}

// read reads more of the response into buf. It fails the check on a
// timeout, on an error before any byte came, and on a connection closed
// with nothing received.
func (r *tcpRun) read() (checkOutcome, bool) {
	if len(r.buf) == cap(r.buf) || r.eof {
		return checkOutcome{}, true
	}
	n, err := r.conn.Read(r.buf[len(r.buf):cap(r.buf)])
	r.buf = r.buf[:len(r.buf)+n]
	switch {
	case err == nil:
		return checkOutcome{}, true
	case errors.Is(err, os.ErrDeadlineExceeded):
		return r.connErr(err, false), false
	case err == io.EOF && len(r.buf) == 0:
		w := "TCPCHK got an empty response at step " + strconv.Itoa(r.cur.stepID())
		if r.cur.Comment != "" {
			w += " comment: '" + r.cur.Comment + "'"
		}
		return checkOutcome{status: r.cur.fail, desc: w}, false
	case err != io.EOF && len(r.buf) == 0:
		return r.connErr(err, false), false
	}
	r.eof = true
	return checkOutcome{}, true
}

// connErr is the outcome of a failed connection or exchange, worded as
// HAProxy words it: the system's reason, then (for a generic rule set)
// where in the rules it happened.
func (r *tcpRun) connErr(err error, connecting bool) checkOutcome {
	timeout := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	desc := ""
	if !timeout {
		desc = errnoText(err)
	}
	if r.tc.generic {
		desc += r.where()
	}
	switch {
	case connecting && timeout:
		return checkOutcome{status: CheckL4Tout, desc: desc}
	case connecting:
		return checkOutcome{status: CheckL4Con, desc: desc}
	case timeout:
		return checkOutcome{status: r.cur.tout, desc: desc}
	}
	return checkOutcome{status: CheckSockErr, desc: desc}
}

// where names the rule a connection failed on, as HAProxy's messages do.
func (r *tcpRun) where() string {
	st := r.cur
	id := st.stepID()
	if id == 0 {
		return " at initial connection step of tcp-check"
	}
	w := " at step " + strconv.Itoa(id) + " of tcp-check"
	switch st.Action {
	case config.TCPCheckConnect:
		if st.Port > 0 {
			w += " (connect port " + strconv.Itoa(st.Port) + ")"
		} else {
			w += " (connect)"
		}
	case config.TCPCheckSend:
		w += " (send)"
	case config.TCPCheckExpect:
		switch st.Match {
		case config.MatchString:
			w += " (expect string '" + st.Pattern + "')"
		case config.MatchBinary:
			w += " (expect binary '" + st.Pattern + "')"
		case config.MatchRString:
			w += " (expect regex)"
		case config.MatchRBinary:
			w += " (expect binary regex)"
		}
	}
	if st.Comment != "" {
		w += " comment: '" + st.Comment + "'"
	}
	return w
}

// close closes the current connection, with a reset unless the connect
// rule asked to linger.
func (r *tcpRun) close() {
	if r.conn == nil {
		return
	}
	r.unwatch()
	if !r.linger {
		_ = r.conn.SetLinger(0)
	}
	_ = r.conn.Close()
	r.conn = nil
}
