package engine

import (
	"bytes"
	"errors"
	"strconv"

	"tether/engine/config"
	"tether/h1"
)

// The rewriting actions of http-request and http-response rules (see
// config.RuleReplaceHeader and the following ones). A regular expression
// is first tried without keeping its groups, which does not allocate; a
// value it matches is rewritten with Go's submatch indexes, which do.

// errBadReplacement: a replacement ends with a lone backslash or a short
// \x; HAProxy fails the rewrite, and the message with it.
var errBadReplacement = errors.New("engine: replacement ends inside an escape")

// evalFormat writes f for the exchange of cc into the loop's format buffer
// and returns it; it lives until the callback returns.
func (cc *clientConn) evalFormat(f config.Format, fs *fieldSet) ([]byte, error) {
	w := boundedWriter{b: cc.ls.fmtBuf[:0]}
	for i := range f {
		writePart(&w, &f[i], fs, cc)
	}
	if w.over {
		return nil, h1.ErrTooManyEdits
	}
	return w.b, nil
}

// expand writes tmpl to w with its references to the groups m of the
// match in src: \N (a digit) for group N, \xHH for a byte, \c for c.
func expand(w *boundedWriter, tmpl, src []byte, m []int) error {
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '\\' {
			w.byte(c)
			continue
		}
		if i++; i == len(tmpl) {
			return errBadReplacement
		}
		switch c = tmpl[i]; {
		case '0' <= c && c <= '9':
			if g := int(c-'0') * 2; g+1 < len(m) && m[g] >= 0 && m[g+1] >= 0 {
				w.bytes(src[m[g]:m[g+1]])
			}
		case c == 'x':
			if i+2 >= len(tmpl) {
				return errBadReplacement
			}
			w.byte(hexNibble(tmpl[i+1])<<4 + hexNibble(tmpl[i+2]))
			i += 2
		default:
			w.byte(c)
		}
	}
	return nil
}

// hexNibble is HAProxy's reading of a hex digit in \xHH: any byte gives a
// value, as its arithmetic gives.
func hexNibble(c byte) byte {
	if 'a' <= c && c <= 'z' {
		c -= 'a' - 'A'
	}
	c -= '0'
	if c > 9 {
		c -= 'A' - '9' - 1
	}
	return c & 0x0f
}

// replaceInto writes the replacement of src by ru to w when ru's
// expression matches src, and reports whether it did.
func (cc *clientConn) replaceInto(w *boundedWriter, ru *config.HTTPRule, src []byte, fs *fieldSet) (bool, error) {
	if !ru.Regexp.Match(src) {
		return false, nil
	}
	m := ru.Regexp.FindSubmatchIndex(src)
	tmpl, err := cc.evalFormat(ru.Value, fs)
	if err != nil {
		return false, err
	}
	return true, expand(w, tmpl, src, m)
}

// replaceFields runs replace-header (each whole value) or replace-value
// (each comma-separated value, separators kept) on the fields of fs named
// ru.Name.
func (cc *clientConn) replaceFields(ru *config.HTTPRule, fs *fieldSet) error {
	for i, n := 0, fs.n(); i < n; i++ {
		name, v := fs.field(i)
		if name == nil || !h1.EqualFold(name, ru.Name) {
			continue
		}
		w := boundedWriter{b: cc.ls.valBuf[:0]}
		changed := false
		if ru.Action == config.RuleReplaceHeader {
			ok, err := cc.replaceInto(&w, ru, v, fs)
			if err != nil {
				return err
			}
			changed = ok
		} else {
			for rest := v; ; {
				raw, sep, more := nextValue(rest)
				// a value replaced loses the blanks around it, as
				// HAProxy replaces them with it
				ok, err := cc.replaceInto(&w, ru, bytes.Trim(raw, " \t"), fs)
				if err != nil {
					return err
				}
				if !ok {
					w.bytes(raw)
				}
				changed = changed || ok
				if sep > 0 {
					w.byte(',')
				}
				if !more {
					break
				}
				rest = rest[len(raw)+sep:]
			}
		}
		if w.over {
			return h1.ErrTooManyEdits
		}
		if changed {
			if err := fs.setValue(i, w.b); err != nil {
				return err
			}
		}
	}
	return nil
}

// nextValue returns the first comma-separated value of v, with its
// blanks, the length of the separator after it (0 or 1) and whether more
// follow.
func nextValue(v []byte) (item []byte, sep int, more bool) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		return v[:i], 1, true
	}
	return v, 0, false
}

