package accesslog

import (
	"net/netip"
	"strconv"
	"time"
)

// AppendCLFLog appends to dst the line `option httplog clf` logs for r, as
// HAProxy 2.6 renders its common log format
//
//	%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl
//
// in which every text but the client address is quoted: a missing cookie
// capture prints "" instead of "-", and each captured header is quoted on
// its own. Without response header captures the line ends with a space. %ms, the milliseconds of the accept date, is taken from
// the request date, which is the same for a request sent as soon as its
// connection opened. The appended line is at most MaxLine bytes: a cut
// request line ends it, and fields after it are kept only whole. It does
// not allocate when dst has room for the line.
func AppendCLFLog(dst []byte, r *Record) []byte { return appendCLFLog(dst, r, MaxLine) }

// appendCLFLog is AppendCLFLog for lines of at most max bytes.
func appendCLFLog(dst []byte, r *Record, max int) []byte {
	start := len(dst)
	limit := start + max
	if a := r.Client.Addr(); a.IsValid() {
		dst = a.AppendTo(dst)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, " - - ["...)
	dst = appendGMTDate(dst, r.Accept)
	dst = append(dst, ']', ' ')
	if len(dst) >= limit {
		return dst[:limit]
	}
	dst = appendRequest(dst, limit, r)
	if len(dst) >= limit || dst[len(dst)-1] != '"' {
		return dst
	}
	// The fields after the request line, each with the space before it;
	// fits is the end of the last one that fits in the line.
	fits := len(dst)
	field := func() {
		if len(dst) <= limit {
			fits = len(dst)
		}
	}
	dst = append(dst, ' ')
	dst = appendInt(dst, r.Status)
	field()
	dst = append(dst, ' ')
	dst = appendEarly(dst, r.Early)
	dst = appendInt(dst, r.BytesOut)
	field()
	dst = append(dst, ` "" ""`...)
	field()
	dst = append(dst, ' ')
	dst = appendPort(dst, r.Client)
	field()
	dst = append(dst, ' ')
	ms := r.Accept.Nanosecond() / int(time.Millisecond)
	dst = append(dst, byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	field()
	for _, s := range [...]string{r.Frontend, r.Backend, r.Server} {
		if s == "" {
			s = "<NOSRV>" // only the server is ever empty
		}
		dst = append(dst, ' ', '"')
		dst = append(dst, s...)
		dst = append(dst, '"')
		field()
	}
	for i, n := range [...]int{r.TR, r.Tw, r.Tc, r.Tr, r.Ta} {
		dst = append(dst, ' ')
		dst = appendEarly(dst, r.Early && i == 4)
		dst = appendInt(dst, n)
		field()
	}
	dst = append(dst, ' ', r.Term.Letter(), r.Finish.Letter(), cookieLetter(r.Cookie[0]), cookieLetter(r.Cookie[1]))
	field()
	for _, n := range [...]int{r.ActConn, r.FeConn, r.BeConn, r.SrvConn} {
		dst = append(dst, ' ')
		dst = appendInt(dst, n)
		field()
	}
	dst = append(dst, ' ')
	if r.Redisp {
		dst = append(dst, '+')
	}
	dst = appendInt(dst, r.Retries)
	field()
	for _, n := range [...]int{r.SrvQueue, r.BeQueue} {
		dst = append(dst, ' ')
		dst = appendInt(dst, n)
		field()
	}
	for _, c := range [...][]byte{r.CapturedRequestCookie, r.CapturedResponseCookie} {
		dst = append(dst, ' ', '"')
		dst = append(dst, c...)
		dst = append(dst, '"')
		field()
	}
	for _, hs := range [...][][]byte{r.RequestHeaders, r.ResponseHeaders} {
		for _, h := range hs {
			dst = append(dst, ' ', '"')
			dst = appendHeader(dst, h)
			dst = append(dst, '"')
			field()
		}
	}
	if r.ResponseHeaders == nil {
		// The space before %hsl stays when it prints nothing.
		dst = append(dst, ' ')
		field()
	}
	return dst[:fits]
}

// appendPort appends the port of ap, or "-" for the zero value.
func appendPort(dst []byte, ap netip.AddrPort) []byte {
	if !ap.Addr().IsValid() {
		return append(dst, '-')
	}
	return strconv.AppendUint(dst, uint64(ap.Port()), 10)
}

// appendGMTDate appends t in UTC as dd/Mmm/yyyy:HH:MM:SS +0000.
func appendGMTDate(dst []byte, t time.Time) []byte {
	return append(appendSeconds(dst, t.UTC()), " +0000"...)
}
