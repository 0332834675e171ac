package h1

import "encoding/binary"

// Scanner scans request and response heads from a byte window, resumably.
//
// The contract for partial input: Request and Response return the number of
// bytes the head takes when it is complete, or ErrNeedMore when the window
// ends first. In the second case the Scanner remembers the state it reached
// and the offset of the next unexamined byte; call again with a window that
// starts at the same first byte and holds the earlier bytes unchanged plus
// more. Bytes already checked are never checked again, so a peer sending
// one byte at a time costs work linear in the size of the head.
//
// Any other error refuses the message; the Scanner is then ready for a new
// message, as it is after a complete head. A Scanner belongs to one
// direction of one connection and is not safe for concurrent use.
type Scanner struct {
	lim       Limits
	maxHead   int
	maxFields int

	state   state
	kind    kind   // message kind in progress
	method  Method // request method a response answers
	pos     int    // offset of the next unexamined byte
	line    int    // offset of the start of the line in progress
	mark    int    // offset of the start of the token in progress
	nameEnd int    // end of the field name in progress
	valEnd  int    // end of the field value in progress, once its CR is seen
	errOff  int    // offset where the last refusal was detected
	work    int    // bytes examined, in total; tests check it grows linearly
}

// state is where the scan of a head stands.
type state uint8

const (
	stIdle        state = iota // no message in progress
	stLead                     // before a request line, where empty lines may come
	stLeadLF                   // after the CR of an empty line before a request line
	stMethod                   // in the method
	stTarget                   // in the request target
	stReqVersion               // in the version of a request line
	stRespVersion              // in the version of a status line
	stCode                     // in the status code
	stReason                   // in the reason phrase
	stStartLF                  // after the CR ending the start line
	stLineStart                // at the start of a field line or of the final CRLF
	stName                     // in a field name
	stOWS                      // in the whitespace after a colon
	stValue                    // in a field value
	stValueLF                  // after the CR ending a field line
	stEndLF                    // after the CR of the final CRLF
)

// kind is the kind of message being scanned.
type kind uint8

const (
	kindRequest kind = iota + 1
	kindResponse
)

// NewScanner returns a Scanner enforcing l. It panics if l is not sane.
func NewScanner(l Limits) *Scanner {
	l.check()
	return &Scanner{lim: l, maxHead: l.maxHead(), maxFields: l.MaxHeaders - 1}
}

// Limits returns the limits the Scanner enforces.
func (s *Scanner) Limits() Limits { return s.lim }

// Reset abandons a partly scanned head.
func (s *Scanner) Reset() { s.state = stIdle }

// ErrorOffset returns the offset in the window where the last refusal was
// detected, for logs.
func (s *Scanner) ErrorOffset() int { return s.errOff }

// Request scans a request head from the start of buf into r. It returns the
// length of the head once the empty line that ends it has been seen,
// ErrNeedMore, or a refusal (an *Error). On success the spans in r index buf.
func (s *Scanner) Request(buf []byte, r *Request) (int, error) {
	if s.state == stIdle {
		r.reset(s.maxFields)
		r.Method, r.Target, r.Version, r.Authority = Span{}, Span{}, Span{}, Span{}
		r.MethodID, r.Form, r.Host, r.defaultPort = MethodOther, FormOrigin, -1, ""
		s.begin(kindRequest, stLead)
	} else if s.kind != kindRequest {
		panic("BUG: h1: Scanner.Request called while a response head is in progress")
	}
	return s.run(buf, &r.Header, r, nil)
}

// Response scans a response head from the start of buf into r. method is
// the method of the request it answers; it decides the framing of HEAD and
// CONNECT responses. Results are as for Request, except that a refused
// response calls for a 502 to the client whatever the error's Status.
func (s *Scanner) Response(buf []byte, r *Response, method Method) (int, error) {
	if s.state == stIdle {
		r.reset(s.maxFields)
		r.Version, r.Code, r.Reason, r.Status = Span{}, Span{}, Span{}, 0
		s.begin(kindResponse, stRespVersion)
		s.method = method
	} else if s.kind != kindResponse {
		panic("BUG: h1: Scanner.Response called while a request head is in progress")
	}
	return s.run(buf, &r.Header, nil, r)
}

func (s *Scanner) begin(k kind, st state) {
	s.kind, s.state = k, st
	s.pos, s.line, s.mark, s.nameEnd, s.valEnd = 0, 0, 0, 0, 0
}

