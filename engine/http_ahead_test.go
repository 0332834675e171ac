package engine

import "testing"

// TestInboxKept: while the socket is off the loop, an inbox serves the
// bytes it kept, in order, and is empty once they are consumed.
func TestInboxKept(t *testing.T) {
	in := inbox{kept: []byte("GET / HTTP/1.1\r\n\r\nrest")}
	if b, _ := in.Peek(3); string(b) != "GET" {
		t.Fatalf("Peek(3) = %q", b)
	}
	if n, _ := in.Discard(18); n != 18 || in.InboundBuffered() != 4 {
		t.Fatalf("Discard(18) = %d, %d left", n, in.InboundBuffered())
	}
	if b, _ := in.Peek(-1); string(b) != "rest" {
		t.Fatalf("Peek(-1) = %q", b)
	}
	if n, _ := in.Discard(100); n != 4 || in.kept != nil {
		t.Fatalf("Discard past the end = %d, kept %q", n, in.kept)
	}
	if b, _ := in.Peek(-1); len(b) != 0 {
		t.Fatalf("empty inbox peeks %q", b)
	}
	in.kept = []byte("abc")
	if n, _ := in.Discard(-1); n != 3 || in.InboundBuffered() != 0 {
		t.Fatalf("Discard(-1) = %d, %d left", n, in.InboundBuffered())
	}
}
