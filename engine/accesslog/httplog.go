package accesslog

import (
	"net/netip"
	"strconv"
	"time"

	"tether/engine/config"
)

// MaxLine is the longest line HAProxy 2.6 builds by default: its log line
// buffer holds 1024 bytes (the default `log ... len`), one of which ends
// the string. A longer line is cut; a cut request line loses its closing
// quote unless it was cut before an escape sequence. A `log ... len`
// above 1024 anywhere in the configuration makes the buffer that long
// (see LineLen).
const MaxLine = config.DefaultLogLen - 1

// escapeTable marks the bytes %r prints as '#' and two upper-case hex
// digits: the control characters, DEL and above, '"' and '#'. Spaces
// and '{', '|', '}' are printed as they are.
var escapeTable = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c >= 0x7f || c == '"' || c == '#'
	}
	return t
}()

// headerEscape marks the bytes a captured header prints as '#' and two
// hex digits: those of escapeTable, and '{', '|' and '}', which delimit
// the captures.
var headerEscape = func() (t [256]bool) {
	t = escapeTable
	t['{'], t['|'], t['}'] = true, true, true
	return t
}()

const hexDigits = "0123456789ABCDEF"

// monthNames are the English month abbreviations of dates in logs.
const monthNames = "JanFebMarAprMayJunJulAugSepOctNovDec"

// AppendHTTPLog appends to dst the line `option httplog` logs for r, as
// HAProxy 2.6 renders its format
//
//	%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r
//
// without a trailing newline. Header captures print as {value|value};
// without them %hr and %hs print nothing and take no space. The appended line is at most
// MaxLine bytes, cut as HAProxy cuts it. It does not allocate when dst
// has room for the line.
func AppendHTTPLog(dst []byte, r *Record) []byte { return appendHTTPLog(dst, r, MaxLine) }

// appendHTTPLog is AppendHTTPLog for lines of at most max bytes.
func appendHTTPLog(dst []byte, r *Record, max int) []byte {
	start := len(dst)
	dst = appendAddrPort(dst, r.Client)
	dst = append(dst, ' ', '[')
	dst = appendDate(dst, r.Accept)
	dst = append(dst, ']', ' ')
	dst = append(dst, r.Frontend...)
	dst = append(dst, ' ')
	dst = append(dst, r.Backend...)
	dst = append(dst, '/')
	if r.Server == "" {
		dst = append(dst, "<NOSRV>"...)
	} else {
		dst = append(dst, r.Server...)
	}
	dst = append(dst, ' ')
	dst = appendInt(dst, r.TR)
	dst = append(dst, '/')
	dst = appendInt(dst, r.Tw)
	dst = append(dst, '/')
	dst = appendInt(dst, r.Tc)
	dst = append(dst, '/')
	dst = appendInt(dst, r.Tr)
	dst = append(dst, '/')
	dst = appendEarly(dst, r.Early)
	dst = appendInt(dst, r.Ta)
	dst = append(dst, ' ')
	dst = appendInt(dst, r.Status)
	dst = append(dst, ' ')
	dst = appendEarly(dst, r.Early)
	dst = appendInt(dst, r.BytesOut)
	dst = append(dst, ' ')
	dst = appendCapture(dst, r.CapturedRequestCookie)
	dst = append(dst, ' ')
	dst = appendCapture(dst, r.CapturedResponseCookie)
	dst = append(dst, ' ', r.Term.Letter(), r.Finish.Letter(), cookieLetter(r.Cookie[0]), cookieLetter(r.Cookie[1]), ' ')
	dst = appendInt(dst, r.ActConn)
	dst = append(dst, '/')
	dst = appendInt(dst, r.FeConn)
	dst = append(dst, '/')
	dst = appendInt(dst, r.BeConn)
	dst = append(dst, '/')
	dst = appendInt(dst, r.SrvConn)
	dst = append(dst, '/')
	if r.Redisp {
		dst = append(dst, '+')
	}
	dst = appendInt(dst, r.Retries)
	dst = append(dst, ' ')
	dst = appendInt(dst, r.SrvQueue)
	dst = append(dst, '/')
	dst = appendInt(dst, r.BeQueue)
	dst = append(dst, ' ')
	for _, hs := range [...][][]byte{r.RequestHeaders, r.ResponseHeaders} {
		if hs != nil {
			dst = append(dst, '{')
			for i, h := range hs {
				if i > 0 {
					dst = append(dst, '|')
				}
				dst = appendHeader(dst, h)
			}
			dst = append(dst, '}', ' ')
		}
	}
	limit := start + max
	if len(dst) >= limit {
		return dst[:limit]
	}
	return appendRequest(dst, limit, r)
}

// appendEarly appends the '+' of a value counted so far, in a line
// logged early (Record.Early).
func appendEarly(dst []byte, early bool) []byte {
	if early {
		return append(dst, '+')
	}
	return dst
}

// maxRequestLine is the most of a request line HAProxy 2.6 keeps for %r:
// it captures the line into a buffer of `tune.http.logurilen` bytes
// (1024), one of which ends the string. Only a `log ... len` above the
// default leaves room in a line for that much.
const maxRequestLine = 1023

