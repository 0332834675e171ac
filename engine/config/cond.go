package config

import (
	"net/netip"
	"regexp"
	"strings"
)

// Fetch is the part of a request an ACL expression looks at.
type Fetch uint8

const (
	// FetchPath is the path of the target, without the query string.
	FetchPath Fetch = iota
	// FetchURL is the whole request target.
	FetchURL
	// FetchURLParam is the value of each query-string parameter named Arg
	// (every parameter when Arg is ""); parameters end at '&' or ';'.
	FetchURLParam
	// FetchMethod is the request method.
	FetchMethod
	// FetchHdr is each comma-separated value of a header (Arg; "" for all
	// headers).
	FetchHdr
	// FetchCookie is the value of each cookie named Arg (every cookie when
	// Arg is "") in Cookie headers.
	FetchCookie
	// FetchSrc is the client's address.
	FetchSrc
	// FetchConst is a constant: TRUE or FALSE (Arg "1" or "").
	FetchConst
	// FetchVar is the variable Var, or Arg when it is not set and
	// HasDefault.
	FetchVar
)

// MatchKind is how an expression's samples are compared with its patterns.
type MatchKind uint8

const (
	// MatchStr: the sample equals a pattern.
	MatchStr MatchKind = iota
	// MatchBeg: the sample starts with a pattern.
	MatchBeg
	// MatchEnd: the sample ends with a pattern.
	MatchEnd
	// MatchSub: the sample contains a pattern.
	MatchSub
	// MatchReg: a regular expression matches the sample.
	MatchReg
	// MatchDom: a pattern is found in the sample between delimiters ('.',
	// '/', '?', ':') or the ends.
	MatchDom
	// MatchFound: the sample exists.
	MatchFound
	// MatchIP: the address is in one of the networks.
	MatchIP
)

// Regular expressions (path_reg, url_reg, hdr_reg, -m reg, http-check
// rstatus/rstring) use Go's RE2 syntax instead of HAProxy's PCRE, compiled
// at load. RE2 refuses, so such a configuration is refused at load:
// backreferences (\1), lookaround ((?=, (?!, (?<=, (?<!), atomic groups
// ((?>...)), possessive quantifiers (a*+), recursion, conditionals, \Z and
// repetition counts above 1000. Matching is unanchored in both; `$` matches
// only at the very end of the sample (PCRE's also matches before a final
// newline, which request lines and header values never contain). -i adds
// (?i), which folds case for Unicode as well as ASCII.

// Expr is one compiled ACL expression: a fetch, a matching method and its
// patterns. It is immutable and safe for concurrent use.
type Expr struct {
	Keyword    string // the fetch as written, without its argument: "path_beg", "req.hdr"
	Fetch      Fetch
	Arg        string // header, cookie or parameter name; FetchVar: the default
	Var        VarRef // FetchVar
	HasDefault bool   // FetchVar: Arg stands for the variable when it is not set
	def        []byte // FetchVar: Arg, as the matchers read samples
	Match      MatchKind
	IgnoreCase bool             // -i: ASCII case-insensitive (patterns are stored lowercased)
	Patterns   []string         // MatchStr .. MatchDom except MatchReg
	Regexps    []*regexp.Regexp // MatchReg
	Nets       []netip.Prefix   // MatchIP
}

// ACL is a named (or anonymous) set of expressions: it holds when any of
// them holds. A name declared on several lines ORs its lines.
type ACL struct {
	Name  string // "" for an anonymous { ... } ACL
	Exprs []*Expr
}

// Term is one ACL reference in a condition, optionally negated.
type Term struct {
	Neg bool
	ACL *ACL
}

// Cond is a compiled `if`/`unless` condition: an OR of suites, each an AND
// of terms. It is immutable and safe for concurrent use.
type Cond struct {
	Unless bool
	Suites [][]Term
	File   string
	Line   int
}

// fetchDef describes one fetch keyword: what it reads, its default match,
// whether it takes an optional (name) argument.
type fetchDef struct {
	fetch Fetch
	match MatchKind
	arg   bool
}

