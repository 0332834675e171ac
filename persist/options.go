// Package persist implements HAProxy 2.6 cookie session persistence as pure
// functions and immutable data: the options of the `cookie` keyword, the
// request-side Cookie decision, the response-side Set-Cookie decision,
// dynamic cookie values, the date codec and per-backend lookup tables.
package persist

// Mode is the way a backend's persistence cookie reaches the client.
type Mode uint8

const (
	// Passive: no mode word. The request cookie selects a server; responses
	// are never modified.
	Passive Mode = iota
	// Rewrite: the server sets the cookie and its value is replaced by the
	// server's cookie value.
	Rewrite
	// Insert: the proxy inserts a Set-Cookie with the server's value.
	Insert
	// Prefix: the server's own cookie value is prefixed with "<srvcookie>~"
	// and the prefix is stripped from requests.
	Prefix
)

// String returns the keyword of the mode, or "passive" for Passive.
func (m Mode) String() string {
	switch m {
	case Rewrite:
		return "rewrite"
	case Insert:
		return "insert"
	case Prefix:
		return "prefix"
	}
	return "passive"
}

// Options is the typed form of one backend's `cookie` line after
// inheritance from `defaults`. A zero Name means the backend has no
// persistence cookie. Options is a plain value: it is built by the
// configuration loader and never changed afterwards.
type Options struct {
	Name     string // cookie name, matched case-sensitively
	Mode     Mode   // rewrite, insert, prefix or passive
	Indirect bool   // remove our cookie before forwarding; do not re-insert a valid one
	NoCache  bool   // add "cache-control: private" when inserting into a cacheable response
	PostOnly bool   // insert only in responses to POST requests
	Preserve bool   // leave the server's own cookie of that name alone and then do not insert
	HTTPOnly bool   // append "; HttpOnly"
	Secure   bool   // append "; Secure"
	Dynamic  bool   // servers without a cookie value get one derived from the backend key

	Domains []string // each adds "; domain=<d>", in order
	MaxIdle uint32   // seconds; 0 disables the idle date
	MaxLife uint32   // seconds; 0 disables the first-seen date
	Attrs   []string // each adds "; <attr>", in order, after the built-in attributes
}

// Enabled reports whether the backend uses a persistence cookie.
func (o *Options) Enabled() bool { return o.Name != "" }
