package config

import (
	"strings"
	"time"

	"tether/persist"
)

// parseCookie parses `cookie <name> [options]`. As in HAProxy, a new line
// resets the mode, the flags, the domains and the dates, replaces the name,
// and keeps appending to the attributes (also those inherited from
// defaults).
func (p *parser) parseCookie(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'cookie' expects <cookie_name> as argument.")
		return
	}
	attrs := px.Cookie.Attrs
	px.Cookie = persist.Options{Name: a[0], Attrs: attrs}
	c := &px.Cookie
	var rewrite, insert, prefix bool
	for i := 1; i < len(a); i++ {
		w := a[i]
		next := ""
		if i+1 < len(a) {
			next = a[i+1]
		}
		switch w {
		case "rewrite":
			rewrite, c.Mode = true, persist.Rewrite
		case "insert":
			insert, c.Mode = true, persist.Insert
		case "prefix":
			prefix, c.Mode = true, persist.Prefix
		case "indirect":
			c.Indirect = true
		case "nocache":
			c.NoCache = true
		case "postonly":
			c.PostOnly = true
		case "preserve":
			c.Preserve = true
		case "httponly":
			c.HTTPOnly = true
		case "secure":
			c.Secure = true
		case "dynamic":
			c.Dynamic = true
		case "domain":
			if next == "" {
				p.alert("'domain' expects <domain> as argument.")
				return
			}
			if !strings.Contains(next, ".") {
				p.warn("domain '" + next + "' contains no embedded dot, this configuration may not work properly (see RFC6265#5.2.3).")
			}
			if ch := badDomainChar(next); ch != 0 {
				p.alert("character '" + string(ch) + "' is not permitted in domain name '" + next + "'.")
				return
			}
			c.Domains = append(c.Domains, next)
			i++
		case "maxidle", "maxlife":
			if next == "" {
				what := "<idletime>"
				if w == "maxlife" {
					what = "<lifetime>"
				}
				p.alert("'" + w + "' expects " + what + " in seconds as argument.")
				return
			}
			n, trailing, terr := parseTime(next, time.Second)
			if terr != nil {
				switch {
				case terr.overflow:
					p.alert("timer overflow in argument <" + next + "> to <" + w + ">, maximum value is 2147483647 s (~68 years).")
				case terr.underflow:
					p.alert("timer underflow in argument <" + next + "> to <" + w + ">, minimum non-null value is 1 s.")
				default:
					p.alert("unexpected character '" + string(terr.bad) + "' in argument to <" + w + ">.")
				}
				return
			}
			if trailing {
				p.warnTrailing(next)
			}
			if w == "maxidle" {
				c.MaxIdle = uint32(n)
			} else {
				c.MaxLife = uint32(n)
			}
			i++
		case "attr":
			if next == "" {
				p.alert("'attr' expects <value> as argument.")
				return
			}
			for j := 0; j < len(next); j++ {
				if ch := next[j]; ch < 0x20 || ch == 0x7f || ch == ';' {
					p.alert("character '%x" + hex2(ch) + "' is not permitted in attribute value.")
					return
				}
			}
			c.Attrs = append(c.Attrs, next)
			i++
		default:
			p.alert("'cookie' supports 'rewrite', 'insert', 'prefix', 'indirect', 'nocache', 'postonly', 'domain', 'maxidle', 'dynamic', 'maxlife' and 'attr' options.")
			return
		}
	}
	if rewrite && c.Indirect {
		p.alert("cookie 'rewrite' and 'indirect' modes are incompatible.")
	}
	if b2i(rewrite)+b2i(insert)+b2i(prefix) > 1 {
		p.alert("cookie 'rewrite', 'insert' and 'prefix' modes are incompatible.")
	}
	if c.Preserve && !insert && !c.Indirect {
		p.alert("cookie 'preserve' requires at least 'insert' or 'indirect'.")
	}
}

// parseDynamicCookieKey parses `dynamic-cookie-key <key>`. The key is used
// as raw bytes.
func (p *parser) parseDynamicCookieKey(px *Proxy, a []string) {
	if len(a) == 0 {
		p.alert("'dynamic-cookie-key' expects <secret_key> as argument.")
		return
	}
	px.DynamicCookieKey = a[0]
}

// badDomainChar returns the first character HAProxy refuses in a cookie
// domain (anything but letters, digits, '_', '.' and '-'), or 0.
func badDomainChar(d string) byte {
	for i := 0; i < len(d); i++ {
		if hostClass[d[i]] == 0 {
			return d[i]
		}
	}
	return 0
}

// hex2 formats a byte as two uppercase hexadecimal digits.
func hex2(b byte) string {
	const digits = "0123456789ABCDEF"
	return string([]byte{digits[b>>4], digits[b&15]})
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
