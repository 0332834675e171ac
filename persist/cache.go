package persist

// Cache collects what HAProxy 2.6.12 uses to decide whether a response is
// cacheable, which nocache needs: `cache-control: private` is added only to
// a cacheable response. It is filled by ResponseField.
type Cache struct {
	cacheable bool // TX_CACHEABLE so far
	cookies   bool // TX_CACHE_COOK: cookies may be cached with it
	interim   bool // status below 200 (101)
	pragmaSet bool // the first Pragma field was seen
	noCache   bool // the first Pragma field is "no-cache"
	fresh     bool // max-age, s-maxage or Expires
	validator bool // ETag or Last-Modified
}

// newCache starts from the request method (GET, HEAD, OPTIONS and TRACE
// are cacheable) and the status (only 200, 203, 204, 206, 300, 301, 404,
// 405, 410, 414 and 501 are cacheable by default).
func newCache(safeMethod bool, status int) Cache {
	c := Cache{cacheable: safeMethod, cookies: safeMethod, interim: status < 200}
	switch status {
	case 200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501:
	default:
		c.cacheable, c.cookies = false, false
	}
	return c
}

// Cacheable reports whether the response is cacheable (TX_CACHEABLE).
func (c *Cache) Cacheable() bool {
	return c.cacheable && !c.interim && !c.noCache && (c.fresh || c.validator)
}

// CookiesCacheable reports whether cookies in the response could be cached
// with it (TX_CACHE_COOK), for `option checkcache`.
func (c *Cache) CookiesCacheable() bool {
	return c.cookies && !c.interim && !c.noCache
}

// pragma records the first Pragma field only.
func (c *Cache) pragma(v []byte) {
	if c.pragmaSet {
		return
	}
	c.pragmaSet = true
	c.noCache = equalFold(v, "no-cache")
}

// cacheControl applies each comma-separated element of a Cache-Control
// value in order.
func (c *Cache) cacheControl(v []byte) {
	for p := 0; p <= len(v); {
		end := p + listElementEnd(v[p:])
		c.directive(trimBlanks(v[p:end]))
		p = end + 1
	}
}

// directive applies one Cache-Control element as 2.6.12 does: exact
// matches, then prefixes; other forms such as `private="x"` are ignored.
func (c *Cache) directive(d []byte) {
	switch {
	case equalFold(d, "public"):
		c.cacheable, c.cookies = true, true
	case equalFold(d, "private"), equalFold(d, "no-cache"), equalFold(d, "no-store"),
		equalFold(d, "max-age=0"), equalFold(d, "s-maxage=0"):
		c.cacheable, c.cookies = false, false
	case hasPrefixFold(d, `no-cache="set-cookie`):
		c.cookies = false
	case hasPrefixFold(d, "s-maxage"), hasPrefixFold(d, "max-age"):
		c.fresh = true
	}
}

// listElementEnd returns the offset of the first comma of v outside a
// quoted string, or len(v).
func listElementEnd(v []byte) int {
	quoted, escaped := false, false
	for i, b := range v {
		switch {
		case escaped:
			escaped = false
		case quoted:
			if b == '\\' {
				escaped = true
			} else if b == '"' {
				quoted = false
			}
		case b == '"':
			quoted = true
		case b == ',':
			return i
		}
	}
	return len(v)
}

// trimBlanks removes leading and trailing spaces and tabs.
func trimBlanks(b []byte) []byte {
	for len(b) > 0 && isBlank[b[0]] {
		b = b[1:]
	}
	for len(b) > 0 && isBlank[b[len(b)-1]] {
		b = b[:len(b)-1]
	}
	return b
}

// hasPrefixFold reports whether b starts with the lowercase ASCII prefix,
// ignoring the case of b.
func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && equalFold(b[:len(prefix)], prefix)
}
