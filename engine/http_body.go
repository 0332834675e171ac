package engine

import (
	"bytes"
	"errors"

	"tether/h1"
)

// maxChunkRuns bounds the chunk data runs re-framed in one writev.
const maxChunkRuns = 64

// errWrite: writing to the peer failed; gnet has closed it (and run its
// OnClose) inside the write.
var errWrite = errors.New("engine: write to peer failed")

// replyBadBody answers a request whose body broke its framing (a chunk,
// or the trailer section) before any response began, as HAProxy does:
// its 400 in the form of the replies it makes after a head was parsed.
var replyBadBody = httpReply("400 Bad request", errBody400)

// lastChunk is the last-chunk line of a re-chunked body; the trailer
// section follows it as the decoder hands it out.
var lastChunk = []byte("0\r\n")

// body follows one message body as it streams from a producer to a
// consumer connection, never holding more of it than one read.
type body struct {
	framing h1.Framing
	left    int64 // BodyLength: bytes still to come
	dec     *h1.ChunkedDecoder
	done    bool
	sent    int64 // bytes written to the consumer
	data    int64 // BodyChunked: what logged counts of them
}

// HAProxy's %B counts a message in its internal form: a start line as its
// three parts plus htxStartLine, the names and values of the fields, one
// byte for the end of the head, a body's data without its chunk framing,
// and for a chunked body its trailer fields and one byte for their end.
const (
	htxStartLine = 20
	htxEndOfHead = 1
	htxEndOfTail = 1
)

// logged returns what HAProxy's %B counts for the body bytes written so
// far.
func (b *body) logged() int64 {
	if b.framing == h1.BodyChunked {
		return b.data
	}
	return b.sent
}

// start prepares b for the body announced by h; dec is the connection's
// decoder, used for chunked bodies.
func (b *body) start(h *h1.Header, dec *h1.ChunkedDecoder) {
	*b = body{framing: h.Framing, dec: dec}
	switch h.Framing {
	case h1.BodyNone, h1.BodyTunnel:
		b.done = true
	case h1.BodyLength:
		b.left = h.ContentLength
		b.done = b.left == 0
	case h1.BodyChunked:
		dec.Reset()
	}
}

// oneContentLength edits field i of head h, a Content-Length that came as
// a list or repeated (identical values, as the scanner checked): the first
// such field keeps the last value of its list, as HAProxy forwards it, and
// the others go. seen tells whether the first one has passed.
func oneContentLength(ed *h1.Editor, h []byte, f *h1.Field, i int, seen *bool) error {
	if *seen {
		return ed.DeleteField(i)
	}
	*seen = true
	v := f.Value.Bytes(h)
	j := len(v)
	for j > 0 && v[j-1] >= '0' && v[j-1] <= '9' {
		j--
	}
	return ed.ReplaceValue(i, v[j:])
}

// trailersValue is the TE value forwarded for a TE that offers trailers.
var trailersValue = []byte("trailers")

// offersTrailers reports whether a TE value is forwarded, as HAProxy
// decides it: TE is hop-by-hop, but HAProxy, which forwards trailer
// sections, passes "trailers" on when the value holds that word (case
// counts) followed by a comma or nothing, and drops the other codings.
func offersTrailers(v []byte) bool {
	i := bytes.Index(v, trailersValue)
	return i >= 0 && (i+len(trailersValue) == len(v) || v[i+len(trailersValue)] == ',')
}

// keepTrailersOnly edits field i of head h, a TE that offersTrailers, to
// "trailers" alone.
func keepTrailersOnly(ed *h1.Editor, h []byte, f *h1.Field, i int) error {
	if bytes.Equal(f.Value.Bytes(h), trailersValue) {
		return nil
	}
	return ed.ReplaceValue(i, trailersValue)
}

