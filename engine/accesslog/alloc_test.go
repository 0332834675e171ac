//go:build !race

package accesslog

import (
	"net/netip"
	"testing"
	"time"

	"tether/engine/config"
)

func TestAppendHTTPLogAllocs(t *testing.T) {
	r := baseRecord()
	r.CapturedRequestCookie = []byte("SID=abc")
	r.URI = []byte("/a\"b#c")
	r.Client = netip.AddrPortFrom(netip.AddrFrom16(r.Client.Addr().As16()), 8080)
	buf := make([]byte, 0, MaxLine)
	if n := testing.AllocsPerRun(1000, func() { buf = AppendHTTPLog(buf[:0], &r) }); n != 0 {
		t.Fatalf("%v allocations per line", n)
	}
}

func TestLogHTTPAllocs(t *testing.T) {
	var written counter
	rx := listenUDP(t)
	go func() { // drain the receiver so that the socket never pushes back
		buf := make([]byte, 2048)
		for {
			if _, err := rx.Read(buf); err != nil {
				return
			}
		}
	}()
	lg, err := New([]config.LogTarget{
		{Address: rx.LocalAddr().String(), Facility: "local0"},
		{Address: "stdout", Format: "rfc5424", Facility: "local0"},
	}, Options{Stdout: &written})
	if err != nil {
		t.Fatal(err)
	}
	r := baseRecord()
	r.RequestBytes = 10
	// Counted over the loop's calls and the writer's framing and sends.
	n := testing.AllocsPerRun(2000, func() {
		lg.LogHTTP(&r)
		time.Sleep(10 * time.Microsecond) // let the writer keep up
	})
	lg.Close()
	if n != 0 {
		t.Fatalf("%v allocations per logged line", n)
	}
	// AllocsPerRun calls the function once more to warm up.
	if got := written.n.Load() + lg.Dropped(); got != 2001 || written.n.Load() == 0 {
		t.Fatalf("%d lines written and %d dropped of 2001", written.n.Load(), lg.Dropped())
	}
}

func TestAppendCLFLogAllocs(t *testing.T) {
	r := baseRecord()
	r.CapturedRequestCookie = []byte("SID=abc")
	r.RequestHeaders = [][]byte{[]byte("example.com"), []byte("a|b")}
	r.ResponseHeaders = [][]byte{[]byte("text/html")}
	buf := make([]byte, 0, MaxLine)
	if n := testing.AllocsPerRun(1000, func() { buf = AppendHTTPLog(buf[:0], &r); buf = AppendCLFLog(buf[:0], &r) }); n != 0 {
		t.Fatalf("%v allocations per line", n)
	}
}

func TestAppendLogFormatAllocs(t *testing.T) {
	f, err := config.Parse(config.File{Name: "t.cfg", Data: []byte("defaults\n  mode http\n  timeout client 1s\n" +
		"frontend fe\n  bind 127.0.0.1:18080\n  log-format \"%ci:%cp %{+X}ci %{+Q}r %HU %HPO %HQ %b/%s %Tt %Td %T %trl %rt %{+X}Ts %hr %hrl %[dst] %{+Q,+E}o%H\"\n")})
	if err != nil {
		t.Fatal(err)
	}
	r := baseRecord()
	r.Format = f.Proxies[0].LogFormat
	r.RequestHeaders = [][]byte{[]byte("a"), nil}
	buf := make([]byte, 0, MaxLine)
	if n := testing.AllocsPerRun(1000, func() { buf = AppendLogFormat(buf[:0], r.Format, &r, MaxLine) }); n != 0 {
		t.Fatalf("%v allocations per line", n)
	}
}
