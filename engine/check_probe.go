package engine

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"

	"tether/engine/config"
	"tether/h1"
)

// checkBufSize bounds what an HTTP check reads of a response, as HAProxy's
// check buffer does (tune.bufsize).
const checkBufSize = 16384

// checkOutcome is what one check found.
type checkOutcome struct {
	status CheckStatus
	code   int
	desc   string
}

// checkConn says how a check connects, beyond where: the local address it
// binds (`source` of the server, else of the backend; invalid for none)
// and the server line whose PROXY protocol settings apply (nil for none).
type checkConn struct {
	source netip.AddrPort
	server *config.Server
}

// checkConnOf returns how the checks of s, a server of b, connect.
func checkConnOf(b *Backend, s *server) checkConn {
	v := checkConn{source: s.cfg.Source, server: s.cfg}
	if !v.source.IsValid() {
		v.source = b.proxy.Source
	}
	return v
}

// probe runs one check of the server at addr, connecting as via says,
// whose check interval is inter, and returns what it found. It gives the
// connection up to inter to be made (up to `timeout connect` when `timeout
// check` is set, if shorter), and the whole check up to inter from its
// start, or `timeout check` from the connection when it is set. The
// connection starts with a PROXY header when via's server line asks for
// one (checkProxyHeader). ctx ends it early: the engine is stopping. down
// tells whether the server is down when the response comes, as HAProxy
// reads its state then: a 404 only passes conditionally (disable-on-404)
// for a server that is not.
func (cs *checkSpec) probe(ctx context.Context, addr netip.AddrPort, via checkConn, inter time.Duration, down func() bool) checkOutcome {
	if cs.tcp != nil {
		return cs.tcp.run(ctx, cs, addr, via, inter)
	}
	start := time.Now()
	deadline := start.Add(inter)
	connectBy := deadline
	if cs.check > 0 && cs.connect > 0 && cs.connect < inter {
		connectBy = start.Add(cs.connect)
	}
	tc, err := dialCheck(ctx, addr, via.source, connectBy)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
			return checkOutcome{status: CheckL4Tout}
		}
		return checkOutcome{status: CheckL4Con, desc: errnoText(err)}
	}
	defer func() {
		_ = tc.SetLinger(0) // no TIME_WAIT left behind by frequent checks
		_ = tc.Close()
	}()
	var msg []byte
	if via.server != nil {
		msg = checkProxyHeader(via.server, addrPort(tc.LocalAddr()), addrPort(tc.RemoteAddr()))
	}
	if !cs.http {
		if len(msg) > 0 {
			_ = tc.SetDeadline(connectBy)
			if _, err := tc.Write(msg); err != nil {
				return checkOutcome{status: CheckL4Con, desc: errnoText(err)}
			}
		}
		return checkOutcome{status: CheckL4OK}
	}
	if cs.check > 0 {
		deadline = time.Now().Add(cs.check)
	}
	_ = tc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = tc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if _, err := tc.Write(append(msg, cs.request...)); err != nil {
		return ioOutcome(err)
	}
	return cs.readResponse(tc, down)
}

// dialCheck opens a check's connection to addr from src (invalid for any
// address), giving up at by or when ctx ends.
func dialCheck(ctx context.Context, addr, src netip.AddrPort, by time.Time) (*net.TCPConn, error) {
	dctx, cancel := context.WithDeadline(ctx, by)
	defer cancel()
	var d net.Dialer
	if src.IsValid() {
		d.LocalAddr = net.TCPAddrFromAddrPort(src)
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(fd uintptr) { sourceOptions(int(fd), src) }) // net binds LocalAddr
		}
	}
	c, err := d.DialContext(dctx, "tcp", addr.String())
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// readResponse reads the check's response from c and evaluates it.
func (cs *checkSpec) readResponse(c net.Conn, down func() bool) checkOutcome {
	buf := make([]byte, 0, checkBufSize)
	sc := h1.NewScanner(h1.DefaultLimits())
	var resp h1.Response
	headLen := -1
	for {
		if len(buf) == cap(buf) {
			break // full: judge what came
		}
		n, err := c.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if headLen < 0 && n > 0 {
			hl, serr := sc.Response(buf, &resp, cs.method)
			switch {
			case serr == nil:
				headLen = hl
			case !errors.Is(serr, h1.ErrNeedMore):
				return checkOutcome{status: CheckL7Rsp}
			}
		}
		if headLen >= 0 && (!cs.needsBody() || bodyComplete(buf[headLen:], &resp)) {
			break
		}
		if err != nil {
			if headLen >= 0 && err == io.EOF {
				break // the body ends with the connection
			}
			return ioOutcome(err)
		}
	}
	if headLen < 0 {
		return checkOutcome{status: CheckL7Rsp}
	}
	return cs.judge(buf, headLen, &resp, down())
}

