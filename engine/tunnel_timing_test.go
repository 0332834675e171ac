package engine

import (
	"net"
	"testing"
	"time"
)

// benchRelay pushes b.N chunks of 64 KiB from a client through the proxy
// handler h (built for origin o) to a sink origin.
func benchRelay(b *testing.B, mk func(addr *net.TCPAddr) Handler) {
	counts := make(chan int64, 1)
	o := startOrigin(b, sinkOrigin(counts))
	_, lns := serve(b, Config{Loops: 1}, mk(o.addr()), "127.0.0.1:0")
	c := dialT(b, lns[0].Addr())
	defer c.Close()
	_ = c.SetDeadline(time.Time{})
	chunk := make([]byte, 64<<10)
	b.SetBytes(int64(len(chunk)))
	b.ReportAllocs()
	cpu0 := cpuTime()
	var sent int64
	for b.Loop() {
		n, err := c.Write(chunk)
		if err != nil {
			b.Fatal(err)
		}
		sent += int64(n)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	select {
	case got := <-counts:
		if got != sent {
			b.Fatalf("origin got %d bytes of %d", got, sent)
		}
	case <-time.After(30 * time.Second):
		b.Fatal("origin did not finish")
	}
	reportCPU(b, cpu0)
}

// BenchmarkRelayTunnel: a tunnel (both sockets off the loop, copied by
// goroutines).
func BenchmarkRelayTunnel(b *testing.B) {
	benchRelay(b, func(addr *net.TCPAddr) Handler {
		return &relayHandler{addr: addr, timeout: time.Second, idle: time.Minute}
	})
}

// BenchmarkRelayOnLoop: the on-loop relay with valves the HTTP layer's body
// streaming uses.
func BenchmarkRelayOnLoop(b *testing.B) {
	benchRelay(b, func(addr *net.TCPAddr) Handler {
		return &streamHandler{addr: addr, high: 1 << 20, low: 256 << 10}
	})
}
