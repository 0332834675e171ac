package h1

// Request targets and authorities (RFC 9112 section 3.2, RFC 3986 section
// 3.2): the form of a target, and whether its authority agrees with Host.

import "bytes"

// classifyTarget finds the form of the target just scanned and, for the
// absolute and authority forms, its authority.
func (s *Scanner) classifyTarget(buf []byte, r *Request) error {
	t := r.Target.Bytes(buf)
	s.work += len(t)
	if bytes.IndexByte(t, '#') >= 0 {
		return ErrTarget // a fragment is the client's own, never sent (HAProxy refuses it too)
	}
	switch {
	case r.MethodID == MethodCONNECT:
		_, port := splitHostPort(t)
		if len(port) == 0 || !validAuthority(t) {
			return ErrTarget
		}
		r.Form, r.Authority = FormAuthority, r.Target
		switch string(port) {
		case "80":
			r.defaultPort = "80" // a Host without a port agrees with a default one, as HAProxy reads it
		case "443":
			r.defaultPort = "443"
		}
	case t[0] == '/':
		r.Form = FormOrigin
	case len(t) == 1 && t[0] == '*':
		if r.MethodID != MethodOPTIONS {
			return ErrTarget
		}
		r.Form = FormAsterisk
	default:
		i := schemeLen(t)
		if i == 0 || len(t)-i < 3 || string(t[i:i+3]) != "://" {
			return ErrTarget
		}
		scheme := t[:i]
		a := i + 3
		e := a
		for e < len(t) && t[e] != '/' && t[e] != '?' && t[e] != '#' {
			e++
		}
		if !validAuthority(t[a:e]) {
			return ErrTarget
		}
		s.work += e
		r.Form = FormAbsolute
		r.Authority = Span{r.Target.Off + uint32(a), r.Target.Off + uint32(e)}
		r.defaultPort = ""
		if EqualFold(scheme, "http") {
			r.defaultPort = "80"
		} else if EqualFold(scheme, "https") {
			r.defaultPort = "443"
		}
	}
	return nil
}

// schemeLen returns the length of the URI scheme that starts t, ALPHA
// *( ALPHA / DIGIT / "+" / "-" / "." ), or 0.
func schemeLen(t []byte) int {
	if len(t) == 0 || lower[t[0]] < 'a' || lower[t[0]] > 'z' {
		return 0
	}
	i := 1
	for i < len(t) && isSchemeChar[t[i]] {
		i++
	}
	return i
}

// validAuthority reports whether a is a non-empty host[:port] with no
// userinfo.
func validAuthority(a []byte) bool {
	host, _ := splitHostPort(a)
	if len(host) == 0 {
		return false
	}
	for _, c := range a {
		if !isHostChar[c] {
			return false
		}
	}
	return true
}

// splitHostPort splits an authority or a Host value into its host and port.
// A malformed port leaves both empty.
func splitHostPort(a []byte) (host, port []byte) {
	h := len(a)
	if len(a) > 0 && a[0] == '[' {
		h = 0
		for h < len(a) && a[h] != ']' {
			h++
		}
		if h == len(a) {
			return nil, nil
		}
		h++
	} else {
		for i := len(a) - 1; i >= 0; i-- {
			if a[i] == ':' {
				h = i
				break
			}
		}
	}
	rest := a[h:]
	if len(rest) == 0 {
		return a, nil
	}
	if rest[0] != ':' {
		return nil, nil
	}
	for _, c := range rest[1:] {
		if c-'0' > 9 {
			return nil, nil
		}
	}
	return a[:h], rest[1:]
}

// sameAuthority reports whether a target's authority names the same host
// and port as a Host value; an absent port equals the scheme's default.
func sameAuthority(target, host []byte, defaultPort string) bool {
	th, tp := splitHostPort(target)
	hh, hp := splitHostPort(host)
	if len(th) == 0 || !equalFold(th, hh) {
		return false
	}
	switch {
	case string(tp) == string(hp):
		return true
	case len(tp) == 0:
		return defaultPort != "" && string(hp) == defaultPort
	case len(hp) == 0:
		return defaultPort != "" && string(tp) == defaultPort
	}
	return false
}
