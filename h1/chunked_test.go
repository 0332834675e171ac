package h1

import (
	"errors"
	"strings"
	"testing"
)

// decodeAll feeds in to a decoder in pieces of step bytes (the whole input
// when step is 0) and returns the data, the bytes consumed and the error.
func decodeAll(in []byte, step int, l Limits) (data string, consumed int, done bool, err error) {
	d := NewChunkedDecoder(l)
	var b strings.Builder
	if step == 0 {
		step = len(in)
	}
	for lo := 0; lo < len(in) && !d.Done(); lo += step {
		win := in[lo:min(lo+step, len(in))]
		for len(win) > 0 && !d.Done() {
			n, sp, e := d.Next(win)
			if e != nil {
				return b.String(), consumed + n, false, e
			}
			b.Write(sp.Bytes(win))
			consumed += n
			win = win[n:]
		}
		if len(win) > 0 {
			break
		}
	}
	return b.String(), consumed, d.Done(), nil
}

func TestChunked(t *testing.T) {
	long := strings.Repeat("x", 5000)
	tests := []struct {
		name string
		in   string
		data string
		want error
	}{
		{"simple", "3\r\nabc\r\n0\r\n\r\n", "abc", nil},
		{"two chunks", "3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n", "abc0123456789", nil},
		{"hex case", "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n", "01234567890123456789", nil},
		{"extension", "3;name=value\r\nabc\r\n0;x\r\n\r\n", "abc", nil},
		{"quoted extension", "3;name=\"a b\"\r\nabc\r\n0\r\n\r\n", "abc", nil},
		{"space before extension", "3 ;x\r\nabc\r\n0\r\n\r\n", "abc", nil},
		{"trailers", "3\r\nabc\r\n0\r\nX-Sum: 1\r\nY: 2\r\n\r\n", "abc", nil},
		{"leading zeros", "0003\r\nabc\r\n0\r\n\r\n", "abc", nil},
		{"crlf in data", "4\r\n\r\n\r\n\r\n0\r\n\r\n", "\r\n\r\n", nil},
		{"no digits", "\r\nabc\r\n0\r\n\r\n", "", ErrChunkSize},
		{"bad digit", "3x\r\nabc\r\n0\r\n\r\n", "", ErrChunkSize},
		{"sign", "-3\r\nabc\r\n0\r\n\r\n", "", ErrChunkSize},
		{"too many digits", "00000000000000003\r\nabc\r\n0\r\n\r\n", "", ErrChunkSize},
		{"overflow", "8000000000000000\r\n", "", ErrChunkSize},
		{"max size", "7fffffffffffffff\r\nab", "ab", nil},
		{"space without extension", "3 \r\nabc\r\n0\r\n\r\n", "", ErrChunkExtension},
		{"CTL in extension", "3;a\x01\r\nabc\r\n0\r\n\r\n", "", ErrChunkExtension},
		{"long extension", "3;" + long + "\r\nabc\r\n0\r\n\r\n", "", ErrChunkExtension},
		{"bare LF after size", "3\nabc\r\n0\r\n\r\n", "", ErrChunkSize},
		{"bare CR after size", "3\rabc\r\n0\r\n\r\n", "", ErrBareCR},
		{"data too long", "3\r\nabcd\r\n0\r\n\r\n", "abc", ErrChunkData},
		{"data LF only", "3\r\nabc\n0\r\n\r\n", "abc", ErrChunkData},
		{"bad trailer name", "0\r\nX Y: 1\r\n\r\n", "", ErrTrailer},
		{"trailer obs-fold", "0\r\nX: 1\r\n 2\r\n\r\n", "", ErrTrailer},
		{"trailer CTL", "0\r\nX: \x00\r\n\r\n", "", ErrTrailer},
		{"trailer bare LF", "0\r\nX: 1\n\r\n", "", ErrTrailer},
		{"trailer bare CR", "0\r\nX: 1\r\r\n", "", ErrBareCR},
		{"end bare CR", "0\r\n\rx", "", ErrBareCR},
		{"large trailer", "0\r\nX: " + long + "\r\n\r\n", "", ErrTrailerTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for _, step := range []int{0, 1, 2, 7} {
				data, _, done, err := decodeAll(in, step, DefaultLimits())
				if !errors.Is(err, tc.want) {
					t.Fatalf("step %d: err = %v, want %v", step, err, tc.want)
				}
				if data != tc.data {
					t.Fatalf("step %d: data = %q, want %q", step, data, tc.data)
				}
				if err == nil && done != strings.HasSuffix(tc.in, "\r\n\r\n") {
					t.Fatalf("step %d: done = %v", step, done)
				}
			}
		})
	}
}

func TestChunkedStopsAtEnd(t *testing.T) {
	in := []byte("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n")
	data, n, done, err := decodeAll(in, 0, DefaultLimits())
	if err != nil || !done || data != "hello" || n != len("5\r\nhello\r\n0\r\n\r\n") {
		t.Fatalf("data %q n %d done %v err %v", data, n, done, err)
	}
	d := NewChunkedDecoder(DefaultLimits())
	d.Next([]byte("0\r\n\r\n"))
	if n, sp, err := d.Next([]byte("more")); n != 0 || sp.Len() != 0 || err != nil {
		t.Fatalf("after end: n %d span %v err %v", n, sp, err)
	}
	d.Reset()
	if d.Done() {
		t.Fatal("done after Reset")
	}
}

func TestChunkedDataSpansIndexWindow(t *testing.T) {
	d := NewChunkedDecoder(DefaultLimits())
	win := []byte("4\r\nabcd\r\n")
	n, sp, err := d.Next(win)
	if err != nil || n != 7 || sp != (Span{3, 7}) {
		t.Fatalf("n %d span %v err %v", n, sp, err)
	}
	n, sp, err = d.Next(win[n:])
	if err != nil || n != 2 || sp.Len() != 0 || d.Done() {
		t.Fatalf("n %d span %v err %v", n, sp, err)
	}
}