// fetches is the table of supported fetch keywords.
var fetches = map[string]fetchDef{
	"path":      {FetchPath, MatchStr, false},
	"path_beg":  {FetchPath, MatchBeg, false},
	"path_end":  {FetchPath, MatchEnd, false},
	"path_sub":  {FetchPath, MatchSub, false},
	"path_reg":  {FetchPath, MatchReg, false},
	"url":       {FetchURL, MatchStr, false},
	"url_beg":   {FetchURL, MatchBeg, false},
	"url_end":   {FetchURL, MatchEnd, false},
	"url_sub":   {FetchURL, MatchSub, false},
	"url_reg":   {FetchURL, MatchReg, false},
	"url_param": {FetchURLParam, MatchStr, true},
	"urlp":      {FetchURLParam, MatchStr, true},
	"urlp_beg":  {FetchURLParam, MatchBeg, true},
	"urlp_end":  {FetchURLParam, MatchEnd, true},
	"urlp_sub":  {FetchURLParam, MatchSub, true},
	"urlp_reg":  {FetchURLParam, MatchReg, true},
	"method":    {FetchMethod, MatchStr, false},
	"hdr":       {FetchHdr, MatchStr, true},
	"req.hdr":   {FetchHdr, MatchStr, true},
	"hdr_beg":   {FetchHdr, MatchBeg, true},
	"hdr_end":   {FetchHdr, MatchEnd, true},
	"hdr_sub":   {FetchHdr, MatchSub, true},
	"hdr_reg":   {FetchHdr, MatchReg, true},
	"hdr_dom":   {FetchHdr, MatchDom, true},
	"cook":      {FetchCookie, MatchStr, true},
	"req.cook":  {FetchCookie, MatchStr, true},
	"src":       {FetchSrc, MatchIP, false},
}

// unsupportedFetches are HAProxy fetches tether does not evaluate yet.
var unsupportedFetches = map[string]bool{
	"path_dir": true, "path_dom": true, "path_len": true, "url_dir": true, "url_dom": true,
	"url_len": true, "url_ip": true, "url_port": true, "hdr_cnt": true, "hdr_ip": true,
	"hdr_len": true, "hdr_val": true, "hdr_dir": true, "req.fhdr": true, "req.hdr_cnt": true,
	"req.hdr_ip": true, "req.hdr_val": true, "cook_beg": true, "cook_end": true, "cook_sub": true,
	"cook_reg": true, "cook_dom": true, "cook_dir": true, "cook_len": true, "cook_cnt": true,
	"cook_val": true, "req.cook_cnt": true, "req.cook_val": true, "src_port": true, "dst": true,
	"dst_port": true, "base": true, "base32": true, "query": true, "req.ver": true, "req_ver": true,
	"ssl_fc": true, "ssl_fc_sni": true, "req.ssl_sni": true, "nbsrv": true, "srv_is_up": true,
	"be_id": true, "fe_id": true, "req.body": true, "req.len": true, "urlp_val": true,
	"capture.req.hdr": true, "http_auth": true, "status": true, "res.hdr": true,
	"shdr": true, "scook": true, "always_true": true, "always_false": true, "env": true, "str": true,
	"int": true, "req.proto_http": true, "host": true, "http_first_req": true, "url32": true,
}

// matchNames maps -m arguments to match kinds; HAProxy methods tether does
// not evaluate map to ok false.
var matchNames = map[string]struct {
	kind MatchKind
	ok   bool
}{
	"str": {MatchStr, true}, "beg": {MatchBeg, true}, "end": {MatchEnd, true},
	"sub": {MatchSub, true}, "reg": {MatchReg, true}, "dom": {MatchDom, true},
	"found": {MatchFound, true}, "ip": {MatchIP, true},
	"bool": {}, "int": {}, "bin": {}, "len": {}, "dir": {},
}

// predefinedACLs are HAProxy's built-in ACL names tether supports, as the
// expression they stand for.
var predefinedACLs = map[string][]string{
	"TRUE":           {"always_true"},
	"FALSE":          {"always_false"},
	"HTTP":           {"always_true"},
	"METH_CONNECT":   {"method", "CONNECT"},
	"METH_DELETE":    {"method", "DELETE"},
	"METH_GET":       {"method", "GET", "HEAD"},
	"METH_HEAD":      {"method", "HEAD"},
	"METH_OPTIONS":   {"method", "OPTIONS"},
	"METH_POST":      {"method", "POST"},
	"METH_PUT":       {"method", "PUT"},
	"METH_TRACE":     {"method", "TRACE"},
	"LOCALHOST":      {"src", "127.0.0.1/8", "::1"},
	"HTTP_URL_ABS":   {"url_reg", "^[^/:]*://"},
	"HTTP_URL_SLASH": {"url_beg", "/"},
	"HTTP_URL_STAR":  {"url", "*"},
}

