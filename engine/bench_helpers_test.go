package engine

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// cpuTime returns the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru unix.Rusage
	_ = unix.Getrusage(unix.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// loopGrabber is an echo handler that also hands out the Loop of its first
// client, for benchmarks that drive a loop directly.
type loopGrabber struct {
	loops chan *Loop
}

func (g *loopGrabber) Accept(l *Loop, _ *Listener, _ gnet.Conn) Endpoint {
	select {
	case g.loops <- l:
	default:
	}
	return echoConn{}
}

func (g *loopGrabber) Drain(*Loop) {}

// grabLoop serves a loopGrabber with one loop and returns that loop.
func grabLoop(b *testing.B) *Loop {
	g := &loopGrabber{loops: make(chan *Loop, 1)}
	_, lns := serve(b, Config{Loops: 1}, g, "127.0.0.1:0")
	c := dialT(b, lns[0].Addr())
	b.Cleanup(func() { _ = c.Close() })
	select {
	case l := <-g.loops:
		return l
	case <-time.After(5 * time.Second):
		b.Fatal("no loop")
		return nil
	}
}

// sinkOrigin reads until EOF and reports the byte count.
func sinkOrigin(counts chan<- int64) func(net.Conn) {
	return func(c net.Conn) {
		n, _ := io.Copy(io.Discard, c)
		counts <- n
	}
}
