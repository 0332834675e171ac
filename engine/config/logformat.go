package config

import "strings"

// LogVar is a variable of a `log-format` string.
type LogVar uint8

// The variables of a log-format string (see HAProxy's configuration manual,
// section 8.2.6). LogText is text; LogSampleExpr a sample expression.
const (
	LogText LogVar = iota
	LogSampleExpr
	LogBytesOut       // %B
	LogReqCookie      // %CC
	LogResCookie      // %CS
	LogHostname       // %H
	LogMethod         // %HM
	LogPath           // %HP: the target without its query
	LogPathOnly       // %HPO: the path without host nor query
	LogQuery          // %HQ: the query with its '?'
	LogURI            // %HU
	LogVersion        // %HV
	LogUniqueID       // %ID: none in tether, "-"
	LogStatus         // %ST
	LogGMTDate        // %T
	LogTa             // %Ta
	LogTc             // %Tc
	LogTd             // %Td
	LogLocalDate      // %Tl
	LogTh             // %Th
	LogTi             // %Ti
	LogTq             // %Tq
	LogTR             // %TR
	LogTr             // %Tr
	LogTimestamp      // %Ts
	LogTt             // %Tt
	LogTu             // %Tu
	LogTw             // %Tw
	LogBytesIn        // %U
	LogActConn        // %ac
	LogBackend        // %b
	LogBeConn         // %bc
	LogBackendIP      // %bi
	LogBackendPort    // %bp
	LogBeQueue        // %bq
	LogClientIP       // %ci
	LogClientPort     // %cp
	LogFrontend       // %f
	LogFeConn         // %fc
	LogFrontendIP     // %fi
	LogFrontendPort   // %fp
	LogFrontendXprt   // %ft
	LogLogCounter     // %lc
	LogReqHeaders     // %hr
	LogReqHeadersList // %hrl
	LogResHeaders     // %hs
	LogResHeadersList // %hsl
	LogMillis         // %ms
	LogPID            // %pid
	LogRequest        // %r
	LogRetries        // %rc
	LogReqCounter     // %rt
	LogServer         // %s
	LogSrvConn        // %sc
	LogServerIP       // %si
	LogServerPort     // %sp
	LogSrvQueue       // %sq
	LogSSLCiphers     // %sslc: none in tether, "-"
	LogSSLVersion     // %sslv: none in tether, "-"
	LogDate           // %t
	LogReqDate        // %tr
	LogReqGMTDate     // %trg
	LogReqLocalDate   // %trl
	LogTermState      // %ts
	LogTermCookies    // %tsc
)

// logVars maps the variable names of a log-format string to their LogVar.
var logVars = map[string]LogVar{
	"B": LogBytesOut, "CC": LogReqCookie, "CS": LogResCookie, "H": LogHostname, "HM": LogMethod,
	"HP": LogPath, "HPO": LogPathOnly, "HQ": LogQuery, "HU": LogURI, "HV": LogVersion, "ID": LogUniqueID,
	"ST": LogStatus, "T": LogGMTDate, "Ta": LogTa, "Tc": LogTc, "Td": LogTd, "Tl": LogLocalDate,
	"Th": LogTh, "Ti": LogTi, "Tq": LogTq, "TR": LogTR, "Tr": LogTr, "Ts": LogTimestamp, "Tt": LogTt,
	"Tu": LogTu, "Tw": LogTw, "U": LogBytesIn, "ac": LogActConn, "b": LogBackend, "bc": LogBeConn,
	"bi": LogBackendIP, "bp": LogBackendPort, "bq": LogBeQueue, "ci": LogClientIP, "cp": LogClientPort,
	"f": LogFrontend, "fc": LogFeConn, "fi": LogFrontendIP, "fp": LogFrontendPort, "ft": LogFrontendXprt,
	"lc": LogLogCounter, "hr": LogReqHeaders, "hrl": LogReqHeadersList, "hs": LogResHeaders,
	"hsl": LogResHeadersList, "ms": LogMillis, "pid": LogPID, "r": LogRequest, "rc": LogRetries,
	"rt": LogReqCounter, "s": LogServer, "sc": LogSrvConn, "si": LogServerIP, "sp": LogServerPort,
	"sq": LogSrvQueue, "sslc": LogSSLCiphers, "sslv": LogSSLVersion, "t": LogDate, "tr": LogReqDate,
	"trg": LogReqGMTDate, "trl": LogReqLocalDate, "ts": LogTermState, "tsc": LogTermCookies,
}

// LogPart is one part of a LogFormat.
type LogPart struct {
	Var    LogVar
	Text   string     // LogText
	Sample FormatPart // LogSampleExpr
	Quote  bool       // +Q: a string between double quotes
	Hex    bool       // +X: addresses, ports and some numbers in hexadecimal
	Escape bool       // +E: '"', '\' and ']' escaped with '\'
}

// LogFormat is a compiled `log-format` string. It is immutable.
type LogFormat []LogPart

