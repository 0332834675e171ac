package engine

import (
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// timedHandler closes each client after a timeout armed on its loop.
type timedHandler struct {
	after time.Duration
	fired chan time.Duration // how long after OnOpen the loop clock says it fired
}

func (h *timedHandler) Accept(l *Loop, _ *Listener, c gnet.Conn) Endpoint {
	if l.Server() == nil || l.EventLoop() != c.EventLoop() {
		return nil
	}
	tc := &timedConn{h: h, l: l, c: c}
	tc.timer.Init(tc.expire)
	return tc
}

func (h *timedHandler) Drain(*Loop) {}

type timedConn struct {
	h      *timedHandler
	l      *Loop
	c      gnet.Conn
	timer  Timer
	opened time.Time
}

func (tc *timedConn) OnOpen(gnet.Conn) gnet.Action {
	tc.opened = tc.l.Now()
	tc.l.Schedule(&tc.timer, tc.h.after)
	return gnet.None
}

func (tc *timedConn) OnTraffic(gnet.Conn) gnet.Action { return gnet.None }
func (tc *timedConn) OnClose(gnet.Conn, error)        { tc.timer.Stop() }

func (tc *timedConn) expire() {
	tc.h.fired <- tc.l.Now().Sub(tc.opened)
	_ = tc.c.Close()
}

func TestLoopTimersAndClock(t *testing.T) {
	h := &timedHandler{after: 120 * time.Millisecond, fired: make(chan time.Duration, 4)}
	_, lns := serve(t, Config{Loops: 2, Tick: 20 * time.Millisecond}, h, "127.0.0.1:0")
	start := time.Now()
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	var d time.Duration
	select {
	case d = <-h.fired:
	case <-time.After(5 * time.Second):
		t.Fatal("timer never fired")
	}
	if d < 120*time.Millisecond {
		t.Errorf("loop clock advanced %v when a 120 ms timer fired", d)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Fatal("client not closed by its timer")
	}
	if e := time.Since(start); e < 120*time.Millisecond {
		t.Errorf("closed after %v, before the timeout", e)
	}
}
