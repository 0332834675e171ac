package config

import "strings"

// FormatKind is what one part of a Format writes.
type FormatKind uint8

const (
	// FmtText writes Text as is.
	FmtText FormatKind = iota
	// FmtSrc writes the client's address (%ci, %[src]).
	FmtSrc
	// FmtSrcPort writes the client's port (%cp, %[src_port]).
	FmtSrcPort
	// FmtDst writes the address the client connected to (%fi, %[dst]).
	FmtDst
	// FmtDstPort writes the port the client connected to (%fp, %[dst_port]).
	FmtDstPort
	// FmtMethod writes the request method (%[method]).
	FmtMethod
	// FmtPath writes the request's path (%[path]).
	FmtPath
	// FmtURL writes the request target (%[url]).
	FmtURL
	// FmtQuery writes the query string, without its '?' (%[query]).
	FmtQuery
	// FmtHdr writes the last comma-separated value of the last field named
	// Text (%[hdr(name)], req.hdr, res.hdr: the fields of the message the
	// rule edits).
	FmtHdr
	// FmtFullHdr writes the whole value of the last field named Text
	// (%[req.fhdr(name)], res.fhdr).
	FmtFullHdr
)

// FormatPart is one part of a Format.
type FormatPart struct {
	Kind FormatKind
	Text string // FmtText: the text; FmtHdr, FmtFullHdr: the field name
}

// Format is a compiled log-format string, as the values of add-header and
// set-header are written: text, and samples of the message and its
// connection. A sample that has nothing to give writes "-", as HAProxy's
// log-format does. It is immutable.
type Format []FormatPart

// formatFetches maps the sample fetches a Format evaluates to their kind;
// the fetches taking a field name map to FmtHdr or FmtFullHdr.
var formatFetches = map[string]FormatKind{
	"src": FmtSrc, "src_port": FmtSrcPort, "dst": FmtDst, "dst_port": FmtDstPort,
	"method": FmtMethod, "path": FmtPath, "url": FmtURL, "query": FmtQuery,
}

// formatAliases maps the %-variables a Format evaluates to their kind.
var formatAliases = map[string]FormatKind{"ci": FmtSrc, "cp": FmtSrcPort, "fi": FmtDst, "fp": FmtDstPort}

// parseFormat compiles a log-format string; resp says it is evaluated on
// a response, where the request line is gone. It returns the alert message
// on failure.
func parseFormat(s string, resp bool) (Format, string) {
	var f Format
	text := func(t string) {
		if t == "" {
			return
		}
		if n := len(f); n > 0 && f[n-1].Kind == FmtText {
			f[n-1].Text += t
			return
		}
		f = append(f, FormatPart{Kind: FmtText, Text: t})
	}
	for len(s) > 0 {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			text(s)
			break
		}
		text(s[:i])
		s = s[i+1:]
		switch {
		case strings.HasPrefix(s, "%"):
			text("%")
			s = s[1:]
		case strings.HasPrefix(s, "["):
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, "missing ']' after '" + s[1:] + "'."
			}
			part, msg := formatFetch(s[1:end], resp)
			if msg != "" {
				return nil, msg
			}
			f = append(f, part)
			s = s[end+1:]
		default:
			n := 0
			for n < len(s) && (s[n] >= 'a' && s[n] <= 'z' || s[n] >= 'A' && s[n] <= 'Z') {
				n++
			}
			kind, ok := formatAliases[s[:n]]
			if !ok {
				return nil, "'%" + s[:n] + "' in a log-format string is not supported yet by tether"
			}
			f = append(f, FormatPart{Kind: kind})
			s = s[n:]
		}
	}
	return f, ""
}

// formatFetch compiles the sample expression of %[expr].
func formatFetch(expr string, resp bool) (FormatPart, string) {
	depth := 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				return FormatPart{}, "converters in '%[" + expr + "]' are not supported yet by tether"
			}
		}
	}
	name, arg, hasArg := expr, "", false
	if i := strings.IndexByte(expr, '('); i >= 0 {
		if !strings.HasSuffix(expr, ")") {
			return FormatPart{}, "'%[" + expr + "]' is not supported yet by tether"
		}
		name, arg, hasArg = expr[:i], expr[i+1:len(expr)-1], true
	}
	unavailable := func(what string) (FormatPart, string) {
		return FormatPart{}, "sample fetch <" + expr + "]> may not be reliably used here because it needs 'HTTP " + what + " headers' which is not available here."
	}
	if kind, ok := formatFetches[name]; ok && !hasArg {
		if resp && (kind == FmtPath || kind == FmtURL || kind == FmtQuery) {
			return unavailable("request")
		}
		return FormatPart{Kind: kind}, ""
	}
	kind := FmtHdr
	switch name {
	case "hdr":
	case "req.hdr", "res.hdr", "req.fhdr", "res.fhdr":
		if strings.HasPrefix(name, "req.") && resp {
			return unavailable("request")
		}
		if strings.HasPrefix(name, "res.") && !resp {
			return unavailable("response")
		}
		if strings.HasSuffix(name, "fhdr") {
			kind = FmtFullHdr
		}
	default:
		return FormatPart{}, "'%[" + expr + "]' is not supported yet by tether"
	}
	if !hasArg || arg == "" || strings.IndexByte(arg, ',') >= 0 {
		return FormatPart{}, "'%[" + expr + "]' is not supported yet by tether: give one field name"
	}
	return FormatPart{Kind: kind, Text: arg}, ""
}
