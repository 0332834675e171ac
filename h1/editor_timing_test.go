package h1

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"
)

// The proxy's work on a request head: scan it, drop the persistence cookie
// and the hop-by-hop fields, rewrite Host, and emit it. The fasthttp
// baseline does the same through its header API, reusing everything.

var backendHost = []byte("backend.local")

func BenchmarkEditRequest(b *testing.B) {
	s := NewScanner(DefaultLimits())
	var (
		r   Request
		e   Editor
		out = make([]byte, 0, 2048)
	)
	b.SetBytes(int64(len(chromeRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Request(chromeRequest, &r); err != nil {
			b.Fatal(err)
		}
		e.Reset(chromeRequest, &r.Header)
		v := r.Fields[r.Find(chromeRequest, "cookie", 0)].Value
		e.Delete(Span{v.Off, v.Off + uint32(len("SERVERID=s2; "))})
		for i := range r.Fields {
			if r.HopByHop(chromeRequest, i) {
				e.DeleteField(i)
			}
		}
		e.ReplaceValue(r.Host, backendHost)
		out = e.AppendTo(out[:0])
	}
}

func BenchmarkFasthttpEditRequest(b *testing.B) {
	var h fasthttp.RequestHeader
	src := bytes.NewReader(chromeRequest)
	br := bufio.NewReaderSize(src, 4096)
	out := make([]byte, 0, 2048)
	b.SetBytes(int64(len(chromeRequest)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(chromeRequest)
		br.Reset(src)
		h.Reset()
		if err := h.Read(br); err != nil {
			b.Fatal(err)
		}
		h.DelCookie("SERVERID")
		h.Del("Connection")
		h.SetHostBytes(backendHost)
		out = h.AppendBytes(out[:0])
	}
}

func BenchmarkChunked(b *testing.B) {
	body := bytes.Repeat([]byte("1000\r\n"+string(bytes.Repeat([]byte("x"), 4096))+"\r\n"), 4)
	body = append(body, "0\r\n\r\n"...)
	d := NewChunkedDecoder(DefaultLimits())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for p := body; len(p) > 0 && !d.Done(); {
			n, _, err := d.Next(p)
			if err != nil {
				b.Fatal(err)
			}
			p = p[n:]
		}
	}
}
