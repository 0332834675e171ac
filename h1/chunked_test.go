package h1

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// decodeAll feeds in to a decoder as a connection does: step more bytes at
// a time (all of them when step is 0), keeping what Next has not consumed
// in front of the next ones. It returns the chunk data, the trailer
// section as AppendTrailer gives it, the bytes consumed and the error.
func decodeAll(in []byte, step int, l Limits) (data, trailer string, consumed int, done bool, err error) {
	d := NewChunkedDecoder(l)
	var b, tb strings.Builder
	if step == 0 {
		step = max(len(in), 1)
	}
	for avail := 0; avail < len(in) && !d.Done(); {
		avail = min(avail+step, len(in))
		for !d.Done() && consumed < avail {
			win := in[consumed:avail]
			n, sp, e := d.Next(win)
			if e != nil {
				return b.String(), tb.String(), consumed + n, false, e
			}
			b.Write(sp.Bytes(win))
			if d.Done() {
				for _, seg := range d.AppendTrailer(nil, win[:n]) {
					tb.Write(seg)
				}
			}
			consumed += n
			if n == 0 {
				break
			}
		}
	}
	return b.String(), tb.String(), consumed, d.Done(), nil
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
		{"over HAProxy's bound", "10000000000000\r\n", "", ErrChunkSize},
		{"max size", "fffffffffffff\r\nab", "ab", nil},
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
		{"large trailer", "0\r\nX: " + strings.Repeat(long, 4) + "\r\n\r\n", "", ErrTrailerTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			for _, step := range []int{0, 1, 2, 7} {
				data, _, _, done, err := decodeAll(in, step, DefaultLimits())
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
	data, tr, n, done, err := decodeAll(in, 0, DefaultLimits())
	if err != nil || !done || data != "hello" || tr != "\r\n" || n != len("5\r\nhello\r\n0\r\n\r\n") {
		t.Fatalf("data %q n %d done %v err %v", data, n, done, err)
	}
	d := NewChunkedDecoder(DefaultLimits())
	d.Next([]byte("0\r\n\r\n"))
	d.Next([]byte("\r\n"))
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

// TestChunkedTrailer checks the trailer sections forwarded and refused
// against what HAProxy 2.6.12 was seen to do with each (field names and
// spacing aside: HAProxy rewrites them, tether keeps them).
func TestChunkedTrailer(t *testing.T) {
	fields := func(n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString("a" + strconv.Itoa(i) + ": 1\r\n")
		}
		return b.String()
	}
	tests := []struct {
		name, in, out string
		want          error
	}{
		{"empty", "\r\n", "\r\n", nil},
		{"fields", "X-Sum: 1\r\nY-Two:  v w \r\n\r\n", "X-Sum: 1\r\nY-Two:  v w \r\n\r\n", nil},
		{"empty value", "X:\r\nY:  \r\n\r\n", "X:\r\nY:  \r\n\r\n", nil},
		{"hop-by-hop names pass", "Connection: close\r\nKeep-Alive: 1\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nTrailer: X\r\n\r\n",
			"Connection: close\r\nKeep-Alive: 1\r\nTE: trailers\r\nUpgrade: h2c\r\nProxy-Connection: x\r\nTrailer: X\r\n\r\n", nil},
		{"content-length", "Content-Length: 5\r\nX: 1\r\n\r\n", "Content-Length: 5\r\nX: 1\r\n\r\n", nil},
		{"content-length leading zero", "content-LENGTH: 05\r\n\r\n", "content-LENGTH: 05\r\n\r\n", nil},
		{"content-length list", "Content-Length:  5 , 5 \r\nX: 1\r\nContent-Length: 5\r\n\r\n", "Content-Length:  5\r\nX: 1\r\n\r\n", nil},
		{"content-length repeated", "Content-Length: 5\r\nContent-Length: 05\r\nY: 2\r\n\r\n", "Content-Length: 5\r\nY: 2\r\n\r\n", nil},
		{"content-length max", "Content-Length: 9223372036854775807\r\n\r\n", "Content-Length: 9223372036854775807\r\n\r\n", nil},
		{"content-length with transfer-encoding", "Content-Length: 5\r\nX: 1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
			"X: 1\r\nTransfer-Encoding: chunked\r\n\r\n", nil},
		{"transfer-encoding lists", "Transfer-Encoding: gzip\r\nTransfer-Encoding: , Chunked,\r\nTransfer-Encoding:\r\n\r\n",
			"Transfer-Encoding: gzip\r\nTransfer-Encoding: , Chunked,\r\nTransfer-Encoding:\r\n\r\n", nil},
		{"connection emptied", "Connection:\r\nConnection: close\r\nConnection: \t \r\nConnection: ,\r\n\r\n", "Connection: close\r\nConnection: ,\r\n\r\n", nil},
		{"host repeated", "Host: a\r\nX: 1\r\nHost: A\r\nHost:  a \r\n\r\n", "Host: a\r\nX: 1\r\n\r\n", nil},
		{"host empty", "Host:\r\n\r\n", "Host:\r\n\r\n", nil},
		{"most fields", fields(100) + "\r\n", fields(100) + "\r\n", nil},
		{"dropped fields not counted", fields(98) + "Host: a\r\nHost: a\r\nConnection:\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
			fields(98) + "Host: a\r\nContent-Length: 1\r\n\r\n", nil},
		{"too many fields", fields(101) + "\r\n", "", ErrTooManyFields},
		{"content-length dropped still counted", fields(100) + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", "", ErrTooManyFields},
		{"content-length invalid", "Content-Length: abc\r\n\r\n", "", ErrContentLength},
		{"content-length empty", "Content-Length:\r\n\r\n", "", ErrContentLength},
		{"content-length sign", "Content-Length: +5\r\n\r\n", "", ErrContentLength},
		{"content-length trailing comma", "Content-Length: 5,\r\n\r\n", "", ErrContentLength},
		{"content-length empty element", "Content-Length: 5,,5\r\n\r\n", "", ErrContentLength},
		{"content-length overflow", "Content-Length: 9223372036854775808\r\n\r\n", "", ErrContentLength},
		{"content-lengths differ", "Content-Length: 5\r\nContent-Length: 6\r\n\r\n", "", ErrContentLength},
		{"transfer-encoding not chunked", "Transfer-Encoding: gzip\r\n\r\n", "", ErrTransferEncoding},
		{"transfer-encoding empty", "Transfer-Encoding:\r\n\r\n", "", ErrTransferEncoding},
		{"transfer-encoding after chunked", "Transfer-Encoding: chunked, gzip\r\n\r\n", "", ErrTransferEncoding},
		{"chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "", ErrTransferEncoding},
		{"chunked with parameter", "Transfer-Encoding: chunked;a=1\r\n\r\n", "", ErrTransferEncoding},
		{"hosts differ", "Host: a\r\nX: 1\r\nHost: b, c\r\n\r\n", "", ErrDuplicateHost},
		{"space before colon", "X : 1\r\n\r\n", "", ErrTrailer},
		{"empty name", ":a\r\n\r\n", "", ErrTrailer},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte("2\r\nok\r\n0\r\n" + tc.in + "GET")
			for _, step := range []int{0, 1, 2, 7} {
				data, tr, n, done, err := decodeAll(in, step, DefaultLimits())
				if !errors.Is(err, tc.want) {
					t.Fatalf("step %d: err = %v, want %v", step, err, tc.want)
				}
				if err != nil {
					continue
				}
				if data != "ok" || tr != tc.out || !done || n != len(in)-len("GET") {
					t.Fatalf("step %d: data %q trailer %q done %v consumed %d of %d", step, data, tr, done, n, len(in))
				}
			}
		})
	}
}

// TestChunkedTrailerHeld: Next consumes nothing of a trailer section until
// it has come whole, and scans each byte once however it comes.
func TestChunkedTrailerHeld(t *testing.T) {
	d := NewChunkedDecoder(DefaultLimits())
	if n, _, err := d.Next([]byte("0\r\nX: 1\r\n")); n != 3 || err != nil {
		t.Fatalf("last-chunk line: n %d err %v", n, err)
	}
	sec := []byte("X: 1\r\nY: 2\r\n\r\nnext")
	for k := 1; k < len("X: 1\r\nY: 2\r\n\r\n"); k++ {
		if n, _, err := d.Next(sec[:k]); n != 0 || err != nil || d.Done() {
			t.Fatalf("%d bytes: n %d err %v done %v", k, n, err, d.Done())
		}
		if d.tr.scanned != k {
			t.Fatalf("%d bytes: scanned %d", k, d.tr.scanned)
		}
	}
	n, _, err := d.Next(sec)
	if n != len(sec)-len("next") || err != nil || !d.Done() {
		t.Fatalf("whole: n %d err %v done %v", n, err, d.Done())
	}
	if iov := d.AppendTrailer(nil, sec[:n]); len(iov) != 1 || string(iov[0]) != "X: 1\r\nY: 2\r\n\r\n" {
		t.Fatalf("forwarded %q", iov)
	}
}

func TestChunkedTrailerLimit(t *testing.T) {
	l := DefaultLimits()
	l.MaxTrailer = 16
	for _, tc := range []struct {
		in   string
		want error
	}{
		{"0\r\nX: 012345678\r\n\r\n", nil},                 // 16 bytes
		{"0\r\nX: 0123456789\r\n\r\n", ErrTrailerTooLarge}, // 17 bytes
		{"0\r\nX: 012345678\r\nYZ", ErrTrailerTooLarge},
	} {
		for _, step := range []int{0, 1} {
			if _, _, _, _, err := decodeAll([]byte(tc.in), step, l); err != tc.want {
				t.Errorf("%q step %d: err %v, want %v", tc.in, step, err, tc.want)
			}
		}
	}
}

func TestChunkedTrailerSegments(t *testing.T) {
	d := NewChunkedDecoder(DefaultLimits())
	d.Next([]byte("0\r\n"))
	sec := []byte("A: 1\r\nB: 2\r\nConnection:\r\nC: 3\r\nContent-Length: 4, 4\r\nD: 5\r\n\r\n")
	if n, _, err := d.Next(sec); n != len(sec) || err != nil {
		t.Fatalf("n %d err %v", n, err)
	}
	var got []string
	for _, s := range d.AppendTrailer(nil, sec) {
		got = append(got, string(s))
	}
	want := []string{"A: 1\r\nB: 2\r\n", "C: 3\r\nContent-Length: ", "4", "\r\nD: 5\r\n\r\n"}
	if !slices.Equal(got, want) {
		t.Fatalf("segments %q, want %q", got, want)
	}
}

// TestTrailerBytes checks that TrailerBytes counts the names and values of
// the trailer fields AppendTrailer forwards.
func TestTrailerBytes(t *testing.T) {
	for _, sec := range []string{
		"\r\n",
		"X-T: 1\r\n\r\n",
		"X-T:  a b \r\nY:2\r\n\r\n",
		"Content-Length: 3, 3\r\nContent-Length: 3\r\nX: y\r\n\r\n",
		"Host: a\r\nhost: A\r\nConnection:\r\nConnection: x\r\n\r\n",
		"Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
	} {
		in := "0\r\n" + sec
		_, tr, _, done, err := decodeAll([]byte(in), 0, DefaultLimits())
		if err != nil || !done {
			t.Fatalf("%q: done %v, %v", in, done, err)
		}
		want := 0
		for _, line := range strings.Split(strings.TrimSuffix(tr, "\r\n\r\n"), "\r\n") {
			if name, value, ok := strings.Cut(line, ":"); ok {
				want += len(name) + len(strings.Trim(value, " \t"))
			}
		}
		d := NewChunkedDecoder(DefaultLimits())
		var last []byte
		for pos := 0; !d.Done() && pos < len(in); {
			n, _, err := d.Next([]byte(in[pos:]))
			if err != nil || n == 0 {
				t.Fatalf("%q: %d, %v", in, n, err)
			}
			last = []byte(in[pos : pos+n])
			pos += n
		}
		if got := d.TrailerBytes(last); got != want {
			t.Errorf("%q: TrailerBytes %d, the forwarded section %q takes %d", sec, got, tr, want)
		}
	}
}