// appendRequest appends %{+Q}r within the line ending at limit. As
// HAProxy does, a plain byte needs one free byte, an escape sequence
// needs four (its three and one more), and the closing quote is dropped
// when no byte is left for it. The request line is cut at
// maxRequestLine bytes before it is escaped.
func appendRequest(dst []byte, limit int, r *Record) []byte {
	dst = append(dst, '"')
	if r.Method == nil {
		dst, _ = appendEscaped(dst, limit, badRequest)
	} else {
		room := maxRequestLine
		for _, p := range [...][]byte{r.Method, space, r.URI, space, r.Version} {
			p = p[:min(len(p), room)]
			room -= len(p)
			var cut bool
			if dst, cut = appendEscaped(dst, limit, p); cut || room == 0 {
				break
			}
		}
	}
	if len(dst) < limit {
		dst = append(dst, '"')
	}
	return dst
}

// badRequest and space are the constant parts of %r.
var badRequest, space = []byte("<BADREQ>"), []byte(" ")

// appendEscaped appends s with the bytes of escapeTable escaped, as much
// of it as fits before limit, and reports whether it had to stop. An
// escape sequence that does not fit ends the text, as it does in
// HAProxy, even if plain bytes would still fit.
func appendEscaped(dst []byte, limit int, s []byte) ([]byte, bool) {
	for _, c := range s {
		if !escapeTable[c] {
			if len(dst) >= limit {
				return dst, true
			}
			dst = append(dst, c)
			continue
		}
		if len(dst)+3 >= limit {
			return dst, true
		}
		dst = append(dst, '#', hexDigits[c>>4], hexDigits[c&15])
	}
	return dst, false
}

// appendHeader appends a captured header value with the bytes of
// headerEscape escaped.
func appendHeader(dst, h []byte) []byte {
	for _, c := range h {
		if headerEscape[c] {
			dst = append(dst, '#', hexDigits[c>>4], hexDigits[c&15])
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// appendCapture appends a captured cookie as it is, or "-" for none.
func appendCapture(dst, c []byte) []byte {
	if c == nil {
		return append(dst, '-')
	}
	return append(dst, c...)
}

// cookieLetter maps an unset persistence letter to '-'.
func cookieLetter(c byte) byte {
	if c == 0 {
		return '-'
	}
	return c
}

// appendAddrPort appends ip:port, or "-:-" for the zero value, as
// HAProxy prints an address it does not have.
func appendAddrPort(dst []byte, ap netip.AddrPort) []byte {
	if !ap.Addr().IsValid() {
		return append(dst, '-', ':', '-')
	}
	dst = ap.Addr().AppendTo(dst)
	dst = append(dst, ':')
	return strconv.AppendUint(dst, uint64(ap.Port()), 10)
}

// AppendConnError appends the line HAProxy logs for a connection that
// failed before any request: "client [date] frontend/listener: msg".
func AppendConnError(dst []byte, client netip.AddrPort, accepted time.Time, frontend, listener, msg string) []byte {
	dst = appendAddrPort(dst, client)
	dst = append(dst, " ["...)
	dst = appendDate(dst, accepted)
	dst = append(dst, "] "...)
	dst = append(dst, frontend...)
	dst = append(dst, '/')
	dst = append(dst, listener...)
	dst = append(dst, ": "...)
	return append(dst, msg...)
}

// appendDate appends t in local time as dd/Mmm/yyyy:HH:MM:SS.mmm.
func appendDate(dst []byte, t time.Time) []byte {
	t = t.Local()
	dst = appendSeconds(dst, t)
	ms := t.Nanosecond() / int(time.Millisecond)
	return append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
}

// appendSeconds appends t, in its location, as dd/Mmm/yyyy:HH:MM:SS.
func appendSeconds(dst []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	dst = append2(dst, day)
	dst = append(dst, '/')
	dst = append(dst, monthNames[3*(month-1):3*month]...)
	dst = append(dst, '/')
	dst = appendInt(dst, year)
	dst = append(dst, ':')
	dst = append2(dst, hour)
	dst = append(dst, ':')
	dst = append2(dst, minute)
	dst = append(dst, ':')
	return append2(dst, sec)
}

// appendInt appends n in decimal. Most numbers of a log line are small:
// one digit takes one append.
func appendInt[T int | int64](dst []byte, n T) []byte {
	if n >= 0 && n < 10 {
		return append(dst, byte('0'+n))
	}
	return strconv.AppendInt(dst, int64(n), 10)
}

// append2 appends n (0..99) as two digits.
func append2(dst []byte, n int) []byte {
	return append(dst, byte('0'+n/10), byte('0'+n%10))
}

// AppendConnectLog appends the line HAProxy 2.6 logs for an HTTP frontend
// that has `log` lines but neither `option httplog` nor another log
// format:
//
//	Connect from 10.0.1.2:33312 to 10.0.3.31:8012 (www/HTTP)
//
// client is the peer's address and local the address it connected to.
// HAProxy 2.6 logs it once per request whose head was read whole and
// valid (each creates a stream), so a connection that sends nothing, or a
// bad head, logs nothing, `option dontlognull` or not.
func AppendConnectLog(dst []byte, client, local netip.AddrPort, frontend string) []byte {
	dst = append(dst, "Connect from "...)
	dst = appendAddrPort(dst, client)
	dst = append(dst, " to "...)
	dst = appendAddrPort(dst, local)
	dst = append(dst, " ("...)
	dst = append(dst, frontend...)
	return append(dst, "/HTTP)"...)
}
