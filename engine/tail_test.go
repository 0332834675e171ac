package engine

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// tailHandler answers each client 50 ms after its peer shut down its write
// side, through a Tail, as a proxy waiting for its server would.
type tailHandler struct {
	adopted chan error
}

func (h *tailHandler) Accept(l *Loop, _ *Listener, _ gnet.Conn) Endpoint {
	te := &tailEndpoint{h: h, l: l}
	te.timer.Init(te.answer)
	return te
}

func (h *tailHandler) Drain(*Loop) {}

type tailEndpoint struct {
	h     *tailHandler
	l     *Loop
	got   []byte
	tail  *Tail
	timer Timer
}

func (te *tailEndpoint) OnOpen(gnet.Conn) gnet.Action { return gnet.None }

func (te *tailEndpoint) OnTraffic(c gnet.Conn) gnet.Action {
	buf, _ := c.Peek(-1)
	te.got = append(te.got, buf...)
	_, _ = c.Discard(len(buf))
	return gnet.None
}

func (te *tailEndpoint) OnClose(c gnet.Conn, err error) {
	if !errors.Is(err, io.EOF) {
		te.h.adopted <- err
		return
	}
	te.tail, err = AdoptTail(te.l, c, time.Second)
	te.h.adopted <- err
	if err == nil {
		te.l.Schedule(&te.timer, 50*time.Millisecond)
	}
}

func (te *tailEndpoint) answer() {
	big := make([]byte, 8<<20) // more than the socket buffers take at once
	_, _ = te.tail.Write([]byte("pong:"))
	_, _ = te.tail.Write(te.got)
	_, _ = te.tail.Write(big)
	te.tail.Close()
	if _, err := te.tail.Write([]byte("late")); err == nil {
		panic("Write after Close succeeded")
	}
}

func TestTailAnswersHalfClosedClient(t *testing.T) {
	t.Parallel()
	h := &tailHandler{adopted: make(chan error, 1)}
	s, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	if err := waitErr(t, h.adopted, 5*time.Second); err != nil {
		t.Fatalf("AdoptTail: %v", err)
	}
	if s.Clients() != 1 {
		t.Errorf("Clients() = %d with a tail open, want 1", s.Clients())
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	if want := len("pong:ping") + 8<<20; len(b) != want || string(b[:9]) != "pong:ping" {
		t.Fatalf("read %d bytes starting %q, want %d starting %q", len(b), b[:min(9, len(b))], want, "pong:ping")
	}
	if !within(2*time.Second, func() bool { return s.Clients() == 0 && s.fds.Load() == 0 }) {
		t.Errorf("counts after the tail closed: %d clients, %d sockets", s.Clients(), s.fds.Load())
	}
}
