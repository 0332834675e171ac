package accesslog

import (
	"net/netip"
	"time"

	"tether/engine/config"
)

// Termination is the first character of the termination state (%tsc): the
// first event that ended the session (HAProxy's SF_ERR_* values).
type Termination uint8

const (
	TermNone          Termination = iota // '-': normal completion, both sides closed with nothing left in buffers
	TermLocal                            // 'L': processed locally (redirect, stats), never passed to a server
	TermClientTimeout                    // 'c': the client-side timeout expired
	TermClientAbort                      // 'C': the client aborted the session
	TermServerTimeout                    // 's': the server-side timeout expired
	TermServerAbort                      // 'S': the server aborted the session or refused the connection
	TermProxy                            // 'P': the proxy aborted it (limits, deny, invalid message)
	TermResource                         // 'R': a proxy resource (memory, sockets, ports) was exhausted
	TermInternal                         // 'I': an internal error found by a self-check
	TermDown                             // 'D': killed because the server went down
	TermKilled                           // 'K': killed by an administrator
	TermUp                               // 'U': killed on a backup server because an active one came up
)

// termLetters are the letters of the Termination values, in order.
const termLetters = "-LcCsSPRIDKU"

// Letter returns the character HAProxy logs for t, '?' for an unknown value.
func (t Termination) Letter() byte {
	if int(t) < len(termLetters) {
		return termLetters[t]
	}
	return '?'
}

// Finish is the second character of the termination state (%tsc): where
// the session was when it ended (HAProxy's SF_FINST_* values).
type Finish uint8

const (
	FinishNone    Finish = iota // '-': normal completion after the data transfer
	FinishRequest               // 'R': waiting for a complete, valid request from the client
	FinishConnect               // 'C': waiting for the connection to the server to establish
	FinishHeaders               // 'H': waiting for complete, valid response headers from the server
	FinishData                  // 'D': in the data phase
	FinishLast                  // 'L': sending the last data to the client after the server had finished
	FinishQueue                 // 'Q': waiting in a queue for a connection slot
	FinishTarpit                // 'T': the request was tarpitted
)

// finishLetters are the letters of the Finish values, in order.
const finishLetters = "-RCHDLQT"

// Letter returns the character HAProxy logs for f, '?' for an unknown value.
func (f Finish) Letter() byte {
	if int(f) < len(finishLetters) {
		return finishLetters[f]
	}
	return '?'
}

// Samples evaluates sample expressions of a log-format line over the
// exchange being logged. Sample returns what p gives, a view valid until
// the next call, and false when it has nothing to give.
type Samples interface {
	Sample(p *config.FormatPart) ([]byte, bool)
}

