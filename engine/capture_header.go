package engine

import (
	"tether/engine/config"
	"tether/h1"
)

// headerCaptures holds what the frontend's `capture request header` and
// `capture response header` lines keep of one exchange (%hr and %hs): for
// each line, the value of the last field of that name, cut at the line's
// length. The values are copies in buf, so they outlive the heads they
// came from; req and resp view them, one entry per line, and are nil when
// the frontend has no such lines. It belongs to an exchange and is reset
// for each request; it allocates only when a frontend needs more room
// than any before it on that exchange.
type headerCaptures struct {
	buf       []byte
	req, resp [][]byte
}

// captureLen is the most a capture keeps: its length, but never more than
// a head can hold.
func captureLen(c config.CaptureHeader, l h1.Limits) int { return min(c.Len, l.BufSize) }

// reset prepares empty captures for the lines of fe.
func (h *headerCaptures) reset(fe *frontend, l h1.Limits) {
	h.req, h.resp = h.req[:0], h.resp[:0]
	reqs, resps := fe.proxy.CaptureRequest, fe.proxy.CaptureResponse
	if len(reqs) == 0 && len(resps) == 0 {
		h.req, h.resp = nil, nil
		return
	}
	need := 0
	for _, c := range reqs {
		need += captureLen(c, l)
	}
	for _, c := range resps {
		need += captureLen(c, l)
	}
	if cap(h.buf) < need {
		h.buf = make([]byte, need)
	}
	h.buf = h.buf[:need]
	off := 0
	slots := func(dst [][]byte, caps []config.CaptureHeader) [][]byte {
		if len(caps) == 0 {
			return nil
		}
		if dst == nil {
			dst = make([][]byte, 0, len(caps))
		}
		for _, c := range caps {
			n := captureLen(c, l)
			dst = append(dst, h.buf[off:off:off+n])
			off += n
		}
		return dst
	}
	h.req = slots(h.req, reqs)
	h.resp = slots(h.resp, resps)
}

// take records the fields of head h (its bytes in buf) that the lines caps
// capture into the views vals: the last field of each name wins.
func take(vals [][]byte, caps []config.CaptureHeader, h *h1.Header, buf []byte) {
	for i := range h.Fields {
		f := &h.Fields[i]
		name := f.Name.Bytes(buf)
		for k := range caps {
			if !h1.EqualFold(name, caps[k].Name) {
				continue
			}
			v := f.Value.Bytes(buf)
			vals[k] = append(vals[k][:0], v[:min(len(v), cap(vals[k]))]...)
		}
	}
}

// request captures from a request head.
func (h *headerCaptures) request(fe *frontend, r *h1.Header, buf []byte) {
	if h.req != nil {
		take(h.req, fe.proxy.CaptureRequest, r, buf)
	}
}

// response captures from a response head.
func (h *headerCaptures) response(fe *frontend, r *h1.Header, buf []byte) {
	if h.resp != nil {
		take(h.resp, fe.proxy.CaptureResponse, r, buf)
	}
}
