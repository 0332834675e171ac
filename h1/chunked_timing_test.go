package h1

import "testing"

// BenchmarkChunkedTrailer decodes a small chunked body with a trailer
// section of three fields and emits the section's segments, as the engine
// does for each such message.
func BenchmarkChunkedTrailer(b *testing.B) {
	body := []byte("5\r\nhello\r\n0\r\nGrpc-Status: 0\r\nGrpc-Message: \r\nX-Checksum: sha256=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\n\r\n")
	d := NewChunkedDecoder(DefaultLimits())
	iov := make([][]byte, 0, 8)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		d.Reset()
		for p := body; len(p) > 0 && !d.Done(); {
			n, _, err := d.Next(p)
			if err != nil {
				b.Fatal(err)
			}
			if d.Done() {
				iov = d.AppendTrailer(iov[:0], p[:n])
			}
			p = p[n:]
		}
	}
	if len(iov) != 1 {
		b.Fatalf("%d segments", len(iov))
	}
}
