package config

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
)

// ErrorFile is the reply an `errorfile <code> <file>` line puts in place of
// the one the proxy would make itself with status Code. The file is read and
// checked when the configuration loads, as HAProxy 2.6 does, and kept in the
// form HAProxy sends it: HAProxy parses the file into its internal message
// and emits that message again, so field names go out in lower case, values
// without the whitespace around them, one Content-Length, and no Connection
// field (the proxy writes its own, see Close and HTTP10). An ErrorFile never
// changes after the load; its slices are shared by every proxy using the
// same file and must not be modified.
type ErrorFile struct {
	Code int    // the status it replaces (the <code> argument)
	Path string // the file as named on the line
	File string // where the line is
	Line int

	// Head is the status line and the fields as sent, each ending with
	// CRLF, without the empty line. The version is the file's, except that
	// any version above 1.0 goes out as HTTP/1.1. Empty when the file is
	// empty: the proxy then closes the connection without a word.
	Head []byte
	// Body is the payload as written in the file.
	Body []byte
	// HTTP10 is set when the status line says HTTP/1.0 (or below): a
	// connection kept open after it needs "connection: keep-alive", and one
	// closed after it needs nothing.
	HTTP10 bool
	// Close is set when the reply ends the connection whatever the client
	// asked: its Connection field says close, its body runs to the end of
	// the connection (no Content-Length), or it is a 101.
	Close bool
	// Size is the size of the reply in HAProxy's internal form, which is
	// what HAProxy's %B logs for it: the start line's parts plus 20, every
	// field's name and value (the Connection field included), 1 for the
	// end of the head, and the body.
	Size int
}

// Empty reports whether the file is empty: nothing is sent.
func (f *ErrorFile) Empty() bool { return len(f.Head) == 0 }

// errorCodes are the statuses of the replies HAProxy 2.6 makes itself and
// lets an errorfile replace; Proxy.errorFiles is indexed like it.
var errorCodes = [...]int{200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504}

// errorFiles holds a proxy's errorfiles, one place per status of errorCodes.
type errorFiles [len(errorCodes)]*ErrorFile

// errHead is the head of an error file as scanned: views of the file.
type errHead struct {
	version, code, reason []byte
	fields                []errField
	body                  []byte // what follows the empty line
}

// errField is a field line of an error file. Its raw value runs from vOff
// (after the whitespace following the colon) to vEnd and may span folded
// lines.
type errField struct {
	name       []byte
	vOff, vEnd int
}

// keptField is a field as HAProxy keeps it in its internal message.
type keptField struct{ name, value []byte }

// errFraming is what the fields of an error file say about its body and
// its connection.
type errFraming struct {
	cl      int64 // Content-Length, or -1
	chunked bool  // Transfer-Encoding lists chunked
	close   bool  // Connection lists close
}

// headScanner scans the head of an error file as HAProxy's lenient H1
// parser does: empty lines before the status line, LF alone as a line end
// and folded field lines are accepted.
type headScanner struct {
	raw []byte
	i   int // next byte
}

// HTX accounting of HAProxy 2.6: a message lives in a buffer of
// tune.bufsize bytes, less the message header; every block costs a block
// header, and the start line block a fixed part besides its strings.
const (
	htxHeader     = 48 // struct htx
	htxBlock      = 8  // struct htx_blk
	htxStartLine  = 20 // struct htx_sl, before the version, code and reason
	htxEndOfHead  = 1  // the end-of-headers block's payload
	errNeedMoreAt = -2 // the error offset HAProxy reports for a file that ends inside the head
)

// Byte classes of the error file scanner.
const (
	ecToken   = 1 << iota // a field name character (RFC 9110 tchar)
	ecVersion             // a character HAProxy admits in a response's version
	ecDigit               // 0-9
)

// errClass classifies the bytes of an error file's head.
var errClass = func() (t [256]uint8) {
	for c := 0; c < 256; c++ {
		alpha := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		digit := '0' <= c && c <= '9'
		if alpha || digit || strings.IndexByte("!#$%&'*+-.^_`|~", byte(c)) >= 0 {
			t[c] |= ecToken
		}
		if 'A' <= c && c <= 'Z' || digit || c == '/' || c == '.' {
			t[c] |= ecVersion
		}
		if digit {
			t[c] |= ecDigit
		}
	}
	return t
}()

// errorSlot returns the place of code in errorCodes, or -1.
func errorSlot(code int) int {
	for i, c := range errorCodes {
		if c == code {
			return i
		}
	}
	return -1
}

// ErrorFile returns the errorfile replacing the proxy's own reply with
// status code, declared in the section or inherited from its defaults, or
// nil. It does not allocate.
func (p *Proxy) ErrorFile(code int) *ErrorFile {
	if i := errorSlot(code); i >= 0 {
		return p.errorFiles[i]
	}
	return nil
}

