package accesslog

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"

	"tether/engine/config"
)

// AppendLogFormat appends to dst the line the `log-format` f logs for r,
// as HAProxy 2.6 renders its variables: "-" for a value it does not
// have, strings between double quotes under +Q, addresses, ports and
// counters in upper-case hexadecimal under +X, '"', '\' and ']' escaped
// under +E. The line is cut at max bytes. It does not allocate when dst has
// room for the line.
func AppendLogFormat(dst []byte, f config.LogFormat, r *Record, max int) []byte {
	limit := len(dst) + max
	for i := range f {
		p := &f[i]
		if p.Var == config.LogText {
			dst = append(dst, p.Text...)
		} else {
			dst = appendLogVar(dst, p, r)
		}
		if len(dst) >= limit {
			return dst[:limit]
		}
	}
	return dst
}

// appendLogVar appends one variable of a log-format line.
func appendLogVar(dst []byte, p *config.LogPart, r *Record) []byte {
	str := func(s []byte) []byte { return appendLogString(dst, p, s) }
	switch p.Var {
	case config.LogSampleExpr:
		switch p.Sample.Kind {
		case config.FmtSrc:
			return appendLogIP(dst, p, r.Client.Addr())
		case config.FmtSrcPort:
			return appendLogPort(dst, p, r.Client)
		case config.FmtDst:
			return appendLogIP(dst, p, r.FrontendAddr.Addr())
		case config.FmtDstPort:
			return appendLogPort(dst, p, r.FrontendAddr)
		case config.FmtMethod:
			return str(r.Method)
		}
		return appendLogSample(dst, p, r.sample(&p.Sample))
	case config.LogBytesOut:
		return appendInt(appendEarly(dst, r.Early), r.BytesOut)
	case config.LogBytesIn:
		return appendInt(dst, r.BytesIn)
	case config.LogReqCookie:
		return str(r.CapturedRequestCookie)
	case config.LogResCookie:
		return str(r.CapturedResponseCookie)
	case config.LogHostname:
		return appendLogText(dst, p, r.Hostname)
	case config.LogMethod:
		return str(r.Method)
	case config.LogURI:
		return str(r.URI)
	case config.LogPath, config.LogPathOnly, config.LogQuery:
		return str(uriPart(r.URI, p.Var))
	case config.LogVersion:
		return str(r.Version)
	case config.LogUniqueID:
		return str(r.sample(&uniqueIDPart))
	case config.LogSSLCiphers, config.LogSSLVersion:
		return str(nil)
	case config.LogStatus:
		return appendInt(dst, r.Status)
	case config.LogBackend:
		return appendLogText(dst, p, r.Backend)
	case config.LogServer:
		if r.Server == "" {
			return appendLogText(dst, p, "<NOSRV>")
		}
		return appendLogText(dst, p, r.Server)
	case config.LogFrontend, config.LogFrontendXprt:
		return appendLogText(dst, p, r.Frontend)
	case config.LogClientIP:
		return appendLogIP(dst, p, r.Client.Addr())
	case config.LogClientPort:
		return appendLogPort(dst, p, r.Client)
	case config.LogFrontendIP:
		return appendLogIP(dst, p, r.FrontendAddr.Addr())
	case config.LogFrontendPort:
		return appendLogPort(dst, p, r.FrontendAddr)
	case config.LogServerIP:
		return appendLogIP(dst, p, r.ServerAddr.Addr())
	case config.LogServerPort:
		return appendLogPort(dst, p, r.ServerAddr)
	case config.LogBackendIP:
		return appendLogIP(dst, p, r.SourceAddr.Addr())
	case config.LogBackendPort:
		return appendLogPort(dst, p, r.SourceAddr)
	case config.LogActConn:
		return appendInt(dst, r.ActConn)
	case config.LogFeConn:
		return appendInt(dst, r.FeConn)
	case config.LogBeConn:
		return appendInt(dst, r.BeConn)
	case config.LogSrvConn:
		return appendInt(dst, r.SrvConn)
	case config.LogRetries:
		if r.Redisp {
			dst = append(dst, '+')
		}
		return appendInt(dst, r.Retries)
	case config.LogSrvQueue:
		return appendInt(dst, r.SrvQueue)
	case config.LogBeQueue:
		return appendInt(dst, r.BeQueue)
	case config.LogLogCounter:
		return appendLogNumber(dst, p, r.LogCounter)
	case config.LogReqCounter:
		return appendLogNumber(dst, p, r.ReqCounter)
	case config.LogPID:
		return appendLogNumber(dst, p, int64(r.PID))
	case config.LogReqHeaders, config.LogResHeaders:
		hs := r.RequestHeaders
		if p.Var == config.LogResHeaders {
			hs = r.ResponseHeaders
		}
		if hs == nil {
			return dst
		}
		dst = append(dst, '{')
		for i, h := range hs {
			if i > 0 {
				dst = append(dst, '|')
			}
			dst = appendHeader(dst, h)
		}
		return append(dst, '}')
	case config.LogReqHeadersList, config.LogResHeadersList:
		hs := r.RequestHeaders
		if p.Var == config.LogResHeadersList {
			hs = r.ResponseHeaders
		}
		for i, h := range hs {
			if i > 0 {
				dst = append(dst, ' ')
			}
			if len(h) == 0 {
				h = nil // an empty capture prints "-" in this style
			}
			dst = appendLogString(dst, p, h)
		}
		return dst
	case config.LogRequest:
		if p.Quote {
			dst = append(dst, '"')
		}
		if r.Method == nil {
			dst, _ = appendEscaped(dst, len(dst)+len(badRequest), badRequest)
		} else {
			for _, s := range [...][]byte{r.Method, space, r.URI, space, r.Version} {
				dst, _ = appendEscaped(dst, len(dst)+4*len(s)+4, s)
			}
		}
		if p.Quote {
			dst = append(dst, '"')
		}
		return dst
	case config.LogTermState:
		return append(dst, r.Term.Letter(), r.Finish.Letter())
	case config.LogTermCookies:
		return append(dst, r.Term.Letter(), r.Finish.Letter(), cookieLetter(r.Cookie[0]), cookieLetter(r.Cookie[1]))
	case config.LogDate, config.LogReqDate:
		return appendDate(dst, r.Accept)
	case config.LogGMTDate, config.LogReqGMTDate:
		return append(appendSeconds(dst, r.Accept.UTC()), " +0000"...)
	case config.LogLocalDate, config.LogReqLocalDate:
		t := r.Accept.Local()
		dst = append(appendSeconds(dst, t), ' ')
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		return append2(append2(append(dst, sign), off/3600), off/60%60)
	case config.LogTimestamp:
		return appendLogNumber(dst, p, r.Accept.Unix())
	case config.LogMillis:
		ms := r.Accept.Nanosecond() / int(time.Millisecond)
		return append(dst, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	}
	return appendTimer(dst, p.Var, r)
}

// appendTimer appends one of the timers: those the httplog line has, and
// those derived from them and the handshake and idle times (HAProxy's
// Th, Ti, Tq = Th+Ti+TR, Tt = Th+Ti+Ta, Tu = Th+Ta, Td = Tt-(Tq+Tw+Tc+Tr),
// -1 when a part is).
func appendTimer(dst []byte, v config.LogVar, r *Record) []byte {
	tq := -1
	if r.TR >= 0 {
		tq = r.Th + r.Ti + r.TR
	}
	tt := r.Th + r.Ti + r.Ta
	switch v {
	case config.LogTR:
		return appendInt(dst, r.TR)
	case config.LogTw:
		return appendInt(dst, r.Tw)
	case config.LogTc:
		return appendInt(dst, r.Tc)
	case config.LogTr:
		return appendInt(dst, r.Tr)
	case config.LogTa:
		return appendInt(appendEarly(dst, r.Early), r.Ta)
	case config.LogTh:
		return appendInt(dst, r.Th)
	case config.LogTi:
		return appendInt(dst, r.Ti)
	case config.LogTq:
		return appendInt(dst, tq)
	case config.LogTt:
		return appendInt(appendEarly(dst, r.Early), tt)
	case config.LogTu:
		return appendInt(appendEarly(dst, r.Early), r.Th+r.Ta)
	case config.LogTd:
		if tq < 0 || r.Tw < 0 || r.Tc < 0 || r.Tr < 0 {
			return appendInt(dst, -1)
		}
		return appendInt(dst, tt-(tq+r.Tw+r.Tc+r.Tr))
	}
	return dst
}

// uriPart returns the part of a request target a variable logs: the target
// without its query (%HP), the path alone without the scheme and authority
// of an absolute form (%HPO), or the query with its '?' (%HQ).
func uriPart(uri []byte, v config.LogVar) []byte {
	q := bytes.IndexByte(uri, '?')
	if v == config.LogQuery {
		if q < 0 {
			return uri[len(uri):]
		}
		return uri[q:]
	}
	if q >= 0 {
		uri = uri[:q]
	}
	if v == config.LogPathOnly {
		if i := bytes.Index(uri, []byte("://")); i >= 0 && len(uri) > 0 && uri[0] != '/' {
			rest := uri[i+3:]
			if j := bytes.IndexByte(rest, '/'); j >= 0 {
				return rest[j:]
			}
			return rest[len(rest):]
		}
	}
	return uri
}

// appendLogString appends a string variable: "-" when it is missing (nil),
// else as appendLogText.
func appendLogString(dst []byte, p *config.LogPart, s []byte) []byte {
	if s == nil {
		return append(dst, '-')
	}
	return appendLogText(dst, p, s)
}

// appendLogText appends a string variable, quoted under +Q, escaped
// under +E.
func appendLogText[T string | []byte](dst []byte, p *config.LogPart, s T) []byte {
	if p.Quote {
		dst = append(dst, '"')
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if p.Escape && (c == '"' || c == '\\' || c == ']') {
			dst = append(dst, '\\')
		}
		dst = append(dst, c)
	}
	if p.Quote {
		dst = append(dst, '"')
	}
	return dst
}

// appendLogIP appends an address: "-" without one, eight (IPv4) or 32
// hexadecimal digits under +X, quoted under +Q.
func appendLogIP(dst []byte, p *config.LogPart, a netip.Addr) []byte {
	if !a.IsValid() {
		return append(dst, '-')
	}
	if p.Quote {
		dst = append(dst, '"')
	}
	if p.Hex {
		for _, b := range a.AsSlice() {
			dst = append(dst, hexDigits[b>>4], hexDigits[b&15])
		}
	} else {
		dst = a.AppendTo(dst)
	}
	if p.Quote {
		dst = append(dst, '"')
	}
	return dst
}

// appendLogPort appends a port: "-" without an address, four hexadecimal
// digits under +X.
func appendLogPort(dst []byte, p *config.LogPart, ap netip.AddrPort) []byte {
	if !ap.Addr().IsValid() {
		return append(dst, '-')
	}
	if p.Hex {
		port := ap.Port()
		return append(dst, hexDigits[port>>12], hexDigits[port>>8&15], hexDigits[port>>4&15], hexDigits[port&15])
	}
	return strconv.AppendUint(dst, uint64(ap.Port()), 10)
}

// appendLogNumber appends a counter in decimal, or in upper-case
// hexadecimal of at least four digits under +X, as HAProxy's "%04X".
func appendLogNumber(dst []byte, p *config.LogPart, n int64) []byte {
	if !p.Hex {
		return appendInt(dst, n)
	}
	if n < 0 {
		dst, n = append(dst, '-'), -n
	}
	var digits [16]byte
	i := len(digits)
	for {
		i--
		digits[i] = hexDigits[n&15]
		if n >>= 4; n == 0 && i <= len(digits)-4 {
			break
		}
	}
	return append(dst, digits[i:]...)
}

// uniqueIDPart is the sample %ID prints.
var uniqueIDPart = config.FormatPart{Kind: config.FmtUniqueID}

// sample evaluates p through r.Samples; nil when it has nothing to give.
func (r *Record) sample(p *config.FormatPart) []byte {
	if r.Samples == nil {
		return nil
	}
	v, ok := r.Samples.Sample(p)
	if !ok {
		return nil
	}
	return v
}

// appendLogSample appends what a %[sample] gave: as a string, but a
// sample with nothing to give, or an empty one, prints "" under +Q, as
// HAProxy prints them.
func appendLogSample(dst []byte, p *config.LogPart, v []byte) []byte {
	switch {
	case len(v) > 0:
		return appendLogText(dst, p, v)
	case p.Quote:
		return append(dst, '"', '"')
	}
	return append(dst, '-')
}
