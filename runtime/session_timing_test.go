package runtime

import (
	"io"
	"net"
	"testing"
)

func BenchmarkWords(b *testing.B) {
	line := []byte(`set dynamic-cookie-key backend servers a\;b\ c`)
	b.ReportAllocs()
	for b.Loop() {
		Words(line)
	}
}

func BenchmarkScanCommand(b *testing.B) {
	in := []byte("set server servers/web1 addr 10.0.0.12 port 8080;show servers state servers\n")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		scanCommand(in, 0)
	}
}

func BenchmarkAppendStatRow(b *testing.B) {
	rows := newFake().Stats()
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		for i := range rows {
			buf = appendStatRow(buf[:0], &rows[i])
		}
	}
}

// BenchmarkExchange measures one socat-style exchange: connect, send a
// command, half-close, read the reply to the end.
func BenchmarkExchange(b *testing.B) {
	addr := serveAt(b, "127.0.0.1:0", newFake(), nil).Addr().String()
	b.ReportAllocs()
	for b.Loop() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		io.WriteString(c, "get weight bk/s2\n")
		c.(*net.TCPConn).CloseWrite()
		if _, err := io.ReadAll(c); err != nil {
			b.Fatal(err)
		}
		c.Close()
	}
}