// run applies the head size limit around scan and settles the state.
func (s *Scanner) run(buf []byte, h *Header, req *Request, resp *Response) (int, error) {
	if len(buf) < s.pos {
		panic("BUG: h1: window shorter than the bytes already scanned")
	}
	win := buf
	if len(win) > s.maxHead {
		win = win[:s.maxHead]
	}
	i, err := s.scan(win, h, req, resp)
	s.work += i - s.pos
	s.pos = i
	if err == nil {
		s.state = stIdle
		return int(h.Head.End), nil
	}
	if err == ErrNeedMore {
		if len(win) < s.maxHead {
			return 0, err
		}
		switch {
		case s.state == stTarget:
			err = ErrTargetTooLong
		case s.state < stStartLF && req != nil:
			err = ErrRequestLine
		case s.state < stStartLF:
			err = ErrStatusLine
		default:
			err = ErrHeadTooLarge
		}
	}
	s.errOff = s.pos
	s.state = stIdle
	return 0, err
}

// scan advances the state machine over buf from s.pos and returns the
// offset where it stopped. Each state runs a tight loop over its own byte
// class and leaves through the byte that ends it.
func (s *Scanner) scan(buf []byte, h *Header, req *Request, resp *Response) (int, error) {
	i := s.pos
	for {
		if i >= len(buf) {
			return i, ErrNeedMore
		}
		switch s.state {
		case stLead:
			switch buf[i] {
			case '\r':
				s.state = stLeadLF
				i++
			case '\n':
				return i, ErrBareLF
			default:
				s.line, s.mark = i, i
				h.Head.Off = uint32(i)
				s.state = stMethod
			}
		case stLeadLF:
			if buf[i] != '\n' {
				return i, ErrBareCR
			}
			i++
			s.state = stLead
		case stMethod:
			for i < len(buf) && isTchar[buf[i]] {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			switch {
			case buf[i] != ' ':
				if buf[i] == '\r' || buf[i] == '\n' {
					return i, ErrRequestLine
				}
				return i, ErrMethod
			case i == s.mark:
				return i, ErrRequestLine
			}
			req.Method = span(s.mark, i)
			req.MethodID = methodID(buf[s.mark:i])
			s.work += i - s.mark
			i++
			s.mark = i
			s.state = stTarget
		case stTarget:
			i = skipTarget(buf, i)
			if i == len(buf) {
				return i, ErrNeedMore
			}
			switch c := buf[i]; {
			case c == ' ' && i > s.mark:
				req.Target = span(s.mark, i)
				if err := s.classifyTarget(buf, req); err != nil {
					return i, err
				}
				i++
				s.mark = i
				s.state = stReqVersion
			case c == ' ':
				return i, ErrRequestLine
			case (c == '\r' || c == '\n') && i > s.mark:
				return i, ErrHTTP09
			default:
				return i, ErrTarget
			}
		case stReqVersion:
			for i < len(buf) && buf[i] > ' ' && buf[i] < 0x7f && i-s.mark < 8 {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			if buf[i] != '\r' {
				if buf[i] == '\n' {
					return i, ErrBareLF
				}
				if buf[i] == ' ' {
					return i, ErrRequestLine
				}
				return i, ErrVersion
			}
			req.Version = span(s.mark, i)
			minor, err := parseVersion(buf[s.mark:i])
			if err != nil {
				return i, err
			}
			s.work += i - s.mark
			h.Minor = minor
			i++
			s.state = stStartLF
		case stRespVersion:
			for i < len(buf) && buf[i] > ' ' && buf[i] < 0x7f && i < 8 {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			if buf[i] != ' ' {
				return i, ErrStatusLine
			}
			resp.Version = span(0, i)
			minor, err := parseVersion(buf[:i])
			if err != nil {
				return i, err
			}
			s.work += i
			h.Minor = minor
			i++
			s.mark = i
			s.state = stCode
		case stCode:
			for i < len(buf) && buf[i]-'0' <= 9 && i-s.mark < 3 {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			if i-s.mark != 3 || (buf[i] != ' ' && buf[i] != '\r') {
				return i, ErrStatus
			}
			resp.Code = span(s.mark, i)
			d := buf[s.mark : s.mark+3]
			resp.Status = int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
			if resp.Status < 100 || resp.Status > 599 {
				return i, ErrStatus
			}
			if buf[i] == '\r' {
				resp.Reason = span(i, i)
				s.state = stStartLF
			} else {
				s.state = stReason
			}
			i++
			s.mark = i
		case stReason:
			for i < len(buf) && isFieldValue[buf[i]] {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			if buf[i] != '\r' {
				if buf[i] == '\n' {
					return i, ErrBareLF
				}
				return i, ErrStatusLine
			}
			resp.Reason = span(s.mark, i)
			i++
			s.state = stStartLF
		case stStartLF, stValueLF:
			if buf[i] != '\n' {
				return i, ErrBareCR
			}
			if s.state == stValueLF {
				if err := s.addField(buf, h, req, s.line, s.nameEnd, s.mark, s.valEnd); err != nil {
					return i, err
				}
			}
			i++
			s.line = i
			s.state = stLineStart
		case stLineStart:
			// Field lines wholly inside buf go through fieldLine without
			// leaving this state.
			for i < len(buf) && isTchar[buf[i]] && s.state == stLineStart {
				if len(h.Fields) == s.maxFields {
					return i, ErrTooManyFields
				}
				var err error
				if i, err = s.fieldLine(buf, h, req, i); err != nil {
					return i, err
				}
			}
			if i == len(buf) || s.state != stLineStart {
				continue
			}
			switch buf[i] {
			case '\r':
				s.state = stEndLF
				i++
			case '\n':
				return i, ErrBareLF
			case ' ', '\t':
				return i, ErrObsFold
			default:
				return i, ErrFieldName
			}
		case stName:
			for i < len(buf) && isTchar[buf[i]] {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			switch buf[i] {
			case ':':
				s.nameEnd = i
				i++
				s.state = stOWS
			case ' ', '\t':
				return i, ErrSpaceBeforeColon
			default:
				return i, ErrFieldName
			}
		case stOWS:
			for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t') {
				i++
			}
			if i == len(buf) {
				return i, ErrNeedMore
			}
			s.mark = i // the value starts here; the name starts at s.line
			s.state = stValue
		case stValue:
			i = skipValue(buf, i)
			if i == len(buf) {
				return i, ErrNeedMore
			}
			switch buf[i] {
			case '\r':
				e := i
				for e > s.mark && (buf[e-1] == ' ' || buf[e-1] == '\t') {
					e--
				}
				s.work += i - e
				s.valEnd = e
				i++
				s.state = stValueLF
			case '\n':
				return i, ErrBareLF
			default:
				return i, ErrCTL
			}
		case stEndLF:
			if buf[i] != '\n' {
				return i, ErrBareCR
			}
			i++
			h.Head.End = uint32(i)
			if req != nil {
				return i, s.finishRequest(buf, req)
			}
			return i, s.finishResponse(resp)
		}
	}
}

// fieldLine runs through the field line starting at buf[i], a tchar, in
// one go. When the line ends inside buf, it records the field and returns
// the offset of the next line, staying in stLineStart. Otherwise it returns
// the offset of the byte where it stopped and sets the state that byte is
// in, so the states above finish the line or report the error, each byte
// still examined once.
func (s *Scanner) fieldLine(buf []byte, h *Header, req *Request, i int) (int, error) {
	j := i + 1
	for j+4 <= len(buf) && tchar[buf[j]]&tchar[buf[j+1]]&tchar[buf[j+2]]&tchar[buf[j+3]] != 0 {
		j += 4
	}
	for j < len(buf) && isTchar[buf[j]] {
		j++
	}
	if j == len(buf) || buf[j] != ':' {
		s.state = stName
		return j, nil
	}
	colon := j
	j++
	for j < len(buf) && (buf[j] == ' ' || buf[j] == '\t') {
		j++
	}
	if j == len(buf) {
		s.nameEnd, s.state = colon, stOWS
		return j, nil
	}
	val := j
	j = skipValue(buf, j)
	if j+1 >= len(buf) || buf[j] != '\r' || buf[j+1] != '\n' {
		s.nameEnd, s.mark, s.state = colon, val, stValue
		return j, nil
	}
	e := j
	for e > val && (buf[e-1] == ' ' || buf[e-1] == '\t') {
		e--
	}
	s.work += j - e
	if err := s.addField(buf, h, req, i, colon, val, e); err != nil {
		return j + 1, err
	}
	s.line = j + 2
	return j + 2, nil
}

// skipTarget returns the offset of the first byte at or after i that is not
// a VCHAR, or len(buf).
func skipTarget(buf []byte, i int) int {
	for i+8 <= len(buf) && !hasTargetStop(binary.LittleEndian.Uint64(buf[i:])) {
		i += 8
	}
	for i < len(buf) && isTarget[buf[i]] {
		i++
	}
	return i
}

// skipValue returns the offset of the first byte at or after i that cannot
// be part of a field value (CR, LF or another control byte), or len(buf).
func skipValue(buf []byte, i int) int {
	for {
		for i+8 <= len(buf) && valueStops(binary.LittleEndian.Uint64(buf[i:])) == 0 {
			i += 8
		}
		for i < len(buf) && valueStop[buf[i]] == 0 {
			i++
		}
		if i < len(buf) && buf[i] == '\t' {
			i++
			continue
		}
		return i
	}
}

// addField records the field line whose name spans buf[name:colon] and
// whose value spans buf[val:end], and applies its meaning.
func (s *Scanner) addField(buf []byte, h *Header, req *Request, name, colon, val, end int) error {
	id := fieldID(buf[name:colon])
	s.work += colon - name
	h.Fields = append(h.Fields, Field{Name: span(name, colon), Value: span(val, end), ID: id})
	if id == FieldOther {
		return nil
	}
	s.work += end - val
	return h.apply(id, buf[val:end], req, len(h.Fields)-1)
}

// span converts offsets, which the head size limit keeps below 2^31.
func span(off, end int) Span { return Span{Off: uint32(off), End: uint32(end)} }

// parseVersion checks an HTTP-version and returns its minor digit.
func parseVersion(v []byte) (uint8, error) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[5]-'0' > 9 || v[6] != '.' || v[7]-'0' > 9 {
		return 0, ErrVersion
	}
	if v[5] != '1' {
		return 0, ErrVersionNotSup
	}
	return min(v[7]-'0', 1), nil // a later HTTP/1 minor is read as 1.1 (RFC 9110 section 2.5)
}

// methodID identifies a method; methods are case-sensitive.
func methodID(m []byte) Method {
	switch string(m) {
	case "GET":
		return MethodGET
	case "HEAD":
		return MethodHEAD
	case "POST":
		return MethodPOST
	case "PUT":
		return MethodPUT
	case "DELETE":
		return MethodDELETE
	case "CONNECT":
		return MethodCONNECT
	case "OPTIONS":
		return MethodOPTIONS
	case "TRACE":
		return MethodTRACE
	case "PATCH":
		return MethodPATCH
	}
	return MethodOther
}

// fieldID identifies a field name, ignoring ASCII case.
func fieldID(n []byte) FieldID {
	switch len(n) {
	case 2:
		if nameIs(n, "te") {
			return FieldTE
		}
	case 4:
		if nameIs(n, "host") {
			return FieldHost
		}
	case 6:
		switch n[0] | 0x20 {
		case 'c':
			if nameIs(n, "cookie") {
				return FieldCookie
			}
		case 'e':
			if nameIs(n, "expect") {
				return FieldExpect
			}
		}
	case 7:
		switch n[0] | 0x20 {
		case 't':
			if nameIs(n, "trailer") {
				return FieldTrailer
			}
		case 'u':
			if nameIs(n, "upgrade") {
				return FieldUpgrade
			}
		}
	case 10:
		switch n[0] | 0x20 {
		case 'c':
			if nameIs(n, "connection") {
				return FieldConnection
			}
		case 'k':
			if nameIs(n, "keep-alive") {
				return FieldKeepAlive
			}
		case 's':
			if nameIs(n, "set-cookie") {
				return FieldSetCookie
			}
		}
	case 13:
		if nameIs(n, "cache-control") {
			return FieldCacheControl
		}
	case 14:
		if nameIs(n, "content-length") {
			return FieldContentLength
		}
	case 16:
		if nameIs(n, "proxy-connection") {
			return FieldProxyConnection
		}
	case 17:
		if nameIs(n, "transfer-encoding") {
			return FieldTransferEncoding
		}
	}
	return FieldOther
}

// nameIs reports whether the field name n equals s, ignoring ASCII case. s
// is lower case and made of letters and "-" only, and n of tchars only: so
// setting the 0x20 bit of each byte of n, eight at a time, folds its case
// and maps no other tchar onto a byte of s.
func nameIs(n []byte, s string) bool {
	if len(n) != len(s) {
		return false
	}
	for len(n) >= 8 {
		w := uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
			uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
		if binary.LittleEndian.Uint64(n)|0x20*ones != w {
			return false
		}
		n, s = n[8:], s[8:]
	}
	for i := range n {
		if n[i]|0x20 != s[i] {
			return false
		}
	}
	return true
}