// parseErrorFile parses `errorfile <code> <file>` in a proxy.
func (p *parser) parseErrorFile(px *Proxy, a []string) {
	if f, slot := p.errorFileLine(a); f != nil {
		px.errorFiles[slot], px.errorSeqs[slot] = f, p.nextErrorSeq()
	}
}

// errorFileLine reads the arguments of an `errorfile <code> <file>` line
// (of a proxy or an http-errors section) and returns the reply and its
// place, or nil after an alert. As HAProxy, it reads the status with atol
// (so "503x" is 503) and ignores further arguments.
func (p *parser) errorFileLine(a []string) (*ErrorFile, int) {
	if len(a) < 2 {
		p.alert("expects <status_code> and <file> as arguments.")
		return nil, 0
	}
	code := int(int32(atoi(strings.TrimLeft(a[0], " \t\n\v\f\r"))))
	slot := errorSlot(code)
	if slot < 0 {
		p.alert("status code '" + itoa(code) + "' not handled.")
		return nil, 0
	}
	f, msg := p.loadErrorFile(a[1])
	if msg != "" {
		p.alert(msg)
		return nil, 0
	}
	own := *f
	own.Code, own.File, own.Line = code, p.file, p.line
	return &own, slot
}

// parseErrorLoc parses `errorloc`, `errorloc302` and `errorloc303 <code>
// <url>`: the reply of status code becomes a redirect to url with status
// (302 or 303), as HAProxy 2.6 builds it (no-cache, an empty body).
func (p *parser) parseErrorLoc(px *Proxy, a []string, status string) {
	if len(a) < 2 {
		p.alert("expects <status_code> and <url> as arguments.")
		return
	}
	code := int(int32(atoi(strings.TrimLeft(a[0], " \t\n\v\f\r"))))
	slot := errorSlot(code)
	if slot < 0 {
		p.alert("status code '" + itoa(code) + "' not handled.")
		return
	}
	raw := "HTTP/1.1 " + status + "\r\nCache-Control: no-cache\r\nContent-Length: 0\r\nLocation: " + a[1] + "\r\n\r\n"
	f, msg := parseErrorMessage([]byte(raw), p.cfg.Global.MaxHdr, p.cfg.Global.BufSize)
	if msg != "" {
		p.alert(msg)
		return
	}
	f.Code, f.File, f.Line = code, p.file, p.line
	px.errorFiles[slot], px.errorSeqs[slot] = f, p.nextErrorSeq()
}

// loadErrorFile reads and checks an error file once per path, as HAProxy
// keeps one copy of each file. It returns the parsed reply, or HAProxy's
// message for the alert.
func (p *parser) loadErrorFile(path string) (*ErrorFile, string) {
	if f := p.errFiles[path]; f != nil {
		return f, ""
	}
	fd, err := os.Open(path)
	if err != nil {
		return nil, "error opening file '" + path + "'."
	}
	defer fd.Close()
	st, err := fd.Stat()
	if err != nil {
		return nil, "error opening file '" + path + "'."
	}
	size, buf := st.Size(), p.cfg.Global.BufSize
	if size > int64(buf) {
		p.warn("custom error message file '" + path + "' larger than " + itoa(buf) + " bytes. Truncating.")
		size = int64(buf)
	}
	raw := make([]byte, size)
	if _, err := io.ReadFull(fd, raw); err != nil {
		return nil, "error reading file '" + path + "'."
	}
	f, msg := parseErrorMessage(raw, p.cfg.Global.MaxHdr, buf)
	if msg != "" {
		return nil, "'" + path + "': " + msg
	}
	f.Path = path
	if p.errFiles == nil {
		p.errFiles = map[string]*ErrorFile{}
	}
	p.errFiles[path] = f
	return f, ""
}

