package h1

// Framing (RFC 9112 section 6): what Content-Length, Transfer-Encoding and
// the connection fields say, and how the body after a head is delimited.

import "math"

// apply gives field idx, just scanned with identity id and value v, its
// meaning for framing and for the connection. req is nil for a response.
func (h *Header) apply(id FieldID, v []byte, req *Request, idx int) error {
	switch id {
	case FieldHost:
		if req == nil {
			return nil
		}
		if req.Host >= 0 {
			return ErrDuplicateHost
		}
		if len(v) > 0 && !validAuthority(v) {
			return ErrHost
		}
		req.Host = idx
	case FieldContentLength:
		n, list, ok := parseContentLength(v)
		if !ok {
			return ErrContentLength
		}
		if h.ContentLength >= 0 {
			if n != h.ContentLength {
				return ErrContentLength
			}
			list = true
		}
		if list {
			h.Flags |= FlagCLList
		}
		h.ContentLength = n
	case FieldTransferEncoding:
		return h.applyTE(v)
	case FieldConnection:
		for i := 0; i < len(v); {
			var e []byte
			e, i = nextElem(v, i)
			switch {
			case EqualFold(e, "close"):
				h.Flags |= FlagConnClose
			case EqualFold(e, "keep-alive"):
				h.Flags |= FlagConnKeepAlive
			case EqualFold(e, "upgrade"):
				h.Flags |= FlagConnUpgrade
			case len(e) > 0:
				h.Flags |= FlagConnOther
			}
		}
	case FieldUpgrade:
		h.Flags |= FlagUpgrade
		for i := 0; i < len(v); {
			var e []byte
			e, i = nextElem(v, i)
			for j, c := range e {
				if c == '/' {
					e = e[:j]
					break
				}
			}
			switch {
			case EqualFold(e, "websocket"):
				h.Flags |= FlagWebSocket
			case EqualFold(e, "h2c"):
				h.Flags |= FlagH2C
			}
		}
	case FieldExpect:
		if EqualFold(v, "100-continue") {
			h.Flags |= FlagExpectContinue
		}
	}
	return nil
}

// parseContentLength parses a Content-Length value: digits, or a comma
// separated list of identical digit strings' values. list reports a list.
func parseContentLength(v []byte) (n int64, list, ok bool) {
	n = -1
	for i := 0; ; {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		start := i
		var x int64
		for i < len(v) && v[i]-'0' <= 9 {
			d := int64(v[i] - '0')
			if x > (math.MaxInt64-d)/10 {
				return 0, false, false
			}
			x = x*10 + d
			i++
		}
		if i == start || (n >= 0 && x != n) {
			return 0, false, false
		}
		n = x
		for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
			i++
		}
		if i == len(v) {
			return n, list, true
		}
		if v[i] != ',' {
			return 0, false, false
		}
		list = true
		i++
	}
}

// applyTE adds the codings of one Transfer-Encoding field line.
func (h *Header) applyTE(v []byte) error {
	h.te |= teSeen
	for i := 0; i < len(v); {
		if c := v[i]; c == ',' || c == ' ' || c == '\t' {
			i++
			continue
		}
		j := i
		for j < len(v) && isTchar[v[j]] {
			j++
		}
		if j == i {
			return ErrTransferEncoding
		}
		coding := v[i:j]
		j = skipOWS(v, j)
		param := false
		for j < len(v) && v[j] == ';' {
			param = true
			if j = skipParam(v, j+1); j < 0 {
				return ErrTransferEncoding
			}
		}
		if j < len(v) && v[j] != ',' {
			return ErrTransferEncoding
		}
		h.addCoding(coding, param)
		i = j
	}
	return nil
}

// addCoding records one transfer coding, in the order they were applied.
func (h *Header) addCoding(c []byte, param bool) {
	if EqualFold(c, "chunked") {
		if h.te&teChunked != 0 {
			h.te |= teTwice
		}
		h.te |= teChunked | teLast
		if param {
			h.te |= teParameter
		}
		return
	}
	h.te &^= teLast
	if !EqualFold(c, "gzip") && !EqualFold(c, "x-gzip") && !EqualFold(c, "deflate") &&
		!EqualFold(c, "compress") && !EqualFold(c, "x-compress") {
		h.te |= teUnknown
	}
}