// needsBody reports whether an expect rule looks at the body.
func (cs *checkSpec) needsBody() bool {
	for _, r := range cs.expects {
		if r.Expect == config.ExpectString || r.Expect == config.ExpectRString {
			return true
		}
	}
	return false
}

// bodyComplete reports whether b holds the whole body resp announces.
func bodyComplete(b []byte, resp *h1.Response) bool {
	switch resp.Framing {
	case h1.BodyNone:
		return true
	case h1.BodyLength:
		return int64(len(b)) >= resp.ContentLength
	case h1.BodyChunked:
		return bytes.Contains(b, []byte("\r\n0\r\n")) || bytes.HasPrefix(b, []byte("0\r\n"))
	}
	return false
}

// judge evaluates the response head (and body) in buf against the
// backend's expect rules; without rules, a 2xx or 3xx status passes.
func (cs *checkSpec) judge(buf []byte, headLen int, resp *h1.Response, down bool) checkOutcome {
	code := resp.Status
	reason := string(resp.Reason.Bytes(buf))
	if cs.disableOn404 && code == 404 && !down {
		return checkOutcome{status: CheckL7OKC, code: code}
	}
	rules := cs.expects
	if len(rules) == 0 {
		rules = defaultExpect
	}
	body := decodedBody(buf[headLen:], resp)
	for _, r := range rules {
		var match bool
		status := CheckL7Sts
		desc := reason
		switch r.Expect {
		case config.ExpectStatus:
			for _, sr := range r.Statuses {
				if code >= sr.Lo && code <= sr.Hi {
					match = true
				}
			}
		case config.ExpectRStatus:
			match = r.Regexp.MatchString(strconv.Itoa(code))
		case config.ExpectString, config.ExpectRString:
			status = CheckL7Rsp
			if len(body) == 0 {
				return checkOutcome{status: status, code: code, desc: "HTTP content check could not find a response body"}
			}
			if r.Expect == config.ExpectString {
				match = bytes.Contains(body, []byte(r.Pattern))
			} else {
				match = r.Regexp.Match(body)
			}
			desc = "HTTP content check did not match"
			if r.Negate {
				desc = "HTTP check matched unwanted content"
			}
		}
		if match == r.Negate {
			return checkOutcome{status: status, code: code, desc: desc}
		}
	}
	return checkOutcome{status: CheckL7OK, code: code}
}

// defaultExpect is the rule of an HTTP check without `http-check expect`.
var defaultExpect = []config.CheckRule{{Kind: config.CheckExpect, Expect: config.ExpectStatus,
	Statuses: []config.StatusRange{{Lo: 200, Hi: 399}}}}

// decodedBody returns the body bytes of b, without chunk framing.
func decodedBody(b []byte, resp *h1.Response) []byte {
	switch resp.Framing {
	case h1.BodyNone:
		return nil
	case h1.BodyLength:
		if int64(len(b)) > resp.ContentLength {
			b = b[:resp.ContentLength]
		}
		return b
	case h1.BodyChunked:
		d := h1.NewChunkedDecoder(h1.DefaultLimits())
		var out []byte
		for len(b) > 0 && !d.Done() {
			n, data, err := d.Next(b)
			if err != nil || n == 0 {
				break
			}
			out = append(out, data.Bytes(b)...)
			b = b[n:]
		}
		return out
	}
	return b
}

// ioOutcome classifies an error on an established check connection: a
// timeout, a response cut short or missing, or a socket error.
func ioOutcome(err error) checkOutcome {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return checkOutcome{status: CheckL7Tout}
	case err == io.EOF:
		return checkOutcome{status: CheckL7Rsp}
	}
	return checkOutcome{status: CheckSockErr, desc: errnoText(err)}
}

// errnoText is the system's description of the error number under err, as
// strerror words it ("Connection refused"), or "" without one.
func errnoText(err error) string {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return ""
	}
	s := en.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
