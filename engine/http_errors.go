package engine

import (
	"errors"

	"tether/engine/config"
	"tether/h1"
)

// errWebSocketKey: a head asks for a WebSocket handshake without its key
// (see badWebSocket); it is refused as a malformed one.
var errWebSocketKey = errors.New("engine: websocket handshake without its key")

// reply is one of the responses the proxy itself sends, as HAProxy 2.6
// sends them (captured from haproxy 2.6.12 on the wire). Replies to a
// request that could not be parsed go out as written in HAProxy's
// templates, mixed-case names and "Connection: close" included, and the
// connection closes. The others pass through HAProxy's HTTP layer, which
// lowercases the names and keeps the client connection open when the client
// does, adding "connection: keep-alive" for an HTTP/1.0 one; a client that
// does not gets "connection: close" at the end of the head (see answer).
// An `errorfile` replaces the second kind (see answer and rawAnswer).
type reply struct {
	head  []byte // status line and fields, without the empty line
	body  []byte
	close bool // always close the client connection after it
	// announce: a reply that closes ends its head with "connection:
	// close", as those of HAProxy's HTTP layer do (its templates for
	// unreadable requests have a Connection field or none)
	announce bool
	logged   int // the status the log shows, when not the reply's own
	size     int // what HAProxy's %B counts of head (see htxStartLine)
}

const (
	errBody400 = "<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"
	errBody408 = "<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"
	errBody413 = "<html><body><h1>413 Payload Too Large</h1>\nThe request entity exceeds the maximum allowed.\n</body></html>\n"
	errBody500 = "<html><body><h1>500 Internal Server Error</h1>\nAn internal server error occurred.\n</body></html>\n"
	errBody502 = "<html><body><h1>502 Bad Gateway</h1>\nThe server returned an invalid or incomplete response.\n</body></html>\n"
	errBody503 = "<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"
	errBody504 = "<html><body><h1>504 Gateway Time-out</h1>\nThe server didn't respond in time.\n</body></html>\n"
)

// rawReply is a reply to an unparsable request: the template as written.
func rawReply(status, body string) reply {
	return reply{
		head: []byte("HTTP/1.1 " + status + "\r\nContent-length: " + itoa(len(body)) +
			"\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n"),
		body:  []byte(body),
		close: true,
	}
}

// bareReply is a reply to a refused request whose HAProxy template has no
// Connection field; the connection closes all the same.
func bareReply(status, body string) reply {
	return reply{
		head: []byte("HTTP/1.1 " + status + "\r\nContent-length: " + itoa(len(body)) +
			"\r\nCache-Control: no-cache\r\nContent-Type: text/html\r\n"),
		body:  []byte(body),
		close: true,
	}
}

// httpReply is a reply produced after the request was parsed.
func httpReply(status, body string) reply {
	head := "HTTP/1.1 " + status + "\r\ncontent-length: " + itoa(len(body)) +
		"\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n"
	return reply{head: []byte(head), body: []byte(body), size: ownHeadLogSize(head)}
}

// ownHeadLogSize returns what HAProxy's %B counts of a head of the proxy's
// own (without its empty line), by the rule of headLogSize.
func ownHeadLogSize(head string) int {
	b := []byte(head + "\r\n")
	var r h1.Response
	if _, err := h1.NewScanner(h1.DefaultLimits()).Response(b, &r, h1.MethodGET); err != nil {
		panic("engine: a reply of its own does not scan: " + err.Error())
	}
	return int(headLogSize(&r, b))
}

// The replies, built once.
var (
	reply400 = rawReply("400 Bad request", errBody400)
	reply408 = rawReply("408 Request Time-out", errBody408)
	reply413 = bareReply("413 Payload Too Large", errBody413)
	reply500 = httpReply("500 Internal Server Error", errBody500)
	reply502 = httpReply("502 Bad Gateway", errBody502)
	reply503 = httpReply("503 Service Unavailable", errBody503)
	reply504 = httpReply("504 Gateway Time-out", errBody504)
)

// statusReplies are HAProxy's replies for the statuses a deny may give
// (those an errorfile may replace), by status.
var statusReplies = map[int]*reply{
	200: ownReply("200 OK", "Service ready."),
	400: ownReply("400 Bad request", "Your browser sent an invalid request."),
	401: ownReply("401 Unauthorized", "You need a valid user and password to access this content."),
	403: ownReply("403 Forbidden", "Request forbidden by administrative rules."),
	404: ownReply("404 Not Found", "The resource could not be found."),
	405: ownReply("405 Method Not Allowed", "A request was made of a resource using a request method not supported by that resource"),
	407: ownReply("407 Unauthorized", "You need a valid user and password to access this content."),
	408: closingReply(ownReply("408 Request Time-out", "Your browser didn't send a complete request in time.")),
	410: ownReply("410 Gone", "The resource is no longer available and will not be available again."),
	413: ownReply("413 Payload Too Large", "The request entity exceeds the maximum allowed."),
	421: ownReply("421 Misdirected Request", "Request sent to a non-authoritative server."),
	422: ownReply("422 Unprocessable Content", "The server cannot process the contained instructions."),
	425: ownReply("425 Too Early", "Your browser sent early data."),
	429: ownReply("429 Too Many Requests", "You have sent too many requests in a given amount of time."),
	500: &reply500,
	501: ownReply("501 Not Implemented", ".The server does not support the functionality required to fulfill the request."),
	502: &reply502,
	503: &reply503,
	504: &reply504,
}

