package engine

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// benchUpstream dials, closes on connect, and reports when closed.
type benchUpstream struct {
	Upstream
	done chan error
}

func (bu *benchUpstream) OnConnect(u *Upstream, err error) {
	if err != nil {
		bu.done <- err
		return
	}
	u.Close()
}

func (bu *benchUpstream) OnUpstreamTraffic(*Upstream) gnet.Action { return gnet.None }
func (bu *benchUpstream) OnUpstreamClose(*Upstream, error)        { bu.done <- nil }

// benchDial measures one dial on a loop up to OnConnect, plus the close, to
// an origin in another process: cpu-µs/op is the proxy's own cost.
func benchDial(b *testing.B, d dialer) {
	sink := startChild(b, "sink", "")
	addr, err := net.ResolveTCPAddr("tcp4", sink.addr)
	if err != nil {
		b.Fatal(err)
	}
	l := grabLoop(b)
	bu := &benchUpstream{done: make(chan error, 1)}
	if err := l.Execute(func() { bu.Init(l, bu); bu.done <- nil }); err != nil {
		b.Fatal(err)
	}
	<-bu.done
	start := func() {
		if err := bu.dial(d, addr, time.Second); err != nil {
			bu.done <- err
		}
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		if err := l.Execute(start); err != nil {
			b.Fatal(err)
		}
		if err := <-bu.done; err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu0)
}

// BenchmarkDialEnroll: net.Dialer with a timeout on a goroutine, then
// EventLoop.Enroll.
func BenchmarkDialEnroll(b *testing.B) { benchDial(b, dialEnroll) }

// BenchmarkDialRegister: gnet's EventLoop.Register, which dials itself on
// a worker without a timeout.
func BenchmarkDialRegister(b *testing.B) { benchDial(b, dialRegister) }

// The dialers below are the alternatives the benchmarks weigh against
// dialConnect, the one Upstream.Dial uses.

// dialEnroll connects from a goroutine with net.Dialer (so the timeout
// cancels the connect and frees the socket), then enrolls the connection on
// the loop as Upstream.Dial does.
func dialEnroll(a *dialAttempt, addr *net.TCPAddr, timeout time.Duration) error {
	go func() {
		d := net.Dialer{Timeout: timeout, KeepAlive: -1} // as HAProxy without option srvtcpka
		nc, err := d.Dial("tcp", addr.String())
		if err != nil {
			a.report(err)
			return
		}
		a.enroll(nc, timeout)
	}()
	return nil
}

// dialRegister lets gnet dial (EventLoop.Register): a blocking net.Dial on
// one of its workers, with no timeout of its own.
func dialRegister(a *dialAttempt, addr *net.TCPAddr, _ time.Duration) error {
	ch, err := a.u.loop.el.Register(gnet.NewContext(context.Background(), a), addr)
	if err != nil {
		return err
	}
	go func() { a.report((<-ch).Err) }()
	return nil
}

// BenchmarkDialConnect: connect(2) on the loop, completion watched from a
// goroutine, then EventLoop.Enroll (what Upstream.Dial does).
func BenchmarkDialConnect(b *testing.B) { benchDial(b, dialConnect) }
