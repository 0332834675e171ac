package config

import (
	"slices"
	"strings"
)

// parseHTTPError parses `http-error status <code> [content-type <type>]
// [string <str> | file <file>] [hdr <name> <value>]*`: the proxy's reply
// for code, written as a return rule writes its reply, which takes the
// place of the errorfile for code by the order of the lines setting them,
// as an errorfile line does. Values written by log-format are not
// supported: the reply is made once, at load.
func (p *parser) parseHTTPError(px *Proxy, a []string) {
	if !slices.Contains(a, "status") {
		p.alert("http-error : expects at least a <status> as arguments.")
		return
	}
	ru := &HTTPRule{}
	rest, msg := p.parseReturn(ru, a, false)
	if msg != "" {
		p.alert("http-error : " + strings.TrimSpace(strings.TrimPrefix(msg, "!")))
		return
	}
	rt := ru.Return
	slot := errorSlot(rt.Status)
	switch {
	case len(rest) > 0:
		p.alert("http-error : unexpected argument '" + rest[0] + "'.")
		return
	case slot < 0:
		p.alert("http-error: status code '" + itoa(rt.Status) + "' not handled.")
		return
	}
	var b strings.Builder
	b.WriteString("HTTP/1.1 " + itoa(rt.Status) + " " + Reason(rt.Status) + "\r\n")
	for _, h := range rt.Headers {
		v, ok := h.Value.text()
		if !ok {
			p.notSupported("log-format values in 'http-error'")
			return
		}
		b.WriteString(strings.ToLower(h.Name) + ": " + v + "\r\n")
	}
	body, ok := rt.Body.text()
	if !ok {
		p.notSupported("log-format values in 'http-error'")
		return
	}
	b.WriteString("content-length: " + itoa(len(body)) + "\r\n")
	if rt.ContentType != "" && body != "" {
		b.WriteString("content-type: " + rt.ContentType + "\r\n")
	}
	b.WriteString("\r\n" + body)
	f, msg := parseErrorMessage([]byte(b.String()), p.cfg.Global.MaxHdr, p.cfg.Global.BufSize)
	if msg != "" {
		p.alert("http-error : " + msg)
		return
	}
	f.Code, f.File, f.Line = rt.Status, p.file, p.line
	px.errorFiles[slot], px.errorSeqs[slot] = f, p.nextErrorSeq()
}

// text returns f as plain text, and false when it has samples.
func (f Format) text() (string, bool) {
	var b strings.Builder
	for _, part := range f {
		if part.Kind != FmtText {
			return "", false
		}
		b.WriteString(part.Text)
	}
	return b.String(), true
}
