package h1

import "errors"

// Error is a refusal: the message cannot be forwarded. Status is the HTTP
// status a server answers to a request refused this way; a proxy refusing a
// response answers 502 whatever Status says.
type Error struct {
	Status int    // HTTP status code for a refused request
	msg    string // text, prefixed with "h1: "
}

func (e *Error) Error() string { return e.msg }

func newError(status int, msg string) *Error { return &Error{Status: status, msg: "h1: " + msg} }

// ErrNeedMore says the window ends before the head (or the line being
// decoded) does. Call again with a window that starts at the same byte and
// holds more of the message.
var ErrNeedMore = errors.New("h1: need more bytes")

// Errors of the start line.
var (
	ErrMethod        = newError(400, "invalid method")
	ErrTarget        = newError(400, "invalid request target")
	ErrTargetTooLong = newError(414, "request target too long")
	ErrVersion       = newError(400, "invalid HTTP version")
	ErrHTTP09        = newError(400, "HTTP/0.9 request")
	ErrVersionNotSup = newError(505, "HTTP version not supported")
	ErrRequestLine   = newError(400, "malformed request line")
	ErrStatusLine    = newError(400, "malformed status line")
	ErrStatus        = newError(400, "invalid status code")
)

// Errors of the field section.
var (
	ErrBareCR           = newError(400, "CR not followed by LF")
	ErrBareLF           = newError(400, "LF not preceded by CR")
	ErrCTL              = newError(400, "control byte in field value")
	ErrFieldName        = newError(400, "invalid field name")
	ErrSpaceBeforeColon = newError(400, "whitespace between field name and colon")
	ErrObsFold          = newError(400, "obsolete line folding")
	ErrTooManyFields    = newError(400, "too many header fields")
	ErrHeadTooLarge     = newError(431, "header section too large")
	ErrMissingHost      = newError(400, "missing Host in HTTP/1.1 request")
	ErrDuplicateHost    = newError(400, "several Host fields")
	ErrHost             = newError(400, "invalid Host")
	ErrHostMismatch     = newError(400, "request target authority differs from Host")
)

// Errors of the message framing.
var (
	ErrContentLength    = newError(400, "invalid Content-Length")
	ErrTransferEncoding = newError(400, "chunked is not the final transfer coding, or is applied twice")
	ErrUnknownCoding    = newError(501, "unknown transfer coding")
	ErrTEInHTTP10       = newError(400, "Transfer-Encoding in an HTTP/1.0 message")
)

// Errors of a chunked body.
var (
	ErrChunkSize       = newError(400, "invalid chunk size")
	ErrChunkExtension  = newError(400, "invalid or too long chunk extension")
	ErrChunkData       = newError(400, "chunk data not followed by CRLF")
	ErrTrailer         = newError(400, "invalid trailer field")
	ErrTrailerTooLarge = newError(431, "trailer section too large")
)

// Errors of the editor.
var (
	ErrTooManyEdits = newError(500, "too many edits on one head")
	ErrEditOverlap  = newError(500, "edit overlaps an earlier edit")
	ErrEditValue    = newError(500, "replacement value holds CR, LF or a control byte")
	ErrEditLine     = newError(500, "appended line is not one CRLF-terminated field line")
)

// StatusOf returns the HTTP status for refusing a request with err: the
// Status of an *Error in err's chain, or 400 for any other non-nil error.
// It returns 0 for nil.
func StatusOf(err error) int {
	if err == nil {
		return 0
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 400
}
