package engine

import (
	"errors"

	"tether/h1"
)

// HAProxy 2.6 carries no transfer coding but chunked. A request that lists
// another one before a final chunked gets a 422, and one whose codings do
// not end with a single chunked a 400; a response that lists another one
// is invalid (502). The h1 scanner follows RFC 9112 instead (it forwards
// the common codings and refuses unknown ones with a 501), so the engine
// reads the Transfer-Encoding fields again when they carry more than
// chunked, as HAProxy reads them.

// errTransferCoding: a response lists a transfer coding other than chunked.
var errTransferCoding = errors.New("engine: transfer coding other than chunked")

// reply422 is HAProxy's answer to a request with a transfer coding other
// than chunked.
var reply422 = bareReply("422 Unprocessable Content", errBody422)

const errBody422 = "<html><body><h1>422 Unprocessable Content</h1>\nThe server cannot process the contained instructions.\n</body></html>\n"

// teCodings is what the Transfer-Encoding fields of a head list, read as
// HAProxy does: comma-separated words with blanks trimmed, where any word
// but "chunked" (case-insensitive), an empty one or one with parameters
// included, is another coding.
type teCodings struct {
	other   bool // a coding other than chunked
	chunked bool // the last word is chunked
	twice   bool // chunked is listed more than once
	after   bool // a coding follows chunked
}

// readTE reads the Transfer-Encoding fields of h, whose bytes are buf.
func readTE(h *h1.Header, buf []byte) teCodings {
	var tc teCodings
	seen := false
	for i := range h.Fields {
		if h.Fields[i].ID != h1.FieldTransferEncoding {
			continue
		}
		v := h.Value(buf, i)
		for p := 0; ; {
			for p < len(v) && (v[p] == ' ' || v[p] == '\t') {
				p++
			}
			if p >= len(v) {
				break
			}
			n := p
			for n < len(v) && v[n] != ',' {
				n++
			}
			e := n
			for e > p && (v[e-1] == ' ' || v[e-1] == '\t') {
				e--
			}
			if h1.EqualFold(v[p:e], "chunked") {
				tc.twice = tc.twice || seen
				seen, tc.chunked = true, true
			} else {
				tc.after = tc.after || seen
				tc.other, tc.chunked = true, false
			}
			p = n + 1
		}
	}
	return tc
}

// requestTE returns the status HAProxy answers a request with for its
// Transfer-Encoding fields when h1 accepted it as chunked or refused it
// for an unknown coding (err), or 0 to go on as h1 decided.
func requestTE(r *h1.Request, buf []byte, err error) int {
	if err != h1.ErrUnknownCoding && (err != nil || r.Framing != h1.BodyChunked) {
		return 0
	}
	tc := readTE(&r.Header, buf)
	switch {
	case !tc.chunked || tc.twice || tc.after:
		return 400
	case tc.other:
		return 422
	}
	return 0
}
