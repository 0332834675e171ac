package h1

// Span is a range of offsets [Off, End) into the window a message was
// scanned from. It is not a slice: it stays valid when the caller moves or
// copies the window, and it means something only together with that window.
type Span struct {
	Off, End uint32
}

// Len returns the number of bytes the span covers.
func (s Span) Len() int { return int(s.End - s.Off) }

// Bytes returns the bytes of s in buf: a view into buf, valid as long as
// buf's bytes are.
func (s Span) Bytes(buf []byte) []byte { return buf[s.Off:s.End] }

// FieldID names the fields the scanner acts on or that tether's other
// packages look for. Every other field is FieldOther.
type FieldID uint8

// Field identities.
const (
	FieldOther            FieldID = iota // any field not listed below
	FieldHost                            // Host
	FieldContentLength                   // Content-Length
	FieldTransferEncoding                // Transfer-Encoding
	FieldConnection                      // Connection
	FieldProxyConnection                 // Proxy-Connection
	FieldKeepAlive                       // Keep-Alive
	FieldTE                              // TE
	FieldTrailer                         // Trailer
	FieldUpgrade                         // Upgrade
	FieldExpect                          // Expect
	FieldCookie                          // Cookie
	FieldSetCookie                       // Set-Cookie
	FieldCacheControl                    // Cache-Control
)

// Field is one field line. Name holds the name as it arrived (its case is
// kept); Value holds the value without leading and trailing whitespace.
type Field struct {
	Name, Value Span
	ID          FieldID
}

// Framing says how the body that follows a head is delimited.
type Framing uint8

// Framings (RFC 9112 section 6.3).
const (
	BodyNone       Framing = iota // no body follows the head
	BodyLength                    // ContentLength bytes follow
	BodyChunked                   // a chunked body follows; use ChunkedDecoder
	BodyUntilClose                // the body runs until the server closes (responses only)
	BodyTunnel                    // the connection becomes a tunnel (101, or 2xx to CONNECT)
)

// Flags record what the head says about the connection and the exchange.
type Flags uint16

// Flag bits.
const (
	FlagConnClose      Flags = 1 << iota // Connection lists "close"
	FlagConnKeepAlive                    // Connection lists "keep-alive"
	FlagConnUpgrade                      // Connection lists "upgrade"
	FlagConnOther                        // Connection lists other options: fields HopByHop reports
	FlagUpgrade                          // an Upgrade field is present
	FlagWebSocket                        // Upgrade lists "websocket"
	FlagH2C                              // Upgrade lists "h2c" (HTTP/2 over cleartext)
	FlagExpectContinue                   // Expect is "100-continue"
	FlagRemoveCL                         // Transfer-Encoding and Content-Length both came: remove Content-Length before forwarding
	FlagMustClose                        // framing was ambiguous: close the connection after this exchange
	FlagCLList                           // Content-Length came as a list or repeated (all identical): forward one value
)

// Header is the part of a scanned head common to requests and responses.
// Every Span in it indexes the window given to the Scanner: the bytes it
// names live as long as the caller keeps that window's bytes. A Header is
// reused from message to message and is not safe for concurrent use.
type Header struct {
	// Fields lists the field lines in order. Its backing array is allocated
	// once, with room for Limits.MaxHeaders-1 fields, and reused.
	Fields []Field
	// Head spans the head from the first byte of the start line to the end
	// of the empty line that ends it. Off is above 0 when empty lines
	// preceded a request line; End is the number of bytes scanned.
	Head Span
	// Minor is the HTTP minor version: 0 or 1.
	Minor uint8
	// Framing says how the body is delimited.
	Framing Framing
	// Flags record connection options and framing repairs.
	Flags Flags
	// ContentLength is the declared body length, or -1 without one or when
	// Transfer-Encoding overrides it.
	ContentLength int64

	te teState // Transfer-Encoding as far as scanned
}

// teState accumulates Transfer-Encoding field lines.
type teState uint8

const (
	teSeen      teState = 1 << iota // a Transfer-Encoding field came
	teChunked                       // chunked was listed
	teLast                          // the last coding listed is chunked
	teTwice                         // chunked was listed twice, or a coding follows it
	teUnknown                       // a coding other than the known ones was listed
	teParameter                     // chunked carried a parameter
)

// Method identifies the request methods the framing rules depend on, and
// the common ones. Every other method is MethodOther.
type Method uint8

// Methods.
const (
	MethodOther Method = iota
	MethodGET
	MethodHEAD
	MethodPOST
	MethodPUT
	MethodDELETE
	MethodCONNECT
	MethodOPTIONS
	MethodTRACE
	MethodPATCH
)

// TargetForm is the form of a request target (RFC 9112 section 3.2).
type TargetForm uint8

// Target forms.
const (
	FormOrigin    TargetForm = iota // "/path?query"
	FormAbsolute                    // "http://authority/path"; Authority spans the authority
	FormAuthority                   // "host:port", for CONNECT
	FormAsterisk                    // "*", for OPTIONS
)

// Request is a scanned request head. See Header for the life of its spans.
type Request struct {
	Header
	Method    Span
	Target    Span
	Version   Span
	MethodID  Method
	Form      TargetForm
	Authority Span // the authority of an absolute or authority-form target
	Host      int  // index in Fields of the Host field, or -1

	defaultPort string // the port an absolute-form target's scheme implies
}

// Response is a scanned response head. See Header for the life of its spans.
type Response struct {
	Header
	Version Span
	Code    Span // the three status digits
	Reason  Span // the reason phrase, possibly empty
	Status  int
}

// KeepAlive reports whether the connection may carry another exchange after
// this message, from the version, the Connection options and the framing.
func (h *Header) KeepAlive() bool {
	if h.Flags&(FlagConnClose|FlagMustClose) != 0 || h.Framing == BodyUntilClose {
		return false
	}
	return h.Minor == 1 || h.Flags&FlagConnKeepAlive != 0
}

// Find returns the index of the first field at or after from whose name
// equals name, ignoring ASCII case, or -1. buf is the scanned window.
func (h *Header) Find(buf []byte, name string, from int) int {
	for i := from; i < len(h.Fields); i++ {
		n := h.Fields[i].Name
		if n.Len() == len(name) && EqualFold(buf[n.Off:n.End], name) {
			return i
		}
	}
	return -1
}

// Name returns the name of field i: a view into buf.
func (h *Header) Name(buf []byte, i int) []byte { return h.Fields[i].Name.Bytes(buf) }

// Value returns the value of field i: a view into buf.
func (h *Header) Value(buf []byte, i int) []byte { return h.Fields[i].Value.Bytes(buf) }

// EqualFold reports whether b and s are equal ignoring ASCII case. It does
// not allocate.
func EqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower[b[i]] != lower[s[i]] {
			return false
		}
	}
	return true
}

// equalFold reports whether a and b are equal ignoring ASCII case.
func equalFold(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lower[a[i]] != lower[b[i]] {
			return false
		}
	}
	return true
}

func (h *Header) reset(maxFields int) {
	if cap(h.Fields) < maxFields {
		h.Fields = make([]Field, 0, maxFields)
	}
	h.Fields = h.Fields[:0]
	h.Head = Span{}
	h.Minor = 0
	h.Framing = BodyNone
	h.Flags = 0
	h.ContentLength = -1
	h.te = 0
}
