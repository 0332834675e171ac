package h1

// Limits bound what a peer may make the scanner and the chunked decoder
// hold. The zero value is not usable; start from DefaultLimits.
type Limits struct {
	// BufSize is HAProxy's tune.bufsize: the size of a connection buffer.
	BufSize int
	// MaxRewrite is HAProxy's tune.maxrewrite: the part of the buffer kept
	// free for rewrites. A head may fill at most BufSize-MaxRewrite bytes.
	MaxRewrite int
	// MaxHeaders is HAProxy's tune.http.maxhdr. As in HAProxy, one slot is
	// reserved, so a head, and a trailer section, may hold at most
	// MaxHeaders-1 field lines.
	MaxHeaders int
	// MaxChunkExt bounds the bytes of extensions on one chunk-size line.
	MaxChunkExt int
	// MaxTrailer bounds the bytes of a trailer section, its final CRLF
	// included; it is at least 2.
	MaxTrailer int
}

// DefaultLimits returns HAProxy's defaults: tune.bufsize 16384,
// tune.maxrewrite 1024, tune.http.maxhdr 101, 4096 bytes for chunk
// extensions, and for trailers what a head may fill, as HAProxy parses a
// trailer section in its buffer as it parses a head.
func DefaultLimits() Limits {
	return Limits{BufSize: 16384, MaxRewrite: 1024, MaxHeaders: 101, MaxChunkExt: 4096, MaxTrailer: 16384 - 1024}
}

// maxHead is the largest head the limits admit.
func (l *Limits) maxHead() int { return l.BufSize - l.MaxRewrite }

func (l *Limits) check() {
	if l.BufSize <= l.MaxRewrite || l.MaxRewrite < 0 || l.MaxHeaders < 2 || l.MaxChunkExt < 0 || l.MaxTrailer < 2 || l.BufSize > 1<<31 {
		panic("BUG: h1: invalid Limits")
	}
}
