package h1

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/valyala/fasthttp"
)

func BenchmarkScanRequest(b *testing.B) {
	s := NewScanner(DefaultLimits())
	var r Request
	b.SetBytes(int64(len(chromeRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Request(chromeRequest, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanResponse(b *testing.B) {
	s := NewScanner(DefaultLimits())
	var r Response
	b.SetBytes(int64(len(typicalResponse)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Response(typicalResponse, &r, MethodGET); err != nil {
			b.Fatal(err)
		}
	}
}

// The fasthttp baselines parse the same bytes through the public Read path
// with everything reused: the header (Reset), the bytes.Reader and the
// bufio.Reader, so only the parse itself is measured.

func BenchmarkFasthttpRequest(b *testing.B) {
	var h fasthttp.RequestHeader
	src := bytes.NewReader(chromeRequest)
	br := bufio.NewReaderSize(src, 4096)
	b.SetBytes(int64(len(chromeRequest)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(chromeRequest)
		br.Reset(src)
		h.Reset()
		if err := h.Read(br); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFasthttpResponse(b *testing.B) {
	var h fasthttp.ResponseHeader
	src := bytes.NewReader(typicalResponse)
	br := bufio.NewReaderSize(src, 4096)
	b.SetBytes(int64(len(typicalResponse)))
	b.ReportAllocs()
	for b.Loop() {
		src.Reset(typicalResponse)
		br.Reset(src)
		h.Reset()
		if err := h.Read(br); err != nil {
			b.Fatal(err)
		}
	}
}
