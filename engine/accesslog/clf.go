package accesslog

import "time"

// AppendCLFLog appends to dst the line `option httplog clf` logs for r, as
// HAProxy 2.6 renders its format
//
//	%{+Q}o %{-Q}ci - - [%trg] %r %ST %B "" "" %cp %ms %ft %b %s %TR %Tw %Tc %Tr %Ta %tsc %ac %fc %bc %sc %rc %sq %bq %CC %CS %hrl %hsl
//
// with no header captures (%hrl and %hsl print nothing), names and
// captures in double quotes, the date in GMT without milliseconds and
// without a trailing newline. A line longer than MaxLine is cut there.
func AppendCLFLog(dst []byte, r *Record) []byte {
	start := len(dst)
	if a := r.Client.Addr(); a.IsValid() {
		dst = a.AppendTo(dst)
	} else {
		dst = append(dst, '-')
	}
	dst = append(dst, " - - ["...)
	dst = appendGMTDate(dst, r.Accept)
	dst = append(dst, ']', ' ')
	limit := start + MaxLine
	dst = appendRequest(dst, limit, r)
	dst = append(dst, ' ')
	dst = appendInt(dst, r.Status)
	dst = append(dst, ' ')
	dst = appendInt(dst, r.BytesOut)
	dst = append(dst, ` "" "" `...)
	dst = appendInt(dst, int(r.Client.Port()))
	ms := r.Accept.Nanosecond() / int(time.Millisecond)
	dst = append(dst, ' ', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10), ' ')
	dst = appendQuoted(dst, r.Frontend)
	dst = append(dst, ' ')
	dst = appendQuoted(dst, r.Backend)
	dst = append(dst, ' ')
	if r.Server == "" {
		dst = append(dst, `"<NOSRV>"`...)
	} else {
		dst = appendQuoted(dst, r.Server)
	}
	for _, n := range [...]int{r.TR, r.Tw, r.Tc, r.Tr, r.Ta} {
		dst = append(dst, ' ')
		dst = appendInt(dst, n)
	}
	dst = append(dst, ' ', r.Term.Letter(), r.Finish.Letter(), cookieLetter(r.Cookie[0]), cookieLetter(r.Cookie[1]))
	for _, n := range [...]int{r.ActConn, r.FeConn, r.BeConn, r.SrvConn} {
		dst = append(dst, ' ')
		dst = appendInt(dst, n)
	}
	dst = append(dst, ' ')
	if r.Redisp {
		dst = append(dst, '+')
	}
	dst = appendInt(dst, r.Retries)
	dst = append(dst, ' ')
	dst = appendInt(dst, r.SrvQueue)
	dst = append(dst, ' ')
	dst = appendInt(dst, r.BeQueue)
	dst = append(dst, ' ', '"')
	dst = append(dst, r.CapturedRequestCookie...)
	dst = append(dst, '"', ' ', '"')
	dst = append(dst, r.CapturedResponseCookie...)
	dst = append(dst, '"', ' ')
	if len(dst) > limit {
		dst = dst[:limit]
	}
	return dst
}

// appendQuoted appends s between double quotes.
func appendQuoted(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendGMTDate appends t in GMT as dd/Mmm/yyyy:HH:MM:SS +0000.
func appendGMTDate(dst []byte, t time.Time) []byte {
	t = t.UTC()
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
	dst = append2(dst, sec)
	return append(dst, " +0000"...)
}