// parseErrorMessage checks raw as HAProxy 2.6 checks an error file and
// returns the reply it sends, or HAProxy's message about the file. maxHdr
// is tune.http.maxhdr and bufSize tune.bufsize.
func parseErrorMessage(raw []byte, maxHdr, bufSize int) (*ErrorFile, string) {
	if len(raw) == 0 {
		return &ErrorFile{}, ""
	}
	var h errHead
	s := headScanner{raw: raw}
	if at := s.scan(&h, maxHdr); at != -1 {
		return nil, "unable to parse headers (error offset: " + itoa(at) + ")"
	}
	fields, framing, msg := keptFields(raw, &h)
	if msg != "" {
		return nil, msg
	}
	if len(h.version) != 8 {
		return nil, "invalid http version (" + string(h.version) + ")"
	}
	http11 := h.version[5] > '1' || (h.version[5] == '1' && h.version[7] >= '1')
	status := int(atoi(string(h.code)))
	if status < 200 && (status == 100 || status >= 102) {
		return nil, "invalid http status code for an error message (" + itoa(status) + ")"
	}
	bodyless, lengthKnown := false, false
	switch {
	case status == 204 || status == 304:
		bodyless, lengthKnown = true, true
	case framing.chunked:
		return nil, "chunk-encoded payload not supported"
	case framing.cl >= 0:
		bodyless, lengthKnown = framing.cl == 0, true
	}
	if bodyless && len(h.body) > 0 {
		return nil, "message payload not expected"
	}
	if framing.cl >= 0 && !bodyless && int64(len(h.body)) != framing.cl {
		return nil, "payload size does not match the announced content-length (" +
			itoa(len(h.body)) + " != " + strconv.FormatInt(framing.cl, 10) + ")"
	}

	line := len(h.version) + len(h.code) + len(h.reason)
	size := htxStartLine + line + htxEndOfHead + len(h.body)
	room := bufSize - htxHeader - (htxBlock + htxStartLine + line) - (htxBlock + htxEndOfHead)
	for _, fl := range fields {
		room -= htxBlock + len(fl.name) + len(fl.value)
		size += len(fl.name) + len(fl.value)
	}
	if room < 0 {
		return nil, "unable to add headers into the HTX message"
	}
	if len(h.body) > 0 && htxBlock+len(h.body) > room {
		return nil, "unable to add payload into the HTX message"
	}
	return &ErrorFile{
		Head:   emitHead(&h, http11, fields),
		Body:   h.body,
		HTTP10: !http11,
		Close:  framing.close || !lengthKnown || status == 101,
		Size:   size,
	}, ""
}

// keptFields returns the fields of h as HAProxy keeps them: values trimmed,
// one Content-Length (the first element of a list of identical ones), none
// when Transfer-Encoding is there; or HAProxy's message about a bad
// Content-Length.
func keptFields(raw []byte, h *errHead) ([]keptField, errFraming, string) {
	fr := errFraming{cl: -1}
	hasTE := false
	for i := range h.fields {
		if equalFoldASCII(h.fields[i].name, "transfer-encoding") {
			hasTE = true
			for _, tok := range bytes.Split(h.fields[i].value(raw), []byte(",")) {
				fr.chunked = fr.chunked || equalFoldASCII(trimOWS(tok), "chunked")
			}
		}
	}
	var fields []keptField
	for i := range h.fields {
		fl := &h.fields[i]
		v := fl.value(raw)
		switch {
		case equalFoldASCII(fl.name, "content-length"):
			if hasTE {
				continue
			}
			n, first, ok := contentLength(v)
			if !ok || (fr.cl >= 0 && n != fr.cl) {
				return nil, fr, "unable to parse headers (error offset: " + itoa(fl.vOff) + ")"
			}
			if fr.cl >= 0 {
				continue
			}
			fr.cl, v = n, first
		case equalFoldASCII(fl.name, "connection"):
			for _, tok := range bytes.Split(v, []byte(",")) {
				fr.close = fr.close || equalFoldASCII(trimOWS(tok), "close")
			}
		}
		fields = append(fields, keptField{fl.name, v})
	}
	return fields, fr, ""
}

// emitHead renders the head HAProxy's H1 multiplexer writes for the
// message: the version as written or HTTP/1.1, names in lower case, and
// the Connection field without close and keep-alive (gone when nothing
// else is left).
func emitHead(h *errHead, http11 bool, fields []keptField) []byte {
	var out []byte
	if http11 {
		out = append(out, "HTTP/1.1"...)
	} else {
		out = append(out, h.version...)
	}
	out = append(out, ' ')
	out = append(out, h.code...)
	out = append(out, ' ')
	out = append(out, h.reason...)
	out = append(out, "\r\n"...)
	for _, fl := range fields {
		v := fl.value
		if equalFoldASCII(fl.name, "connection") {
			if v = connectionOthers(v); len(v) == 0 {
				continue
			}
		}
		for _, c := range fl.name {
			out = append(out, lowerByte(c))
		}
		out = append(out, ": "...)
		out = append(out, v...)
		out = append(out, "\r\n"...)
	}
	return out
}

// value returns the field's value as HAProxy keeps it: the line ends of
// folded lines turned into spaces, and no whitespace at either end.
func (f *errField) value(raw []byte) []byte {
	v := raw[f.vOff:f.vEnd]
	if bytes.ContainsAny(v, "\r\n") {
		v = bytes.Clone(v)
		for i, c := range v {
			if c == '\r' || c == '\n' {
				v[i] = ' '
			}
		}
	}
	return trimOWS(v)
}

