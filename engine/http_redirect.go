package engine

import (
	"bytes"

	"tether/engine/config"
	"tether/h1"
)

// redirectReasons are the status lines of the redirect codes.
var redirectReasons = map[int]string{
	301: "301 Moved Permanently",
	302: "302 Found",
	303: "303 See Other",
	307: "307 Temporary Redirect",
	308: "308 Permanent Redirect",
}

// redirect writes the reply of rd for the request in flight into
// cc.x.own, its head in the exchange's rewrite arena, as HAProxy 2.6
// writes it: the status line, "content-length: 0", the location, then
// "cache-control: no-cache" for the codes a client must not cache, the
// cookie, and "connection: close" when the request has a body. It reports false, writing nothing, when the value is empty and
// rd says ignore-empty; err is h1.ErrTooManyEdits when the head outgrows
// tune.maxrewrite.
func (cc *clientConn) redirect(rd *config.Redirect) (ok bool, err error) {
	w := boundedWriter{b: cc.x.rw}
	start := len(w.b)
	w.write("HTTP/1.1 ")
	w.write(redirectReasons[rd.Code])
	w.write("\r\ncontent-length: 0\r\nlocation: ")
	loc := len(w.b)
	for i := range rd.Value {
		writePart(&w, &rd.Value[i], &cc.x.fs, cc)
	}
	value := w.b[loc:]
	if rd.IgnoreEmpty && len(value) == 0 && !w.over {
		return false, nil
	}
	switch rd.Kind {
	case config.RedirPrefix:
		if string(value) == "/" {
			w.b = w.b[:loc] // "/" alone adds nothing before the path
		}
		cc.writeRedirectPath(&w, rd, false)
	case config.RedirScheme:
		w.write("://")
		w.bytes(cc.x.fs.find("host"))
		cc.writeRedirectPath(&w, rd, true)
	}
	size := len(w.b) - loc + len("content-length") + len("0") + len("location")
	w.write("\r\n")
	if rd.Code == 302 || rd.Code == 303 || rd.Code == 307 {
		w.write("cache-control: no-cache\r\n")
		size += len("cache-control") + len("no-cache")
	}
	if rd.Cookie != "" {
		w.write("set-cookie: ")
		c := len(w.b)
		w.write(rd.Cookie)
		w.write("; path=/;")
		if rd.ClearCookie {
			w.write(" Max-Age=0;")
		}
		size += len("set-cookie") + len(w.b) - c
		w.write("\r\n")
	}
	// HAProxy answers before reading a request body, and then closes.
	r := &cc.x.req
	body := r.Framing == h1.BodyChunked || r.Framing == h1.BodyLength && r.ContentLength > 0
	if body {
		w.bytes(connClose)
		size += len("connection") + len("close")
	}
	if w.over {
		return false, h1.ErrTooManyEdits
	}
	cc.x.rw = w.b
	reason := redirectReasons[rd.Code]
	cc.x.own = reply{head: w.b[start:], close: body, size: htxStartLine + len("HTTP/1.1") + len(reason) - 1 + htxEndOfHead + size}
	return true, nil
}

// writeRedirectPath writes the request's path and query for a prefix or a
// scheme redirect: without the query under drop-query, with a final '/'
// added under append-slash; "/" for an empty path or "*" when root.
func (cc *clientConn) writeRedirectPath(w *boundedWriter, rd *config.Redirect, root bool) {
	path := cc.pathQuery()
	if rd.DropQuery {
		if i := bytes.IndexByte(path, '?'); i >= 0 {
			path = path[:i]
		}
	}
	if root && (len(path) == 0 || string(path) == "*") {
		path = slash
	}
	w.bytes(path)
	if rd.DropQuery && rd.AppendSlash && (len(path) == 0 || path[len(path)-1] != '/') {
		w.byte('/')
	}
}

var slash = []byte("/")
