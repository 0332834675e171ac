package h1

import (
	"bytes"
	"testing"
)

// TestZeroAllocs proves that scanning, editing and emitting a request and a
// response allocate nothing once the reusable structures exist.
func TestZeroAllocs(t *testing.T) {
	s := NewScanner(DefaultLimits())
	var (
		req     Request
		resp    Response
		e       Editor
		segs    = make([][]byte, 0, 2*MaxEdits+1)
		out     = make([]byte, 0, 4096)
		trailer = make([][]byte, 0, 4)
		cd      = NewChunkedDecoder(DefaultLimits())
	)
	setCookie := []byte("Set-Cookie: SERVERID=s1; path=/\r\n")
	host, noCache := []byte("backend.local"), []byte("no-cache")
	chunked := []byte("5\r\nhello\r\n6;x=y\r\n world\r\n0\r\nX-Sum: 1\r\n\r\n")
	run := func() {
		if _, err := s.Request(chromeRequest, &req); err != nil {
			t.Fatal(err)
		}
		e.Reset(chromeRequest, &req.Header)
		ck := req.Find(chromeRequest, "cookie", 0)
		v := req.Fields[ck].Value
		if err := e.Delete(Span{v.Off, v.Off + uint32(len("SERVERID=s2; "))}); err != nil {
			t.Fatal(err)
		}
		for i := range req.Fields {
			if req.HopByHop(chromeRequest, i) {
				if err := e.DeleteField(i); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := e.ReplaceValue(req.Host, host); err != nil {
			t.Fatal(err)
		}
		segs = e.Segments(segs[:0])
		out = e.AppendTo(out[:0])

		if _, err := s.Response(typicalResponse, &resp, req.MethodID); err != nil {
			t.Fatal(err)
		}
		e.Reset(typicalResponse, &resp.Header)
		if err := e.ReplaceValue(resp.Find(typicalResponse, "cache-control", 0), noCache); err != nil {
			t.Fatal(err)
		}
		if err := e.Append(setCookie); err != nil {
			t.Fatal(err)
		}
		segs = e.Segments(segs[:0])
		out = e.AppendTo(out[:0])

		cd.Reset()
		for b := chunked; len(b) > 0 && !cd.Done(); {
			n, _, err := cd.Next(b)
			if err != nil {
				t.Fatal(err)
			}
			if cd.Done() {
				trailer = cd.AppendTrailer(trailer[:0], b[:n])
			}
			b = b[n:]
		}
	}
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Fatalf("%v allocations per exchange", n)
	}
	if !bytes.HasSuffix(out, append(setCookie, "\r\n"...)) || !bytes.Equal(bytes.Join(segs, nil), out) {
		t.Fatalf("emitted %q", out)
	}
	if tr := bytes.Join(trailer, nil); string(tr) != "X-Sum: 1\r\n\r\n" {
		t.Fatalf("trailer section %q", tr)
	}
}