// firstChunks checks the chunked body bytes that came with a head, at most
// a buffer of them, with dec, which the body's start resets afterwards:
// HAProxy parses what its buffer holds of a chunked body before it
// forwards the head, so a broken chunk there refuses the message (400
// PR for a request, 502 PH for a response) instead of cutting it.
func firstChunks(dec *h1.ChunkedDecoder, b []byte, bufSize int) error {
	b = b[:min(len(b), bufSize)]
	dec.Reset()
	for pos := 0; pos < len(b) && !dec.Done(); {
		n, _, err := dec.Next(b[pos:])
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		pos += n
	}
	return nil
}

// none marks b as an empty body (HEAD, 204, 304, or a request without one).
func (b *body) none() { *b = body{done: true} }

// pump moves what src holds of the body to dst and discards it from src.
// It returns errWrite when the write failed (dst is closed), or the
// framing error of a broken chunked body (nothing more can be forwarded).
// Bytes after the end of the body stay in src.
func (b *body) pump(ls *loopState, src Source, dst Sink) error {
	if b.done {
		return nil
	}
	switch b.framing {
	case h1.BodyLength:
		n, ok := Forward(src, dst, int(min(b.left, 1<<30)))
		if !ok {
			return errWrite
		}
		b.left -= int64(n)
		b.sent += int64(n)
		b.done = b.left == 0
	case h1.BodyUntilClose:
		n, ok := Forward(src, dst, -1)
		if !ok {
			return errWrite
		}
		b.sent += int64(n)
	case h1.BodyChunked:
		return b.rechunk(ls, src, dst)
	}
	return nil
}

// rechunk forwards the chunk data src holds under a clean framing of its
// own, as HAProxy 2.6 writes it: the data runs of one read in one chunk
// whose size is in upper-case hexadecimal, extensions dropped, then the
// trailer section as HAProxy forwards it. The decoder consumes the trailer
// section only once it has come whole, so until then its bytes stay in src.
func (b *body) rechunk(ls *loopState, src Source, dst Sink) error {
	for !b.done {
		buf, _ := src.Peek(-1)
		if len(buf) == 0 {
			return nil
		}
		iov := append(ls.iov[:0], nil) // the size line goes first, once the runs are known
		total := 0
		pos := 0
		held := false // the trailer section has not come whole
		var ferr error
		var sec []byte // the trailer section, once the body is done
		for runs := 0; pos < len(buf) && runs < maxChunkRuns && !b.dec.Done(); {
			n, data, err := b.dec.Next(buf[pos:])
			if err != nil {
				ferr = err
				break
			}
			if data.Len() > 0 {
				b.data += int64(data.Len())
				total += data.Len()
				iov = append(iov, data.Bytes(buf[pos:]))
				runs++
			}
			if b.dec.Done() {
				sec = buf[pos : pos+n]
				b.data += htxEndOfTail + int64(b.dec.TrailerBytes(sec))
				b.done = true
			}
			pos += n
			if n == 0 {
				held = true
				break
			}
		}
		if total > 0 {
			iov[0] = appendHexUpper(ls.sizes[:0], total)
			iov = append(iov, crlf)
		} else {
			iov = iov[1:]
		}
		if b.done {
			iov = append(iov, lastChunk)
			iov = b.dec.AppendTrailer(iov, sec)
		}
		for _, s := range iov {
			b.sent += int64(len(s))
		}
		if len(iov) > 0 {
			if _, err := dst.Writev(iov); err != nil {
				return errWrite
			}
		}
		if pos > 0 {
			_, _ = src.Discard(pos) // gnet's Discard(0) would drop everything
		}
		clear(iov)
		ls.iov[:1][0] = nil // the size line's place, left out of iov when empty
		if ferr != nil {
			return ferr
		}
		if pos < len(buf) && !b.done && !held {
			continue // more runs than one writev takes
		}
		return nil
	}
	return nil
}

// appendHexUpper appends n in upper-case hexadecimal and a CRLF: a chunk
// size line as HAProxy writes it.
func appendHexUpper(b []byte, n int) []byte {
	const digits = "0123456789ABCDEF"
	var tmp [16]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = digits[n&0xf]
		if n >>= 4; n == 0 {
			break
		}
	}
	b = append(b, tmp[i:]...)
	return append(b, '\r', '\n')
}