// Uses reports whether f prints v.
func (f LogFormat) Uses(v LogVar) bool {
	for i := range f {
		if f[i].Var == v {
			return true
		}
	}
	return false
}

// lfContext is where a log-format string is evaluated, which decides the
// variables and samples it may use: http-request and http-response rules
// see the message they edit and its connection; a log line sees what the
// exchange recorded.
type lfContext uint8

const (
	lfRequest  lfContext = iota // an http-request rule's value
	lfResponse                  // an http-response rule's value
	lfLog                       // a log-format line
	lfUniqueID                  // a unique-id-format line: a log line's variables, the request's samples
)

// ruleVars maps the %-variables a rule's format evaluates to the part that
// writes them.
var ruleVars = map[LogVar]FormatKind{
	LogClientIP: FmtSrc, LogClientPort: FmtSrcPort, LogFrontendIP: FmtDst, LogFrontendPort: FmtDstPort,
	LogUniqueID: FmtMadeID,
}

// logSamples are the sample kinds a log line evaluates: those of the
// connection, the method, and what the exchange kept (variables, the
// unique ID, constants); the request's fields are gone when a line is
// logged.
var logSamples = [FmtMadeID + 1]bool{
	FmtSrc: true, FmtSrcPort: true, FmtDst: true, FmtDstPort: true, FmtMethod: true,
	FmtStr: true, FmtVar: true, FmtUniqueID: true,
}

// parseLogFormat compiles a `log-format` string, or returns the alert
// message.
func parseLogFormat(s string) (LogFormat, string) { return parseLF(s, lfLog) }

// parseLF compiles a log-format string for ctx into its parts: text,
// %-variables with their flags (%{+Q}, %o: log lines only) and %[sample]
// expressions. It returns the alert message on failure, worded as HAProxy
// words it, or as tether refuses what it does not support yet.
func parseLF(s string, ctx lfContext) (LogFormat, string) {
	var f LogFormat
	var global LogPart // the flags %o set for the variables after it
	text := func(t string) {
		if t == "" {
			return
		}
		if n := len(f); n > 0 && f[n-1].Var == LogText {
			f[n-1].Text += t
			return
		}
		f = append(f, LogPart{Var: LogText, Text: t})
	}
	for len(s) > 0 {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		s = s[i+1:]
		logLine := ctx == lfLog || ctx == lfUniqueID
		if s == "" && logLine {
			return nil, "truncated line after '%'."
		}
		if strings.HasPrefix(s, "%") {
			text("%")
			s = s[1:]
			continue
		}
		p := global
		if logLine && s[0] == '{' {
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return nil, "truncated line after ''."
			}
			parseLFFlags(&p, s[1:end])
			s = s[end+1:]
		}
		if strings.HasPrefix(s, "[") {
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, "missing ']' after '" + s[1:] + "'."
			}
			part, msg := formatFetch(s[1:end], ctx == lfResponse)
			switch {
			case msg != "":
				return nil, msg
			case ctx == lfLog && !logSamples[part.Kind]:
				return nil, "sample fetch <" + s[1:] + "> may not be reliably used here because it needs 'HTTP request headers' which is not available here."
			}
			p.Var, p.Sample = LogSampleExpr, part
			f = append(f, p)
			s = s[end+1:]
			continue
		}
		n := 0
		for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z') {
			n++
		}
		if logLine && s[:n] == "o" {
			global = p
			s = s[n:]
			continue
		}
		v, ok := logVars[s[:n]]
		switch {
		case !logLine:
			if _, ok = ruleVars[v]; !ok || n == 0 {
				return nil, "'%" + s[:n] + "' in a log-format string is not supported yet by tether"
			}
		case !ok:
			return nil, "no such format variable '" + s[:n] + "'. If you wanted to emit the '%' character verbatim, you need to use '%%'."
		}
		p.Var = v
		f = append(f, p)
		s = s[n:]
	}
	return f, ""
}

// parseLFFlags applies the flags of %{+Q,-X...} to p.
func parseLFFlags(p *LogPart, flags string) {
	for _, flag := range strings.Split(flags, ",") {
		if len(flag) == 2 && (flag[0] == '+' || flag[0] == '-') {
			on := flag[0] == '+'
			switch flag[1] {
			case 'Q':
				p.Quote = on
			case 'X':
				p.Hex = on
			case 'E':
				p.Escape = on
			}
		}
	}
}

// parseLogFormatLine parses `log-format <string>`: the lines a frontend
// logs, instead of `option httplog`'s.
func (p *parser) parseLogFormatLine(px *Proxy, a []string) {
	switch {
	case len(a) == 0:
		p.alert("log-format expects an argument.")
		return
	case len(a) > 1:
		p.alert("log-format expects only one argument, don't forget to escape spaces!")
		return
	case px.Cap&(CapFrontend|CapDefaults) == 0:
		p.warn("backend '" + px.Name + "' : 'log-format' directive is ignored in backends.")
		return
	}
	f, msg := parseLogFormat(a[0])
	if msg != "" {
		p.alert("failed to parse log-format : " + msg)
		return
	}
	px.LogFormat = f
}
