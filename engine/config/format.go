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
	// FmtStr writes the constant Text (%[str(text)]).
	FmtStr
	// FmtVar writes the variable Var (%[var(name)]), or Text when it is
	// not set and HasDefault.
	FmtVar
	// FmtUniqueID writes the request's unique ID, made now if not yet
	// (%[unique-id], and %ID in a log line).
	FmtUniqueID
	// FmtMadeID writes the request's unique ID if it was made already (%ID
	// in a rule: HAProxy makes it after the http-request rules, or when
	// the unique-id sample asks for it).
	FmtMadeID
)

// Converter is what the converters of a sample expression do to what its
// fetch gives. tether applies lower and upper: a chain of them does what
// its last one does.
type Converter uint8

const (
	// ConvNone leaves the sample as fetched.
	ConvNone Converter = iota
	// ConvLower lowercases ASCII letters.
	ConvLower
	// ConvUpper uppercases ASCII letters.
	ConvUpper
)

// converters maps the converters tether applies to their Converter.
var converters = map[string]Converter{"lower": ConvLower, "upper": ConvUpper}

// FormatPart is one part of a Format.
type FormatPart struct {
	Kind       FormatKind
	Text       string    // FmtText: the text; FmtHdr, FmtFullHdr: the field name; FmtStr: the constant; FmtVar: the default
	Var        VarRef    // FmtVar
	HasDefault bool      // FmtVar: Text is written when the variable is not set
	Conv       Converter // applied to what the fetch gives
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
	"method": FmtMethod, "path": FmtPath, "url": FmtURL, "query": FmtQuery, "unique-id": FmtUniqueID,
}

// parseFormat compiles a log-format string for an http-request rule, or an
// http-response one (resp), where the request line is gone. It returns the
// alert message on failure.
func parseFormat(s string, resp bool) (Format, string) {
	ctx := lfRequest
	if resp {
		ctx = lfResponse
	}
	lf, msg := parseLF(s, ctx)
	if msg != "" {
		return nil, msg
	}
	var f Format
	for i := range lf {
		p := &lf[i]
		switch p.Var {
		case LogText:
			f = append(f, FormatPart{Kind: FmtText, Text: p.Text})
		case LogSampleExpr:
			f = append(f, p.Sample)
		default:
			f = append(f, FormatPart{Kind: ruleVars[p.Var]})
		}
	}
	return f, ""
}

// formatFetch compiles the sample expression of %[expr] in a format.
func formatFetch(expr string, resp bool) (FormatPart, string) {
	return sampleExpr(expr, resp, true)
}

// sampleExpr compiles a sample expression, a fetch and its converters;
// inFormat says it is written as %[expr], which words its messages.
func sampleExpr(expr string, resp, inFormat bool) (FormatPart, string) {
	fetch, convs := expr, ""
	depth := 0
	for i := 0; i < len(expr); i++ {
		switch expr[i] {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 && fetch == expr {
				fetch, convs = expr[:i], expr[i+1:]
			}
		}
	}
	part, msg := sampleFetch(fetch, expr, resp, inFormat)
	if msg != "" {
		return FormatPart{}, msg
	}
	for convs != "" {
		var c string
		c, convs, _ = strings.Cut(convs, ",")
		conv, ok := converters[c]
		if !ok {
			if inFormat {
				return FormatPart{}, "converters in '%[" + expr + "]' are not supported yet by tether"
			}
			return FormatPart{}, "converter '" + c + "' is not supported yet by tether"
		}
		part.Conv = conv
	}
	return part, ""
}

// sampleFetch compiles the fetch of a sample expression.
func sampleFetch(fetch, expr string, resp, inFormat bool) (FormatPart, string) {
	unsupported := func() (FormatPart, string) {
		if inFormat {
			return FormatPart{}, "'%[" + expr + "]' is not supported yet by tether"
		}
		name, _, _ := strings.Cut(fetch, "(")
		if _, ok := fetches[name]; ok || unsupportedFetches[name] {
			return FormatPart{}, "fetch method '" + name + "' is not supported yet by tether"
		}
		return FormatPart{}, "unknown fetch method '" + name + "'."
	}
	name, arg, hasArg := fetch, "", false
	if i := strings.IndexByte(fetch, '('); i >= 0 {
		if !strings.HasSuffix(fetch, ")") {
			return unsupported()
		}
		name, arg, hasArg = fetch[:i], fetch[i+1:len(fetch)-1], true
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
	case "str":
		if !hasArg {
			return unsupported()
		}
		return FormatPart{Kind: FmtStr, Text: arg}, ""
	case "var":
		if !hasArg {
			return unsupported()
		}
		vname, def, hasDef := strings.Cut(arg, ",")
		v, msg := parseVarName(vname, "")
		if msg != "" {
			return FormatPart{}, "failed to parse sample expression <" + expr + "]> : invalid args in fetch method 'var' : " + msg
		}
		return FormatPart{Kind: FmtVar, Var: v, Text: def, HasDefault: hasDef}, ""
	default:
		return unsupported()
	}
	if !hasArg || arg == "" || strings.IndexByte(arg, ',') >= 0 {
		if inFormat {
			return FormatPart{}, "'%[" + expr + "]' is not supported yet by tether: give one field name"
		}
		return FormatPart{}, "fetch method '" + name + "' is not supported yet by tether: give one field name"
	}
	return FormatPart{Kind: kind, Text: arg}, ""
}