// compileExpr compiles `FETCH [flags] PATTERN...`. It returns a warning
// (or "") on success and the alert message (fail) on failure.
func compileExpr(words []string) (e *Expr, warn, fail string) {
	if len(words) == 0 || words[0] == "" {
		return nil, "", "missing fetch method in ACL expression ''."
	}
	kw := words[0]
	if kw == "ssl_fc" && len(words) == 1 {
		// tether accepts no TLS connection (bind ssl is refused): the
		// front connection is never TLS. ssl_fc with patterns stays
		// unsupported.
		kw = "always_false"
	}
	if kw == "always_true" || kw == "always_false" {
		e = &Expr{Fetch: FetchConst, Match: MatchFound}
		if kw == "always_true" {
			e.Arg = "1"
		}
		return e, "", ""
	}
	name, arg, hasArg := kw, "", false
	if i := strings.IndexByte(kw, '('); i > 0 && strings.HasSuffix(kw, ")") {
		name, arg, hasArg = kw[:i], kw[i+1:len(kw)-1], true
	}
	if name == "var" && hasArg {
		return compileVarExpr(kw, arg, words)
	}
	def, ok := fetches[name]
	if !ok {
		if unsupportedFetches[name] {
			return nil, "", "fetch method '" + name + "' is not supported yet by tether"
		}
		return nil, "", "unknown fetch method '" + kw + "' in ACL expression '" + kw + "'."
	}
	if hasArg && !def.arg {
		return nil, "", "fetch method '" + name + "' : end of arguments expected at position 1, but got '" + arg + "' in ACL expression '" + kw + "'."
	}
	if strings.Contains(arg, ",") {
		return nil, "", "fetch method '" + name + "' : occurrence and other extra arguments are not supported yet by tether"
	}
	e = &Expr{Keyword: name, Fetch: def.fetch, Arg: arg, Match: def.match}
	return compilePatterns(e, kw, words)
}

// compileVarExpr compiles `var(name[,default]) -m <method> PATTERN...`:
// a variable has no type tether knows at load, so HAProxy's rule holds,
// the matching method comes first.
func compileVarExpr(kw, arg string, words []string) (e *Expr, warn, fail string) {
	name, def, hasDef := strings.Cut(arg, ",")
	v, msg := parseVarName(name, "")
	if msg != "" {
		return nil, "", "invalid args in fetch method 'var' : " + strings.TrimSuffix(msg, ".") + " in ACL expression '" + kw + "'."
	}
	if len(words) < 2 || words[1] != "-m" {
		return nil, "", "matching method must be specified first (using '-m') when using a sample fetch of this type ('var')."
	}
	e = &Expr{Keyword: "var", Fetch: FetchVar, Var: v, Arg: def, HasDefault: hasDef, def: []byte(def)}
	return compilePatterns(e, kw, words)
}

// compilePatterns compiles the flags and patterns after an expression's
// fetch into e.
func compilePatterns(e *Expr, kw string, words []string) (_ *Expr, warn, fail string) {
	name := e.Keyword
	i, dashdash := 1, false
flags:
	for ; i < len(words) && strings.HasPrefix(words[i], "-"); i++ {
		switch words[i] {
		case "-i":
			e.IgnoreCase = true
		case "-n":
		case "-m":
			i++
			m, known := matchNames[at(words, i)]
			if !known {
				return nil, "", "unknown matching method '" + at(words, i) + "' when parsing ACL expression."
			}
			if !m.ok {
				return nil, "", "matching method '" + words[i] + "' is not supported yet by tether"
			}
			if (m.kind == MatchIP) != (e.Fetch == FetchSrc) && m.kind != MatchFound {
				return nil, "", "matching method '" + words[i] + "' is not supported yet by tether on '" + name + "'"
			}
			e.Match = m.kind
		case "--":
			i, dashdash = i+1, true
			break flags
		case "-f", "-M", "-u":
			return nil, "", "ACL flag '" + words[i] + "' is not supported yet by tether"
		default:
			return nil, "", "'" + words[i] + "' is not a valid ACL option. Please use '--' before any pattern beginning with a '-'."
		}
	}
	pats := words[i:]
	if len(pats) == 0 && e.Match != MatchFound && !dashdash {
		warn = "parsing acl keyword '" + kw + "' : no pattern to match against were provided, so this ACL will never match."
	}
	if e.Match == MatchFound {
		return e, warn, ""
	}
	for _, pat := range pats {
		switch e.Match {
		case MatchReg:
			src := pat
			if e.IgnoreCase {
				src = "(?i)" + pat
			}
			re, err := regexp.Compile(src)
			if err != nil {
				return nil, "", "regex '" + pat + "' is invalid (" + regexpError(err) + ")."
			}
			e.Regexps = append(e.Regexps, re)
		case MatchIP:
			pfx, ok := parsePrefix(pat)
			if !ok {
				return nil, "", "'" + pat + "' is not a valid IPv4 or IPv6 address."
			}
			e.Nets = append(e.Nets, pfx)
		default:
			if e.IgnoreCase {
				pat = lowerASCII(pat)
			}
			e.Patterns = append(e.Patterns, pat)
		}
	}
	return e, warn, ""
}

// lowerASCII lowercases ASCII letters.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = lower[c]
	}
	return string(b)
}

// lower maps every byte to its ASCII lowercase.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if i >= 'A' && i <= 'Z' {
			t[i] = byte(i) + 'a' - 'A'
		}
	}
	return t
}()
