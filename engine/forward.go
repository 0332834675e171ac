package engine

// Sink is where a connection's bytes go: a gnet.Conn, or a Tail.
type Sink interface {
	Outbound
	Write(p []byte) (int, error)
	Writev(bs [][]byte) (int, error)
}

// Source is where a connection's bytes come from: a gnet.Conn, or a
// client's inbox. Peek(-1) returns everything buffered, as a view valid
// until the next Discard or the end of the callback; Discard(n) drops the
// first n bytes (gnet's Discard(0) drops everything: never pass 0).
type Source interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// Forward moves up to limit bytes (all if limit < 0) of what src has
// buffered to dst: it writes them to dst first and discards them from src
// only once dst has taken them (gnet copies what the socket does not take
// at once). It returns the number of bytes moved.
//
// ok is false when the write failed: gnet has then closed dst inside the
// write and run dst's OnClose right there, in the middle of the caller's
// callback. The caller must re-check its own state before touching either
// connection again, and should end src by returning gnet.Close from src's
// callback (or its asynchronous Close from elsewhere). Nothing is
// discarded from src then.
func Forward(src Source, dst Sink, limit int) (n int, ok bool) {
	buf, _ := src.Peek(-1)
	if limit >= 0 && len(buf) > limit {
		buf = buf[:limit]
	}
	if len(buf) == 0 {
		return 0, true
	}
	if _, err := dst.Write(buf); err != nil {
		return 0, false
	}
	n, _ = src.Discard(len(buf))
	return n, true
}

// discard is a Sink that drops what it is given.
type discard struct{}

func (discard) OutboundBuffered() int { return 0 }

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func (discard) Writev(bs [][]byte) (int, error) {
	n := 0
	for _, b := range bs {
		n += len(b)
	}
	return n, nil
}