// closingReply makes r close the connection, announcing it; the log counts
// the announcement as HAProxy's %B counts a field: its name and value.
func closingReply(r *reply) *reply {
	r.close, r.announce = true, true
	r.size += len("connection") + len("close")
	return r
}

// ownReply is httpReply for HAProxy's body of a status: its status line as
// a title, then a line of text.
func ownReply(status, text string) *reply {
	r := httpReply(status, "<html><body><h1>"+status+"</h1>\n"+text+"\n</body></html>\n")
	return &r
}

// deny400 is what HAProxy sends for a 400 its rules give: its template
// for it is that of requests it could not read, which its HTTP layer does
// not take, so the reply goes without a body, and closes.
var deny400 = func() *reply {
	head := "HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n"
	return &reply{head: []byte(head), close: true, size: ownHeadLogSize(head)}
}()

// denyReply returns the reply of a deny rule with status.
func denyReply(status int) *reply {
	if status == 400 {
		return deny400
	}
	return statusReplies[status]
}

// crlf ends a head; connClose is what an HTTP/1.0 client gets before it.
var (
	crlf      = []byte("\r\n")
	connClose = []byte("connection: close\r\n")
	connKeep  = []byte("connection: keep-alive\r\n")
	http11    = []byte("HTTP/1.1")
	space     = []byte(" ")
)

// errorFile returns the errorfile that replaces the proxy's reply with
// status, looked up as HAProxy does: the backend's once one is chosen,
// else the frontend's; nil when neither has one.
func (cc *clientConn) errorFile(status int) *config.ErrorFile {
	if cc.be != nil {
		if f := cc.be.proxy.ErrorFile(status); f != nil {
			return f
		}
	}
	return cc.fe.proxy.ErrorFile(status)
}

// answer returns the segments refusing the request in flight with r, the
// byte count the log shows for them, and whether the connection stays open
// after them. An errorfile for r's status takes r's place, sent as HAProxy
// sends it: an empty one sends nothing and closes; otherwise the connection
// stays open when the client keeps it, its request was read whole, and the
// reply's length is known. HAProxy writes "connection: keep-alive" to keep
// an HTTP/1.0 client or after an HTTP/1.0 reply, and "connection: close" to
// close after an HTTP/1.1 reply; a reply to HEAD goes without its body. The
// log counts what HAProxy's %B counts for an errorfile (its size in
// HAProxy's internal form), and as much for a built-in reply. The
// segments are views of r or of the errorfile, in the loop's iov: the
// caller clears it once written.
func (cc *clientConn) answer(r *reply) (iov [][]byte, logged int64, keep bool) {
	head, body, http10, closes, ownConn := r.head, r.body, false, r.close, r.close && !r.announce
	f := cc.errorFile(statusOf(r))
	if f != nil {
		if f.Empty() {
			return cc.ls.iov[:0], 0, false
		}
		head, body, http10, closes, ownConn = f.Head, f.Body, f.HTTP10, f.Close, false
	}
	if cc.x.req.MethodID == h1.MethodHEAD {
		body = nil
	}
	keep = cc.keep && !closes && cc.reqBody.done
	iov = append(cc.ls.iov[:0], head)
	switch {
	case keep && (http10 || cc.x.req.Minor == 0):
		iov = append(iov, connKeep)
	case !keep && !http10 && !ownConn:
		iov = append(iov, connClose)
	}
	iov = append(iov, crlf, body)
	if f != nil {
		return iov, int64(f.Size - len(f.Body) + len(body)), keep
	}
	return iov, int64(r.size + len(body)), keep
}

// rawAnswer returns the segments of r, a reply to a request that could not
// be read or did not come in time. HAProxy sends its own such replies
// whatever the errorfiles say, except that an empty errorfile of the
// frontend for the status (`errorfile 408 /dev/null`) silences them: the
// connection then closes without a word. The segments are in the loop's
// iov, as for answer.
func (cc *clientConn) rawAnswer(r *reply) [][]byte {
	if f := cc.fe.proxy.ErrorFile(statusOf(r)); f != nil && f.Empty() {
		return cc.ls.iov[:0]
	}
	return append(cc.ls.iov[:0], r.head, crlf, r.body)
}

// itoa formats a small non-negative number (at build time only).
func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
