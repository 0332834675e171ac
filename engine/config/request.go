package config

import "net/netip"

// Request is the view of one request head that conditions read. The engine
// implements it over the request it scanned; a condition calls it only
// during Cond.Eval, never retains a returned slice and never writes to one.
// Every method must be cheap and must not allocate: Eval is on the hot path.
type Request interface {
	// Method returns the request method as received, e.g. "GET".
	Method() []byte
	// URL returns the request target as received (origin or absolute form).
	URL() []byte
	// Path returns the path of the target, without the query string (and,
	// for an absolute-form target, without the scheme and authority).
	Path() []byte
	// Query returns what follows the first '?' of the target, without the
	// '?'; nil when there is none.
	Query() []byte
	// NumHeaders returns the number of header fields.
	NumHeaders() int
	// Header returns the name and value of the i-th field (0-based), the
	// value without surrounding whitespace.
	Header(i int) (name, value []byte)
	// Src returns the client's address.
	Src() netip.Addr
}
