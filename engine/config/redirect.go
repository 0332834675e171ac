package config

// RedirectKind is how a redirect builds its Location.
type RedirectKind uint8

const (
	// RedirLocation: the value is the location.
	RedirLocation RedirectKind = iota
	// RedirPrefix: the value, then the request's path and query ("/"
	// alone adds nothing before them).
	RedirPrefix
	// RedirScheme: the value, "://", the first Host field, then the
	// request's path and query.
	RedirScheme
)

// Redirect is what a `redirect` line or an `http-request redirect` rule
// answers. It is immutable.
type Redirect struct {
	Kind        RedirectKind
	Value       Format // a log-format string for http-request; text for the redirect keyword
	Code        int    // 301, 302, 303, 307 or 308
	DropQuery   bool   // prefix and scheme: without the query string
	AppendSlash bool   // with DropQuery: a path not ending in '/' gets one
	IgnoreEmpty bool   // http-request: an empty value skips the rule
	Cookie      string // set-cookie or clear-cookie: NAME or NAME=value
	ClearCookie bool   // the cookie is cleared (Max-Age=0)
}

// parseRedirectWords parses what follows `redirect` (or `http-request
// redirect`, logFormat set) up to its condition; it returns the redirect
// and the words left, or the alert message.
func parseRedirectWords(a []string, logFormat bool) (*Redirect, []string, string) {
	rd := &Redirect{Code: 302}
	typed := false
	for len(a) > 0 && a[0] != "if" && a[0] != "unless" {
		w := a[0]
		needs := func() bool { return len(a) < 2 }
		switch w {
		case "location", "prefix", "scheme":
			if needs() {
				return nil, nil, "missing argument for '" + w + "'."
			}
			rd.Kind = map[string]RedirectKind{"location": RedirLocation, "prefix": RedirPrefix, "scheme": RedirScheme}[w]
			rd.Value = Format{{Kind: FmtText, Text: a[1]}}
			if logFormat {
				f, msg := parseFormat(a[1], false)
				if msg != "" {
					return nil, nil, msg
				}
				rd.Value = f
			}
			typed, a = true, a[2:]
		case "code":
			if needs() {
				return nil, nil, "missing argument for 'code'."
			}
			switch code := int(int32(atoi(a[1]))); code {
			case 301, 302, 303, 307, 308:
				rd.Code = code
			default:
				return nil, nil, "'code': unsupported HTTP code '" + a[1] + "' (must be one of 301, 302, 303, 307 or 308)."
			}
			a = a[2:]
		case "set-cookie", "clear-cookie":
			if needs() {
				return nil, nil, "missing argument for '" + w + "'."
			}
			rd.Cookie, rd.ClearCookie, a = a[1], w == "clear-cookie", a[2:]
		case "drop-query", "append-slash", "ignore-empty":
			switch w {
			case "drop-query":
				rd.DropQuery = true
			case "append-slash":
				rd.AppendSlash = true
			default:
				rd.IgnoreEmpty = true
			}
			a = a[1:]
		default:
			return nil, nil, "expects 'code', 'prefix', 'location', 'scheme', 'set-cookie', 'clear-cookie', 'drop-query', 'ignore-empty' or 'append-slash' (was '" + w + "')."
		}
	}
	if !typed {
		return nil, nil, "redirection type expected ('prefix', 'location', or 'scheme')."
	}
	return rd, a, ""
}

// parseRedirect parses `redirect <type> <value> [options] [if|unless
// <cond>]` in a frontend or backend: rules run after the section's
// http-request rules, the first that holds answers.
func (p *parser) parseRedirect(px *Proxy, a []string) {
	rd, rest, msg := parseRedirectWords(a, false)
	if msg != "" {
		p.alert("error detected in " + proxyType(px) + " '" + px.Name + "' while parsing redirect rule : " + msg)
		return
	}
	ru := &HTTPRule{Action: RuleRedirect, Redirect: rd, File: p.file, Line: p.line}
	if len(rest) > 0 {
		if ru.Cond = p.parseCond(rest, "redirect rule"); ru.Cond == nil {
			return
		}
	}
	if len(px.UseBackends) > 0 {
		p.warn("a 'redirect' rule placed after a 'use_backend' rule will still be processed before.")
	}
	px.Redirects = append(px.Redirects, ru)
}