// skipParam skips one transfer-parameter after its ";": OWS token BWS "="
// BWS (token / quoted-string) OWS. It returns the offset after it, or -1.
func skipParam(v []byte, i int) int {
	i = skipOWS(v, i)
	j := skipTokens(v, i)
	if j == i {
		return -1
	}
	i = skipOWS(v, j)
	if i == len(v) || v[i] != '=' {
		return -1
	}
	i = skipOWS(v, i+1)
	if i < len(v) && v[i] == '"' {
		for i++; i < len(v) && v[i] != '"'; i++ {
			if v[i] == '\\' {
				i++
			}
		}
		if i >= len(v) {
			return -1
		}
		return skipOWS(v, i+1)
	}
	j = skipTokens(v, i)
	if j == i {
		return -1
	}
	return skipOWS(v, j)
}

func skipTokens(v []byte, i int) int {
	for i < len(v) && isTchar[v[i]] {
		i++
	}
	return i
}

func skipOWS(v []byte, i int) int {
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	return i
}

// nextElem returns the list element of v starting at or after i, without
// surrounding whitespace, and the offset after the comma that ends it.
// Empty elements come back empty, as the list syntax allows them.
func nextElem(v []byte, i int) (elem []byte, next int) {
	i = skipOWS(v, i)
	j := i
	for j < len(v) && v[j] != ',' {
		j++
	}
	e := j
	for e > i && (v[e-1] == ' ' || v[e-1] == '\t') {
		e--
	}
	return v[i:e], j + 1
}

// finishRequest checks what needs the whole request head and decides the
// framing.
func (s *Scanner) finishRequest(buf []byte, r *Request) error {
	if r.Host < 0 {
		if r.Minor == 1 {
			return ErrMissingHost
		}
	} else if r.Form == FormAbsolute || r.Form == FormAuthority {
		if !sameAuthority(r.Authority.Bytes(buf), r.Value(buf, r.Host), r.defaultPort) {
			return ErrHostMismatch
		}
		s.work += r.Authority.Len() + r.Fields[r.Host].Value.Len()
	}
	switch {
	case r.te&teSeen != 0:
		switch {
		case r.Minor == 0:
			return ErrTEInHTTP10
		case r.te&teUnknown != 0:
			return ErrUnknownCoding
		case r.te&(teLast|teTwice|teParameter) != teLast:
			return ErrTransferEncoding
		}
		r.Framing = BodyChunked
		if r.ContentLength >= 0 {
			r.ContentLength = -1
			r.Flags |= FlagRemoveCL | FlagMustClose
		}
	case r.ContentLength >= 0:
		r.Framing = BodyLength
	}
	return nil
}

// finishResponse decides the framing of a response (RFC 9112 section 6.3).
func (s *Scanner) finishResponse(r *Response) error {
	if r.te&teSeen != 0 {
		if r.Minor == 0 {
			return ErrTEInHTTP10
		}
		if r.te&(teTwice|teParameter) != 0 {
			return ErrTransferEncoding
		}
		if r.ContentLength >= 0 {
			r.ContentLength = -1
			r.Flags |= FlagRemoveCL | FlagMustClose
		}
	}
	switch {
	case r.Status == 101:
		r.Framing = BodyTunnel
	case r.Status < 200 || r.Status == 204 || r.Status == 304 || s.method == MethodHEAD:
		r.Framing = BodyNone
	case s.method == MethodCONNECT && r.Status < 300:
		r.Framing = BodyTunnel
	case r.te&teLast != 0:
		r.Framing = BodyChunked
	case r.te&teSeen != 0:
		r.Framing = BodyUntilClose
	case r.ContentLength >= 0:
		r.Framing = BodyLength
	default:
		r.Framing = BodyUntilClose
	}
	return nil
}