// lineEnd moves past the rest of a line and returns where its content
// ends. at is errNeedMoreAt when the file ends first, or the offset of the
// byte after a CR that no LF follows, else -1.
func (s *headScanner) lineEnd() (end, at int) {
	raw := s.raw
	for s.i < len(raw) && raw[s.i] != '\r' && raw[s.i] != '\n' {
		s.i++
	}
	end = s.i
	switch {
	case s.i == len(raw):
		return end, errNeedMoreAt
	case raw[s.i] == '\n':
		s.i++
	case s.i+1 == len(raw):
		return end, errNeedMoreAt
	case raw[s.i+1] != '\n':
		return end, s.i + 1
	default:
		s.i += 2
	}
	return end, -1
}

// scan scans the head into h. It returns -1, or the offset HAProxy's
// message names: that of a refused byte, or errNeedMoreAt when the file
// ends inside the head. maxHdr bounds the field lines to maxHdr-1.
func (s *headScanner) scan(h *errHead, maxHdr int) int {
	raw := s.raw
	n := len(raw)
	for s.i < n && (raw[s.i] == '\r' || raw[s.i] == '\n') {
		if _, at := s.lineEnd(); at >= 0 || at == errNeedMoreAt {
			return at
		}
	}
	start := s.i
	for s.i < n && errClass[raw[s.i]]&ecVersion != 0 {
		s.i++
	}
	switch {
	case s.i == n:
		return errNeedMoreAt
	case s.i == start || raw[s.i] != ' ':
		return s.i
	}
	h.version = raw[start:s.i]
	for s.i < n && raw[s.i] == ' ' {
		s.i++
	}
	start = s.i
	for s.i < n && errClass[raw[s.i]]&ecDigit != 0 {
		s.i++
	}
	switch {
	case s.i == n:
		return errNeedMoreAt
	case s.i == start || (raw[s.i] != ' ' && raw[s.i] != '\r' && raw[s.i] != '\n'):
		return s.i
	}
	h.code = raw[start:s.i]
	if raw[s.i] == ' ' {
		s.i++
	}
	start = s.i
	end, at := s.lineEnd()
	if at != -1 {
		return at
	}
	h.reason = raw[start:end]
	for {
		if s.i == n {
			return errNeedMoreAt
		}
		switch raw[s.i] {
		case '\r', '\n':
			if _, at := s.lineEnd(); at != -1 {
				return at
			}
			h.body = raw[s.i:]
			return -1
		case ' ', '\t':
			// A folded line continues the value before it.
			if len(h.fields) == 0 {
				return s.i
			}
			end, at := s.lineEnd()
			if at != -1 {
				return at
			}
			h.fields[len(h.fields)-1].vEnd = end
			continue
		}
		start = s.i
		for s.i < n && errClass[raw[s.i]]&ecToken != 0 {
			s.i++
		}
		switch {
		case s.i == n:
			return errNeedMoreAt
		case s.i == start || raw[s.i] != ':':
			return s.i
		case len(h.fields) >= maxHdr-1:
			return start
		}
		f := errField{name: raw[start:s.i]}
		s.i++
		for s.i < n && (raw[s.i] == ' ' || raw[s.i] == '\t') {
			s.i++
		}
		f.vOff = s.i
		end, at := s.lineEnd()
		if at != -1 {
			return at
		}
		f.vEnd = end
		h.fields = append(h.fields, f)
	}
}

// contentLength reads a Content-Length value: one length, or a list of
// identical ones. It returns the length and the first element as written.
func contentLength(v []byte) (n int64, first []byte, ok bool) {
	n = -1
	for i, el := range bytes.Split(v, []byte(",")) {
		el = trimOWS(el)
		if len(el) == 0 || len(el) > 18 {
			return 0, nil, false
		}
		var m int64
		for _, c := range el {
			if errClass[c]&ecDigit == 0 {
				return 0, nil, false
			}
			m = m*10 + int64(c-'0')
		}
		if i == 0 {
			n, first = m, el
		} else if m != n {
			return 0, nil, false
		}
	}
	return n, first, true
}

// connectionOthers returns the options of a Connection value other than
// close and keep-alive, which the proxy decides itself, joined by ", ".
func connectionOthers(v []byte) []byte {
	var out []byte
	for _, tok := range bytes.Split(v, []byte(",")) {
		tok = trimOWS(tok)
		if len(tok) == 0 || equalFoldASCII(tok, "close") || equalFoldASCII(tok, "keep-alive") {
			continue
		}
		if len(out) > 0 {
			out = append(out, ", "...)
		}
		out = append(out, tok...)
	}
	return out
}

// trimOWS returns b without spaces and tabs at either end.
func trimOWS(b []byte) []byte {
	return bytes.Trim(b, " \t")
}

// equalFoldASCII reports whether b equals the lower-case s, ignoring ASCII
// case.
func equalFoldASCII(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lowerByte(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// lowerByte returns the ASCII lower case of c.
func lowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
