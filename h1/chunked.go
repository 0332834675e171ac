package h1

// ChunkedDecoder follows a chunked body (RFC 9112 section 7.1) as it
// streams through a connection's buffer, without copying it. It checks the
// framing, enforces the limits and reports where the chunk data lie, so the
// engine can forward the data under a framing of its own. The trailer
// section is checked whole, as HAProxy 2.6 parses it, and handed out for
// forwarding (chunked_trailer.go). A ChunkedDecoder belongs to one body at
// a time and is not safe for concurrent use.
type ChunkedDecoder struct {
	maxExt     int
	maxTrailer int
	maxFields  int

	state  cstate
	size   int64       // size of the chunk being read, then its data left to read
	digits int         // digits of the chunk size seen
	ext    int         // extension bytes seen on the chunk-size line
	tr     trailerScan // the trailer section's scan, once the last chunk has come
}

// cstate is where the decoder stands in the chunked body.
type cstate uint8

const (
	cSize         cstate = iota // in the chunk-size digits
	cSizeWS                     // in whitespace after the size, before ";"
	cExt                        // in chunk extensions
	cSizeLF                     // after the CR ending a chunk-size line
	cData                       // in chunk data
	cDataCR                     // expecting the CR after chunk data
	cDataLF                     // expecting the LF after chunk data
	cTrailerStart               // at the start of a trailer line or of the final CRLF
	cTrailerName                // in a trailer field name
	cTrailerValue               // in a trailer field value
	cTrailerLF                  // after the CR ending a trailer line
	cEndLF                      // after the CR of the final CRLF
	cDone                       // the body has ended
)

// maxChunkDigits bounds the hexadecimal digits of a chunk size, leading
// zeros included; sixteen digits fit any size below 2^63 once the top one
// is checked.
const maxChunkDigits = 16

// NewChunkedDecoder returns a decoder at the start of a chunked body, bound
// by l.MaxChunkExt, l.MaxTrailer and, for the trailer fields, l.MaxHeaders.
func NewChunkedDecoder(l Limits) *ChunkedDecoder {
	l.check()
	return &ChunkedDecoder{maxExt: l.MaxChunkExt, maxTrailer: l.MaxTrailer, maxFields: l.MaxHeaders - 1}
}

// Reset prepares the decoder for a new body under the same limits.
func (d *ChunkedDecoder) Reset() {
	*d = ChunkedDecoder{maxExt: d.maxExt, maxTrailer: d.maxTrailer, maxFields: d.maxFields}
}

// Done reports whether the body has ended: the last chunk and the trailer
// section have been consumed.
func (d *ChunkedDecoder) Done() bool { return d.state == cDone }

// Next consumes the body bytes at the start of buf, which are the bytes
// that follow those consumed by earlier calls. It returns how many it
// consumed and, within buf[:n], the chunk data found, if any (an empty
// span otherwise). Next stops after each run of data and after the
// last-chunk line, so call it again on buf[n:] until it has consumed all of
// buf or Done reports the end; bytes after the end belong to the next
// message. A chunk line cut by the end of buf is consumed and remembered,
// never rescanned.
//
// The trailer section is consumed whole or not at all: until its final
// CRLF has come, Next returns 0 and the caller keeps the bytes, then calls
// again with a buf that starts at the same byte and holds more; the
// decoder resumes where it stopped scanning. The call that consumes the
// section makes Done true, and buf[:n] of that call is the section, final
// CRLF included, to be handed to AppendTrailer.
//
// On error, n is the offset where the framing broke and the body cannot be
// forwarded.
func (d *ChunkedDecoder) Next(buf []byte) (n int, data Span, err error) {
	if d.state >= cTrailerStart && d.state < cDone {
		return d.trailerSection(buf)
	}
	i := 0
	for i < len(buf) {
		c := buf[i]
		switch d.state {
		case cSize:
			if v := hexVal[c]; v != 0xff {
				if d.digits == maxChunkDigits || d.size>>48 != 0 { // below 2^52, HAProxy's bound
					return i, Span{}, ErrChunkSize
				}
				d.size = d.size<<4 | int64(v)
				d.digits++
				i++
				continue
			}
			if d.digits == 0 {
				return i, Span{}, ErrChunkSize
			}
			switch c {
			case ';':
				d.state = cExt
			case ' ', '\t':
				d.state = cSizeWS
			case '\r':
				d.state = cSizeLF
			default:
				return i, Span{}, ErrChunkSize
			}
			i++
		case cSizeWS:
			switch c {
			case ' ', '\t':
			case ';':
				d.state = cExt
			default:
				return i, Span{}, ErrChunkExtension
			}
			i++
			if d.ext++; d.ext > d.maxExt {
				return i, Span{}, ErrChunkExtension
			}
		case cExt:
			lim := min(len(buf), i+d.maxExt-d.ext)
			j := i
			for j < lim && isFieldValue[buf[j]] {
				j++
			}
			d.ext += j - i
			i = j
			if i == len(buf) {
				break
			}
			if buf[i] != '\r' {
				return i, Span{}, ErrChunkExtension
			}
			d.state = cSizeLF
			i++
		case cSizeLF:
			if c != '\n' {
				return i, Span{}, ErrBareCR
			}
			i++
			d.digits, d.ext = 0, 0
			d.state = cData
			if d.size == 0 {
				d.state = cTrailerStart
				d.tr = trailerScan{clen: -1}
				return i, Span{}, nil
			}
		case cData:
			k := len(buf) - i
			if int64(k) > d.size {
				k = int(d.size)
			}
			d.size -= int64(k)
			if d.size == 0 {
				d.state = cDataCR
			}
			return i + k, span(i, i+k), nil
		case cDataCR:
			if c != '\r' {
				return i, Span{}, ErrChunkData
			}
			i++
			d.state = cDataLF
		case cDataLF:
			if c != '\n' {
				return i, Span{}, ErrChunkData
			}
			i++
			d.state = cSize
		case cDone:
			return i, Span{}, nil
		}
	}
	return i, Span{}, nil
}