// rewriteTarget runs the actions on the request target: the new target is
// written into the exchange's arena and read by URL, Path and the others
// from then on; editRequest sends it.
func (cc *clientConn) rewriteTarget(ru *config.HTTPRule) error {
	u := cc.URL()
	pq := cc.pathQuery()
	prefix := u[:len(u)-len(pq)] // the scheme and authority of an absolute form
	path, query := pq, []byte(nil)
	if i := bytes.IndexByte(pq, '?'); i >= 0 {
		path, query = pq[:i], pq[i:]
	}
	w := boundedWriter{b: cc.x.rw}
	start := len(w.b)
	switch ru.Action {
	case config.RuleSetPath, config.RuleSetPathQ, config.RuleSetURI:
		v, err := cc.evalFormat(ru.Value, &cc.x.fs)
		if err != nil {
			return err
		}
		if ru.Action != config.RuleSetURI {
			w.bytes(prefix)
		}
		w.bytes(v)
		if ru.Action == config.RuleSetPath {
			w.bytes(query)
		}
	case config.RuleSetQuery:
		v, err := cc.evalFormat(ru.Value, &cc.x.fs)
		if err != nil {
			return err
		}
		if query == nil && len(v) == 0 {
			return nil
		}
		w.bytes(prefix)
		w.bytes(path)
		w.byte('?')
		w.bytes(v)
	default:
		src := u
		switch ru.Action {
		case config.RuleReplacePath:
			src = path
		case config.RuleReplacePathQ:
			src = pq
		}
		if len(src) == 0 {
			return nil
		}
		if ru.Action != config.RuleReplaceURI {
			w.bytes(prefix)
		}
		ok, err := cc.replaceInto(&w, ru, src, &cc.x.fs)
		if err != nil || !ok {
			return err
		}
		if ru.Action == config.RuleReplacePath {
			w.bytes(query)
		}
	}
	if w.over {
		return h1.ErrTooManyEdits
	}
	cc.x.rw = w.b
	cc.x.target = w.b[start:]
	if ru.Action == config.RuleSetURI || ru.Action == config.RuleReplaceURI {
		return cc.followAuthority()
	}
	return nil
}

// followAuthority gives the Host fields the authority of an absolute-form
// target a rule set, as HAProxy does when a rule sets the whole target.
func (cc *clientConn) followAuthority() error {
	t := cc.x.target
	i := bytes.Index(t, []byte("://"))
	if len(t) == 0 || t[0] == '/' || t[0] == '*' || i < 0 {
		return nil
	}
	auth := t[i+3 : len(t)-len(targetPath(t))]
	if len(auth) == 0 {
		return h1.ErrTooManyEdits // HAProxy fails the rewrite
	}
	fs := &cc.x.fs
	for k, n := 0, fs.n(); k < n; k++ {
		if name, _ := fs.field(k); name != nil && h1.EqualFold(name, "host") {
			if err := fs.setValue(k, auth); err != nil {
				return err
			}
		}
	}
	return nil
}

// returnReply writes the reply of a return rule for the message fs into
// cc.x.own, in fs's arena, as HAProxy writes it: the status line with the
// status's reason, the hdr fields, then content-length and content-type.
func (cc *clientConn) returnReply(rt *config.Return, fs *fieldSet) error {
	w := boundedWriter{b: *fs.arena}
	start := len(w.b)
	w.write("HTTP/1.1 ")
	w.bytes(strconv.AppendInt(cc.ls.fmtBuf[:0], int64(rt.Status), 10))
	w.byte(' ')
	w.write(config.Reason(rt.Status))
	w.write("\r\n")
	size := len("HTTP/1.1") + 3 + len(config.Reason(rt.Status))
	for _, h := range rt.Headers {
		for i := 0; i < len(h.Name); i++ {
			w.byte(lower(h.Name[i]))
		}
		w.write(": ")
		v, err := cc.evalFormat(h.Value, fs)
		if err != nil {
			return err
		}
		w.bytes(v)
		w.write("\r\n")
		size += len(h.Name) + len(v)
	}
	body, err := cc.evalFormat(rt.Body, fs)
	if err != nil {
		return err
	}
	w.write("content-length: ")
	n := len(w.b)
	w.bytes(strconv.AppendInt(cc.ls.valBuf[:0], int64(len(body)), 10))
	size += len("content-length") + len(w.b) - n
	w.write("\r\n")
	if rt.ContentType != "" {
		w.write("content-type: ")
		w.write(rt.ContentType)
		w.write("\r\n")
		size += len("content-type") + len(rt.ContentType)
	}
	end := len(w.b)
	w.bytes(body)
	if w.over {
		return h1.ErrTooManyEdits
	}
	*fs.arena = w.b
	cc.x.own = reply{head: w.b[start:end], body: w.b[end:], size: htxStartLine + size + htxEndOfHead}
	return nil
}

// setStatus rewrites the status line of the response r scanned from buf
// for set-status: the version as statusLine leaves it, then the new status
// and its reason, written in the loop's response arena.
func (s *serverConn) setStatus(r *h1.Response, buf []byte, rr *respRules) error {
	if v := r.Version.Bytes(buf); v[len(v)-1] != '1' && r.Minor == 1 {
		if err := s.ed.Replace(r.Version, http11); err != nil {
			return err
		}
	}
	w := boundedWriter{b: rr.arena}
	start := len(w.b)
	w.bytes(strconv.AppendInt(s.ls.valBuf[:0], int64(rr.status), 10))
	w.byte(' ')
	if rr.reason != nil {
		w.write(rr.reason[0].Text)
	} else {
		w.write(config.Reason(rr.status))
	}
	if w.over {
		return h1.ErrTooManyEdits
	}
	rr.arena = w.b
	return s.ed.Replace(h1.Span{Off: r.Code.Off, End: max(r.Code.End, r.Reason.End)}, w.b[start:])
}
