package config

import "bytes"

// Eval reports whether the condition holds for r: `if` holds when one
// suite has all its terms true, `unless` is the negation. An empty `if`
// condition never holds. Eval does not allocate and is safe for concurrent
// use.
func (c *Cond) Eval(r Request) bool {
	res := false
	for _, suite := range c.Suites {
		ok := true
		for _, t := range suite {
			if t.ACL.Eval(r) == t.Neg {
				ok = false
				break
			}
		}
		if ok {
			res = true
			break
		}
	}
	return res != c.Unless
}

// Eval reports whether any expression of the ACL holds for r.
func (a *ACL) Eval(r Request) bool {
	for _, e := range a.Exprs {
		if e.Eval(r) {
			return true
		}
	}
	return false
}

// Eval reports whether any sample the expression fetches from r matches
// one of its patterns.
func (e *Expr) Eval(r Request) bool {
	switch e.Fetch {
	case FetchConst:
		return e.Arg != ""
	case FetchVar:
		vr, ok := r.(VarReader)
		if !ok {
			return false
		}
		v, set := vr.Var(e.Var)
		switch {
		case set:
			return e.matchSample(v)
		case e.HasDefault:
			return e.matchSample(e.def)
		}
		return false
	case FetchPath:
		return e.matchSample(r.Path())
	case FetchURL:
		return e.matchSample(r.URL())
	case FetchMethod:
		return e.matchSample(r.Method())
	case FetchURLParam:
		for q := r.Query(); q != nil; {
			var name, value []byte
			var ok bool
			name, value, q, ok = nextParam(q)
			if ok && (e.Arg == "" || string(name) == e.Arg) && e.matchSample(value) {
				return true
			}
		}
		return false
	case FetchSrc:
		if e.Match == MatchFound {
			return r.Src().IsValid()
		}
		ip := r.Src().Unmap()
		for _, n := range e.Nets {
			if n.Contains(ip) {
				return true
			}
		}
		return false
	case FetchHdr:
		for i, n := 0, r.NumHeaders(); i < n; i++ {
			name, value := r.Header(i)
			if e.Arg != "" && !equalFold(name, e.Arg) {
				continue
			}
			for value != nil {
				var item []byte
				item, value = nextListItem(value)
				if e.matchSample(item) {
					return true
				}
			}
		}
		return false
	case FetchCookie:
		for i, n := 0, r.NumHeaders(); i < n; i++ {
			name, value := r.Header(i)
			if !equalFold(name, "cookie") {
				continue
			}
			for value != nil {
				var cname, cval []byte
				cname, cval, value = nextCookie(value)
				if (e.Arg == "" || string(cname) == e.Arg) && e.matchSample(cval) {
					return true
				}
			}
		}
		return false
	}
	return false
}

// matchSample compares one sample with the patterns.
func (e *Expr) matchSample(s []byte) bool {
	switch e.Match {
	case MatchFound:
		return true
	case MatchReg:
		for _, re := range e.Regexps {
			if re.Match(s) {
				return true
			}
		}
		return false
	}
	for _, p := range e.Patterns {
		if e.matchOne(s, p) {
			return true
		}
	}
	return false
}

// matchOne compares a sample with one string pattern (lowercased when the
// expression ignores case).
func (e *Expr) matchOne(s []byte, p string) bool {
	switch e.Match {
	case MatchStr:
		return len(s) == len(p) && e.eq(s, p)
	case MatchBeg:
		return len(s) >= len(p) && e.eq(s[:len(p)], p)
	case MatchEnd:
		return len(s) >= len(p) && e.eq(s[len(s)-len(p):], p)
	case MatchSub:
		for i := 0; i+len(p) <= len(s); i++ {
			if e.eq(s[i:i+len(p)], p) {
				return true
			}
		}
		return false
	case MatchDom:
		for i := 0; i+len(p) <= len(s); i++ {
			if (i == 0 || isDomDelim(s[i-1])) && (i+len(p) == len(s) || isDomDelim(s[i+len(p)])) && e.eq(s[i:i+len(p)], p) {
				return true
			}
		}
		return false
	}
	return false
}

// eq compares equal-length s and p, folding s's case when needed.
func (e *Expr) eq(s []byte, p string) bool {
	if !e.IgnoreCase {
		return string(s) == p
	}
	for i := 0; i < len(p); i++ {
		if lower[s[i]] != p[i] {
			return false
		}
	}
	return true
}

// isDomDelim reports whether c delimits a word for MatchDom.
func isDomDelim(c byte) bool { return c == '.' || c == '/' || c == '?' || c == ':' }

// equalFold compares a header name with a name, ASCII case-insensitively.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower[b[i]] != lower[s[i]] {
			return false
		}
	}
	return true
}

// nextListItem cuts the first comma-separated item off a header value and
// trims its spaces. rest is nil after the last item.
func nextListItem(v []byte) (item, rest []byte) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		item, rest = v[:i], v[i+1:]
	} else {
		item = v
	}
	return bytes.Trim(item, " \t"), rest
}

// nextCookie cuts the first "name=value" pair off a Cookie header value.
// rest is nil after the last pair.
func nextCookie(v []byte) (name, value, rest []byte) {
	pair := v
	if i := bytes.IndexByte(v, ';'); i >= 0 {
		pair, rest = v[:i], v[i+1:]
	}
	pair = bytes.Trim(pair, " \t")
	if i := bytes.IndexByte(pair, '='); i >= 0 {
		return bytes.TrimRight(pair[:i], " \t"), bytes.TrimLeft(pair[i+1:], " \t"), rest
	}
	return pair, nil, rest
}

// nextParam cuts the first parameter off a query string as HAProxy's
// url_param fetch reads it: parameters end at '&', ';' or '?', and only a
// parameter with a '=' has a name and a value (ok is false for another).
// rest is nil after the last parameter.
func nextParam(q []byte) (name, value, rest []byte, ok bool) {
	pair := q
	if i := bytes.IndexAny(q, "&;?"); i >= 0 {
		pair, rest = q[:i], q[i+1:]
	}
	i := bytes.IndexByte(pair, '=')
	if i < 0 {
		return nil, nil, rest, false
	}
	return pair[:i], pair[i+1:], rest, true
}
