package engine

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// benchConnect measures one short connection: connect, one byte echoed,
// close.
func benchConnect(b *testing.B, addr string) {
	buf := make([]byte, 1)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Write(buf); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
	reportCPU(b, cpu0)
}

// BenchmarkAcceptEnroll is the Server's way: a Go accept goroutine that
// enrolls each connection on a loop.
func BenchmarkAcceptEnroll(b *testing.B) {
	_, lns := serve(b, Config{Loops: 1}, echoHandler{}, "127.0.0.1:0")
	benchConnect(b, lns[0].Addr().String())
}

// gnetEcho is a bare gnet echo server with gnet's own acceptor.
type gnetEcho struct {
	gnet.BuiltinEventEngine
	eng chan gnet.Engine
}

func (g *gnetEcho) OnBoot(e gnet.Engine) gnet.Action {
	g.eng <- e
	return gnet.None
}

func (g *gnetEcho) OnTraffic(c gnet.Conn) gnet.Action { return echoConn{}.OnTraffic(c) }

// BenchmarkAcceptGnet is gnet's own acceptor (main reactor), for comparison.
func BenchmarkAcceptGnet(b *testing.B) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	g := &gnetEcho{eng: make(chan gnet.Engine, 1)}
	errc := make(chan error, 1)
	go func() {
		errc <- gnet.Run(g, "tcp://"+addr, gnet.WithMulticore(true), gnet.WithNumEventLoop(1),
			gnet.WithReuseAddr(true), gnet.WithLogger(gnetLogger{}))
	}()
	var eng gnet.Engine
	select {
	case eng = <-g.eng:
	case err := <-errc:
		b.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = eng.Stop(ctx)
		<-errc
	}()
	time.Sleep(50 * time.Millisecond) // OnBoot runs before the loops
	benchConnect(b, addr)
}
