package engine

import (
	"bytes"
	"encoding/base64"
	"strconv"

	"tether/engine/accesslog"
	"tether/engine/config"
	"tether/h1"
)

// StatsPage appends to dst what a `stats uri` page shows: the CSV of
// `show stat` when csv is set, else an HTML page of it. The runtime
// package, which renders `show stat`, provides it (SetStatsPage). It runs
// on an event loop, for the rare requests of the page.
type StatsPage func(dst []byte, csv bool) []byte

// SetStatsPage makes page what statistics pages show. Without one, they
// answer 503.
func (e *Engine) SetStatsPage(page StatsPage) { e.stats.Store(&page) }

// statsRequest reports whether the request is for the statistics page
// of px, which `stats` lines enable: its target starts with their uri.
func (cc *clientConn) statsRequest(px *config.Proxy) bool {
	st := &px.Stats
	u := cc.URL()
	return st.Enabled && len(u) >= len(st.URI) && string(u[:len(st.URI)]) == st.URI
}

// serveStats answers a request for the statistics page of px, as HAProxy
// does: a 401 challenge when px has accounts and the request names none of
// them, else the page, in one chunk (the CSV when the target has ";csv"),
// with a Refresh field unless the target has ";norefresh". It is logged
// LR, as HAProxy logs it.
func (cc *clientConn) serveStats(px *config.Proxy) {
	st := &px.Stats
	cc.x.intercepted, cc.x.stats = true, true
	if len(st.Auth) > 0 && !cc.statsAuthorized(st) {
		body := statusReplies[401].body
		head := append(cc.ls.valBuf[:0], "HTTP/1.1 401 Unauthorized\r\ncontent-length: "...)
		head = strconv.AppendInt(head, int64(len(body)), 10)
		head = append(head, "\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nwww-authenticate: Basic realm=\""...)
		head = append(head, st.Realm...)
		head = append(head, "\"\r\n"...)
		size := statusReplies[401].size + len("www-authenticate") + len(`Basic realm=""`) + len(st.Realm)
		cc.x.own = reply{head: head, body: body, size: size, logged: 400} // HAProxy logs the challenge so
		cc.fail(&cc.x.own, accesslog.TermLocal, accesslog.FinishRequest)
		return
	}
	page := cc.e.stats.Load()
	if page == nil {
		cc.fail(&reply503, accesslog.TermLocal, accesslog.FinishRequest)
		return
	}
	rest := cc.URL()[len(st.URI):]
	csv := bytes.Contains(rest, []byte(";csv"))
	data := (*page)(nil, csv)
	head := append(cc.ls.valBuf[:0], "HTTP/1.1 200 OK\r\ncache-control: no-cache\r\ncontent-type: "...)
	size := len("HTTP/1.1") + len("200") + len("OK") + len("cache-control") + len("no-cache") + len("content-type")
	ctype := "text/html"
	if csv {
		ctype = "text/plain"
	}
	head = append(head, ctype...)
	head = append(head, "\r\n"...)
	size += len(ctype)
	if st.Refresh > 0 && !bytes.Contains(rest, []byte(";norefresh")) {
		n := len(head)
		head = append(head, "refresh: "...)
		head = strconv.AppendInt(head, int64(st.Refresh.Seconds()), 10)
		head = append(head, "\r\n"...)
		size += len(head) - n - len(": \r\n")
	}
	// As HAProxy, in chunks, to HTTP/1.0 clients too, which it tells it
	// closes; none for HEAD.
	closes := cc.x.req.Minor == 0 || !cc.keep
	if closes {
		head = append(head, connClose...)
	}
	var body []byte
	if cc.x.req.MethodID != h1.MethodHEAD {
		head = append(head, "transfer-encoding: chunked\r\n"...)
		size += len("transfer-encoding") + len("chunked")
		body = strconv.AppendInt(nil, int64(len(data)), 16)
		body = append(body, "\r\n"...)
		body = append(append(body, data...), "\r\n0\r\n\r\n"...)
	}
	cc.x.own = reply{head: head, body: body, close: closes, size: htxStartLine + size + htxEndOfHead}
	cc.fail(&cc.x.own, accesslog.TermLocal, accesslog.FinishRequest)
}

// statsAuthorized reports whether the request's Authorization field
// names one of the accounts of st (Basic scheme).
func (cc *clientConn) statsAuthorized(st *config.Stats) bool {
	v := cc.x.fs.find("authorization")
	cred, ok := bytes.CutPrefix(v, []byte("Basic "))
	if !ok {
		return false
	}
	buf := cc.ls.fmtBuf[:cap(cc.ls.fmtBuf)]
	if base64.StdEncoding.DecodedLen(len(cred)) > len(buf) {
		return false
	}
	n, err := base64.StdEncoding.Decode(buf, bytes.TrimSpace(cred))
	if err != nil {
		return false
	}
	for _, a := range st.Auth {
		if string(buf[:n]) == a {
			return true
		}
	}
	return false
}
