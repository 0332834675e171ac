package engine

import "tether/h1"

// HAProxy 2.6 refuses an HTTP/1.0 GET, HEAD or DELETE request that carries
// a body (a Content-Length above zero, or chunked) with a 413, logged PR--
// as a bad request, and closes the connection: a server of that version
// may not expect a body there and read it as the next request.
//
// Other HTTP/1.0 requests with a Transfer-Encoding field HAProxy forwards,
// chunked, to the server as HTTP/1.0; a server of that version that does
// not know chunked would read the chunks as further requests. The h1
// scanner refuses them (400) instead, so that nothing sent as one request
// reaches a server as two.

// payloadRefused reports whether r, which the h1 scanner returned with err,
// is a request HAProxy answers with its 413.
func payloadRefused(r *h1.Request, err error) bool {
	if r.Minor != 0 || err != nil && err != h1.ErrTEInHTTP10 {
		return false
	}
	switch r.MethodID {
	case h1.MethodGET, h1.MethodHEAD, h1.MethodDELETE:
		return err != nil || r.Framing == h1.BodyChunked || r.Framing == h1.BodyLength && r.ContentLength > 0
	}
	return false
}
