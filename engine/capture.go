package engine

import (
	"tether/engine/config"
	"tether/persist"
)

// maxCapture is the longest `capture cookie ... len` HAProxy allows.
const maxCapture = 64

// cookieCapture holds what `capture cookie <name> len <n>` keeps of one
// request (%CC) or response (%CS): the first cookie whose "name=value"
// text starts with <name>, cut at <n> bytes. Blanks around '=' are left
// out, as HAProxy strips them before capturing. The bytes are a copy, so
// they outlive the head they came from. The zero value has captured
// nothing.
type cookieCapture struct {
	n   uint8
	set bool
	b   [maxCapture]byte
}

// reset forgets the capture for the next request.
func (c *cookieCapture) reset() { c.n, c.set = 0, false }

// bytes returns the captured text, or nil when nothing was captured. The
// slice is a view of c, valid until the next reset or capture.
func (c *cookieCapture) bytes() []byte {
	if !c.set {
		return nil
	}
	return c.b[:c.n]
}

// cookieFields reports whether the Cookie fields of a request and the
// Set-Cookie fields of its response go through the persistence table t:
// when the backend has a `cookie` line, and when the frontend captures a
// cookie (cc). HAProxy parses the cookies in both cases, and its parser
// strips the blanks around each '=' of the fields it forwards; with no
// cookie name in t, that is all the table changes.
func cookieFields(t *persist.Table, cc *config.CaptureCookie) bool {
	return t.Options().Enabled() || cc.Name != ""
}

// field looks for the capture in one field value: every cookie of a Cookie
// field (request, where ',' also separates cookies, and names starting with
// '$' are attributes), or the first cookie of a Set-Cookie field
// (response). As in HAProxy, a cookie without '=' is never captured. Once
// something is captured it stays.
func (c *cookieCapture) field(v []byte, cc *config.CaptureCookie, request bool) {
	if c.set || cc.Name == "" {
		return
	}
	for p, first := 0, true; first || p < len(v); first = false {
		e := persist.ScanElement(v, p, first, request)
		name := v[e.Name:e.NameEnd]
		attr := request && len(name) > 0 && name[0] == '$' // an RFC 2109 attribute
		if e.HasValue() && !attr && c.match(name, v[e.Value:e.ValueEnd], cc) {
			return
		}
		if !request || e.Next >= len(v) {
			return
		}
		p = e.Next
	}
}

// match captures name=value if it starts with the capture's name.
func (c *cookieCapture) match(name, value []byte, cc *config.CaptureCookie) bool {
	if len(name)+1+len(value) < len(cc.Name) {
		return false
	}
	// The name to match may run past the cookie's name into '=' and the value.
	k := min(len(cc.Name), len(name))
	if string(name[:k]) != cc.Name[:k] {
		return false
	}
	if rest := cc.Name[k:]; rest != "" {
		r := rest[1:]
		if rest[0] != '=' || len(value) < len(r) || string(value[:len(r)]) != r {
			return false
		}
	}
	n := copy(c.b[:min(cc.Len, maxCapture)], name)
	if n < min(cc.Len, maxCapture) {
		c.b[n] = '='
		n++
		n += copy(c.b[n:min(cc.Len, maxCapture)], value)
	}
	c.n, c.set = uint8(n), true
	return true
}