// Record holds every field of one httplog line. The engine keeps one per
// connection and refills it for each request; nothing in it is retained
// by this package after the call that reads it returns.
//
// The byte slices are views into the connection's buffers (or any memory
// the caller owns) and need only stay valid until AppendHTTPLog or
// Logger.LogHTTP returns. Times are milliseconds; -1 is printed as HAProxy
// prints it, for an event that never happened.
type Record struct {
	Client netip.AddrPort // %ci:%cp; the zero value prints "-:-"
	Accept time.Time      // %tr: when the first byte of this request arrived (HAProxy's request date), printed in local time

	Frontend string // %ft
	Backend  string // %b: the backend, or the frontend when none was chosen
	Server   string // %s: the last server tried; "" prints "<NOSRV>"

	TR int // %TR: first byte to end of request head; -1 when never complete
	Tw int // %Tw: time in queues; -1 when the queue was never reached
	Tc int // %Tc: time to connect to the server, with retries; -1 when never connected
	Tr int // %Tr: connected to end of response head; -1 when never received
	Ta int // %Ta: first byte of request to last byte of response

	Status int // %ST: status sent to the client (HAProxy prints -1 when none)
	// BytesOut is %B: the response as HAProxy counts it, in its internal
	// form rather than on the wire: for a server's response, the start
	// line's parts plus 20, each field's name and value as HAProxy's
	// parser keeps them, 1 for the end of the head, the body's data and,
	// for a chunked body, its trailer fields and 1; then a tunnel's bytes.
	BytesOut int64

	// %CC and %CS: the `capture cookie` text ("name=value", cut at the
	// capture length) from the request and from the response. nil prints
	// "-"; the bytes are printed as they are, as HAProxy does.
	CapturedRequestCookie  []byte
	CapturedResponseCookie []byte

	Term   Termination // %tsc, 1st character
	Finish Finish      // %tsc, 2nd character
	// Cookie holds the %tsc 3rd and 4th characters: the request and
	// response persistence cookie letters, as persist's Table.LogFlags
	// returns them. A zero byte prints '-', as HAProxy does when the
	// backend has no rewrite, insert, prefix or indirect cookie.
	Cookie [2]byte

	// %hr and %hs: the values `capture request header` and `capture
	// response header` took, one per line of the frontend, in order, each
	// already cut at its length. nil prints nothing: a frontend without
	// such lines, or a request that could not be parsed (HAProxy prints no
	// capture then). An empty value prints empty.
	RequestHeaders, ResponseHeaders [][]byte

	ActConn  int  // %ac: connections on the process
	FeConn   int  // %fc: connections on the frontend
	BeConn   int  // %bc: connections on the backend, queued ones included
	SrvConn  int  // %sc: connections still active on the server
	Retries  int  // %rc: connection retries
	Redisp   bool // %rc is prefixed with '+': the session was redispatched
	SrvQueue int  // %sq: requests processed before this one in the server queue
	BeQueue  int  // %bq: requests processed before this one in the backend queue

	// %r: the request line as received. A nil Method prints "<BADREQ>",
	// for a request that could not be parsed.
	Method, URI, Version []byte

	// FrontendAddr (%fi:%fp) is the address the client connected to,
	// ServerAddr (%si:%sp) the server's and SourceAddr (%bi:%bp) the
	// proxy's end of the server connection; invalid print "-".
	FrontendAddr, ServerAddr, SourceAddr netip.AddrPort
	// Th and Ti are the handshake time and the idle time before the
	// request, in milliseconds (%Th, %Ti, and %Tq, %Tt, %Tu, %Td).
	Th, Ti int
	// LogCounter (%lc) counts the lines the frontend logged before this
	// one, ReqCounter (%rt) the requests the process received before it.
	LogCounter, ReqCounter int64
	// BytesIn (%U) is the request as HAProxy counts it, in its internal
	// form, as BytesOut counts the response.
	BytesIn int64
	// Hostname (%H) and PID (%pid) name the process.
	Hostname string
	PID      int

	// Samples evaluates the %[sample] expressions a log-format line prints
	// beyond the connection's addresses and the method: variables, the
	// unique ID, constants. nil prints "-" for them.
	Samples Samples
	// Format is the frontend's `log-format`, nil for httplog's line.
	Format config.LogFormat

	// Early is set under `option logasap`, whose lines go out once the
	// response head is (or at the end of an exchange without a server's
	// response): Ta and BytesOut are what they were then, printed with a
	// '+' before them, as HAProxy prints them.
	Early bool

	// RequestBytes counts the bytes received from the client for this
	// request (HAProxy's %U). It is not printed; with `option dontlognull`
	// a record with none is not logged (see Null).
	RequestBytes int64
}

// Null reports whether the client sent nothing for this request. With
// `option dontlognull`, HAProxy logs no such session: a connection
// opened and closed without a byte, which would otherwise be logged as a
// 400 "<BADREQ>" with state "CR".
func (r *Record) Null() bool { return r.RequestBytes == 0 }

// Error reports whether HAProxy 2.6 deems the exchange failed, for
// `option dontlog-normal` and `option log-separate-errors`: it was
// redispatched, it ended on an event worse than a local reply ('L'), it
// ended well after connection retries, or its status is 500 or above.
func (r *Record) Error() bool {
	return r.Redisp || r.Term > TermLocal || r.Term == TermNone && r.Retries > 0 || r.Status >= 500
}
