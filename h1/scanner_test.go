package h1

import (
	"errors"
	"strings"
	"testing"
)

func scanReq(t *testing.T, in string) (*Request, int, error) {
	t.Helper()
	var r Request
	n, err := NewScanner(DefaultLimits()).Request([]byte(in), &r)
	return &r, n, err
}

func TestRequestRefusals(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("GET / HTTP/1.1\r\nHost: a\r\n")
		for i := 1; i < n; i++ {
			b.WriteString("X: v\r\n")
		}
		b.WriteString("\r\n")
		return b.String()
	}
	tests := []struct {
		name string
		in   string
		want error // nil for accepted
	}{
		{"plain", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"http10 without host", "GET / HTTP/1.0\r\n\r\n", nil},
		{"leading empty lines", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"no space after colon", "GET / HTTP/1.1\r\nHost:a\r\n\r\n", nil},
		{"htab and obs-text in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\x80\xff\r\n\r\n", nil},
		{"empty value", "GET / HTTP/1.1\r\nHost: a\r\nX:\r\n\r\n", nil},
		{"bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: o\rne\r\n\r\n", ErrBareCR},
		{"bare CR after start line", "GET / HTTP/1.1\rHost: a\r\n\r\n", ErrBareCR},
		{"bare CR at end", "GET / HTTP/1.1\r\nHost: a\r\n\rX", ErrBareCR},
		{"bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", ErrBareLF},
		{"bare LF after field", "GET / HTTP/1.1\r\nHost: a\n\r\n", ErrBareLF},
		{"bare LF empty line", "GET / HTTP/1.1\r\nHost: a\r\n\n", ErrBareLF},
		{"NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: o\x00ne\r\n\r\n", ErrCTL},
		{"SOH in value", "GET / HTTP/1.1\r\nHost: a\r\nX:\x01one\r\n\r\n", ErrCTL},
		{"DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: o\x7fne\r\n\r\n", ErrCTL},
		{"ESC in value", "GET / HTTP/1.1\r\nHost: a\r\nX: \x1b[0m\r\n\r\n", ErrCTL},
		{"space before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : one\r\n\r\n", ErrSpaceBeforeColon},
		{"tab before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A\t: one\r\n\r\n", ErrSpaceBeforeColon},
		{"empty name", "GET / HTTP/1.1\r\nHost: a\r\n: one\r\n\r\n", ErrFieldName},
		{"CTL in name", "GET / HTTP/1.1\r\nHost: a\r\nX\x01: 1\r\n\r\n", ErrFieldName},
		{"separator in name", "GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n", ErrFieldName},
		{"name without colon", "GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n", ErrFieldName},
		{"obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", ErrObsFold},
		{"obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n", ErrObsFold},
		{"whitespace before first field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", ErrObsFold},
		{"empty method", " / HTTP/1.1\r\nHost: a\r\n\r\n", ErrRequestLine},
		{"CTL in method", "G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", ErrMethod},
		{"double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", ErrRequestLine},
		{"space in target", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", ErrRequestLine},
		{"tab in target", "GET /\t HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"DEL in target", "GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"obs-text in target", "GET /\x80 HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"trailing space", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", ErrRequestLine},
		{"method only", "GET\r\n\r\n", ErrRequestLine},
		{"lower-case version", "GET / http/1.1\r\nHost: a\r\n\r\n", ErrVersion},
		{"short version", "GET / HTTP/1\r\nHost: a\r\n\r\n", ErrVersion},
		{"long version", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", ErrVersion},
		{"HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", ErrVersionNotSup},
		{"HTTP/1.2 reads as HTTP/1.1", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", nil},
		{"fragment", "GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"fragment in absolute form", "GET http://a/#b HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"HTTP/0.9", "GET /\r\n\r\n", ErrHTTP09},
		{"HTTP/0.9 bare LF", "GET /\n", ErrHTTP09},
		{"origin target needs slash", "GET a HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"asterisk for GET", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"asterisk for OPTIONS", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"missing host", "GET / HTTP/1.1\r\n\r\n", ErrMissingHost},
		{"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ErrDuplicateHost},
		{"two identical hosts", "GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n", ErrDuplicateHost},
		{"space in host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", ErrHost},
		{"userinfo in host", "GET / HTTP/1.1\r\nHost: u@a\r\n\r\n", ErrHost},
		{"bad port in host", "GET / HTTP/1.1\r\nHost: a:b\r\n\r\n", ErrHost},
		{"unclosed bracket in host", "GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", ErrHost},
		{"port only", "GET / HTTP/1.1\r\nHost: :80\r\n\r\n", ErrHost},
		{"ipv6 host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", nil},
		{"empty host", "GET / HTTP/1.1\r\nHost:\r\n\r\n", nil},
		{"absolute same host", "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"absolute host case", "GET http://A/ HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"absolute default port", "GET http://a:80/x HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"absolute https default port", "GET https://a/ HTTP/1.1\r\nHost: a:443\r\n\r\n", nil},
		{"absolute other host", "GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n", ErrHostMismatch},
		{"absolute other port", "GET http://a:8080/ HTTP/1.1\r\nHost: a\r\n\r\n", ErrHostMismatch},
		{"absolute empty host value", "GET http://a/ HTTP/1.1\r\nHost:\r\n\r\n", ErrHostMismatch},
		{"absolute ipv6", "GET http://[::1]:80/ HTTP/1.1\r\nHost: [::1]\r\n\r\n", nil},
		{"absolute userinfo", "GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"absolute empty authority", "GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"absolute no slashes", "GET http:a HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"connect", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", nil},
		{"connect other host", "CONNECT a:443 HTTP/1.1\r\nHost: b:443\r\n\r\n", ErrHostMismatch},
		{"connect to a default port, Host without it", "CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", nil},
		{"connect to a default port, Host with another", "CONNECT a:443 HTTP/1.1\r\nHost: a:80\r\n\r\n", ErrHostMismatch},
		{"connect to another port, Host without it", "CONNECT a:8080 HTTP/1.1\r\nHost: a\r\n\r\n", ErrHostMismatch},
		{"connect without port", "CONNECT a HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"connect origin form", "CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n", ErrTarget},
		{"fields at limit", fields(100), nil},
		{"fields over limit", fields(101), ErrTooManyFields},
		{"long target", "GET /" + long(15400) + " HTTP/1.1\r\nHost: a\r\n\r\n", ErrTargetTooLong},
		{"long field", "GET / HTTP/1.1\r\nHost: a\r\nX: " + long(15400) + "\r\n\r\n", ErrHeadTooLarge},
		{"long field under limit", "GET / HTTP/1.1\r\nHost: a\r\nX: " + long(15000) + "\r\n\r\n", nil},
		{"long method", long(15400) + " / HTTP/1.1\r\n\r\n", ErrRequestLine},
		{"long leading empty lines", strings.Repeat("\r\n", 7700) + "GET / HTTP/1.1\r\nHost: a\r\n\r\n", ErrRequestLine},
		{"lower-case method", "get / HTTP/1.1\r\nHost: a\r\n\r\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, n, err := scanReq(t, tc.in)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err == nil && n != len(tc.in) {
				t.Fatalf("n = %d, want %d", n, len(tc.in))
			}
		})
	}
}

func TestRequestSpans(t *testing.T) {
	in := "\r\nPOST /p?q=1 HTTP/1.0\r\nHost: Example.com:8080\r\nX-Trim: \t v a l \t \r\nCookie: a=1; b=2\r\nEmpty:\r\n\r\nbody"
	r, n, err := scanReq(t, in)
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte(in)
	if want := len(in) - len("body"); n != want {
		t.Fatalf("n = %d, want %d", n, want)
	}
	check := func(what string, sp Span, want string) {
		t.Helper()
		if got := string(sp.Bytes(buf)); got != want {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}
	check("head", r.Head, in[2:n])
	check("method", r.Method, "POST")
	check("target", r.Target, "/p?q=1")
	check("version", r.Version, "HTTP/1.0")
	if r.MethodID != MethodPOST || r.Minor != 0 || r.Form != FormOrigin || r.Host != 0 {
		t.Errorf("method %d minor %d form %d host %d", r.MethodID, r.Minor, r.Form, r.Host)
	}
	want := [][3]string{{"Host", "Example.com:8080"}, {"X-Trim", "v a l"}, {"Cookie", "a=1; b=2"}, {"Empty", ""}}
	if len(r.Fields) != len(want) {
		t.Fatalf("%d fields, want %d", len(r.Fields), len(want))
	}
	for i, w := range want {
		check("name", r.Fields[i].Name, w[0])
		check("value", r.Fields[i].Value, w[1])
	}
	if r.Fields[0].ID != FieldHost || r.Fields[1].ID != FieldOther || r.Fields[2].ID != FieldCookie {
		t.Errorf("field IDs %d %d %d", r.Fields[0].ID, r.Fields[1].ID, r.Fields[2].ID)
	}
	if i := r.Find(buf, "COOKIE", 0); i != 2 {
		t.Errorf("Find(COOKIE) = %d", i)
	}
	if i := r.Find(buf, "cookie", 3); i != -1 {
		t.Errorf("Find(cookie, 3) = %d", i)
	}
}

func TestResponse(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		method  Method
		status  int
		reason  string
		framing Framing
		cl      int64
		want    error
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", MethodGET, 200, "OK", BodyLength, 5, nil},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", MethodGET, 200, "OK", BodyChunked, -1, nil},
		{"gzip chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", MethodGET, 200, "OK", BodyChunked, -1, nil},
		{"chunked not final", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", MethodGET, 200, "OK", BodyUntilClose, -1, nil},
		{"unknown coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n", MethodGET, 200, "OK", BodyUntilClose, -1, nil},
		{"chunked twice", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", MethodGET, 0, "", 0, 0, ErrTransferEncoding},
		{"until close", "HTTP/1.1 200 OK\r\n\r\n", MethodGET, 200, "OK", BodyUntilClose, -1, nil},
		{"head", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", MethodHEAD, 200, "OK", BodyNone, 5, nil},
		{"head chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", MethodHEAD, 200, "OK", BodyNone, -1, nil},
		{"no content", "HTTP/1.1 204 No Content\r\n\r\n", MethodGET, 204, "No Content", BodyNone, -1, nil},
		{"not modified", "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", MethodGET, 304, "Not Modified", BodyNone, 9, nil},
		{"continue", "HTTP/1.1 100 Continue\r\n\r\n", MethodPOST, 100, "Continue", BodyNone, -1, nil},
		{"switching", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", MethodGET, 101, "Switching Protocols", BodyTunnel, -1, nil},
		{"connect ok", "HTTP/1.1 200 Connection established\r\n\r\n", MethodCONNECT, 200, "Connection established", BodyTunnel, -1, nil},
		{"connect refused", "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", MethodCONNECT, 403, "Forbidden", BodyLength, 0, nil},
		{"no reason", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", MethodGET, 200, "", BodyLength, 0, nil},
		{"empty reason", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", MethodGET, 200, "", BodyLength, 0, nil},
		{"http10", "HTTP/1.0 200 OK\r\n\r\n", MethodGET, 200, "OK", BodyUntilClose, -1, nil},
		{"http10 chunked", "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", MethodGET, 0, "", 0, 0, ErrTEInHTTP10},
		{"status 600", "HTTP/1.1 600 X\r\n\r\n", MethodGET, 0, "", 0, 0, ErrStatus},
		{"status 099", "HTTP/1.1 099 X\r\n\r\n", MethodGET, 0, "", 0, 0, ErrStatus},
		{"two digits", "HTTP/1.1 20 X\r\n\r\n", MethodGET, 0, "", 0, 0, ErrStatus},
		{"four digits", "HTTP/1.1 2000 X\r\n\r\n", MethodGET, 0, "", 0, 0, ErrStatus},
		{"bad version", "HTTP/1.x 200 OK\r\n\r\n", MethodGET, 0, "", 0, 0, ErrVersion},
		{"version 2", "HTTP/2.0 200 OK\r\n\r\n", MethodGET, 0, "", 0, 0, ErrVersionNotSup},
		{"garbage", "HTTP/1.1\r\n\r\n", MethodGET, 0, "", 0, 0, ErrStatusLine},
		{"CTL in reason", "HTTP/1.1 200 O\x01K\r\n\r\n", MethodGET, 0, "", 0, 0, ErrStatusLine},
		{"obs-fold", "HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n", MethodGET, 0, "", 0, 0, ErrObsFold},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", MethodGET, 0, "", 0, 0, ErrContentLength},
		{"two hosts are fine", "HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\nContent-Length: 0\r\n\r\n", MethodGET, 200, "OK", BodyLength, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Response
			buf := []byte(tc.in)
			n, err := NewScanner(DefaultLimits()).Response(buf, &r, tc.method)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if n != len(buf) || r.Status != tc.status || string(r.Reason.Bytes(buf)) != tc.reason || r.Framing != tc.framing || r.ContentLength != tc.cl {
				t.Fatalf("n %d status %d reason %q framing %d cl %d", n, r.Status, r.Reason.Bytes(buf), r.Framing, r.ContentLength)
			}
		})
	}
}

// TestResumeLinear feeds heads one byte at a time and checks that the
// scanner examines each byte a bounded number of times in total, however
// many calls it takes, and that a resumed call never reads bytes of lines
// already finished: they are overwritten between calls.
func TestResumeLinear(t *testing.T) {
	var req Request
	var resp Response
	for _, size := range []int{1000, 4000, 15000} {
		q := size / 4
		heads := []struct {
			in   string
			scan func(s *Scanner, b []byte) (int, error)
		}{
			{"GET /" + strings.Repeat("p", q) + " HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n" +
				"Cookie: " + strings.Repeat("c", q) + "\r\nX: " + strings.Repeat("v", q) + "\r\n\r\n",
				func(s *Scanner, b []byte) (int, error) { return s.Request(b, &req) }},
			{"HTTP/1.1 200 " + strings.Repeat("r", q) + "\r\nContent-Length: 0\r\n" +
				"Set-Cookie: " + strings.Repeat("c", q) + "\r\nX: " + strings.Repeat("v \t", q/3) + "\r\n\r\n",
				func(s *Scanner, b []byte) (int, error) { return s.Response(b, &resp, MethodGET) }},
		}
		for _, h := range heads {
			in := []byte(h.in)
			s := NewScanner(DefaultLimits())
			n, err := 0, ErrNeedMore
			win := make([]byte, 0, len(in))
			calls := 0
			for i := 0; err == ErrNeedMore; i++ {
				win = append(win, in[i])
				calls++
				n, err = h.scan(s, win)
				if err == ErrNeedMore {
					for j := 0; j < s.line; j++ {
						win[j] = 0 // a rescan of a finished line would now fail
					}
				}
			}
			if err != nil || n != len(in) {
				t.Fatalf("size %d: n %d err %v", size, n, err)
			}
			if calls != len(in) {
				t.Fatalf("size %d: %d calls for %d bytes", size, calls, len(in))
			}
			if s.work > 2*len(in) {
				t.Errorf("size %d: %d bytes examined for a %d-byte head", size, s.work, len(in))
			}
			whole := NewScanner(DefaultLimits())
			if _, err := h.scan(whole, in); err != nil {
				t.Fatal(err)
			}
			if s.work != whole.work {
				t.Errorf("size %d: byte at a time examined %d bytes, whole %d", size, s.work, whole.work)
			}
		}
	}
}

func TestScannerMisuse(t *testing.T) {
	s := NewScanner(DefaultLimits())
	var r Request
	if _, err := s.Request([]byte("GET / HT"), &r); err != ErrNeedMore {
		t.Fatal(err)
	}
	mustPanic(t, "response during request", func() { s.Response([]byte("HTTP/1.1"), &Response{}, MethodGET) })
	mustPanic(t, "shorter window", func() { s.Request([]byte("GET"), &r) })
	s.Reset()
	if _, err := s.Request([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), &r); err != nil {
		t.Fatal(err)
	}
	mustPanic(t, "bad limits", func() { NewScanner(Limits{}) })
}

func mustPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if p := recover(); p == nil {
			t.Errorf("%s: no panic", what)
		} else if s, ok := p.(string); !ok || !strings.HasPrefix(s, "BUG: ") {
			t.Errorf("%s: panic %v", what, p)
		}
	}()
	f()
}

func TestStatusOf(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{{nil, 0}, {ErrBareCR, 400}, {ErrUnknownCoding, 501}, {ErrTargetTooLong, 414}, {ErrHeadTooLarge, 431}, {ErrVersionNotSup, 505}, {ErrNeedMore, 400}} {
		if got := StatusOf(tc.err); got != tc.want {
			t.Errorf("StatusOf(%v) = %d, want %d", tc.err, got, tc.want)
		}
	}
}

func TestSWARMatchesTables(t *testing.T) {
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			var w [8]byte
			for i := range w {
				w[i] = 'a'
			}
			w[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			if got, want := valueStops(x) != 0, valueStop[c] == 1; got != want {
				t.Errorf("valueStops with %#x at %d = %v", c, pos, got)
			}
			if got, want := hasTargetStop(x), !isTarget[c]; got != want {
				t.Errorf("hasTargetStop with %#x at %d = %v", c, pos, got)
			}
		}
	}
}

// TestResumeAfterMove scans part of a head in one buffer, moves the bytes
// to a larger buffer, as a connection growing its buffer does, and finishes
// there: the spans index the new buffer.
func TestResumeAfterMove(t *testing.T) {
	in := "GET /x HTTP/1.1\r\nHost: a\r\nCookie: s=1\r\n\r\n"
	small := make([]byte, 20)
	copy(small, in)
	s := NewScanner(DefaultLimits())
	var r Request
	if _, err := s.Request(small, &r); err != ErrNeedMore {
		t.Fatal(err)
	}
	big := make([]byte, 0, 4096)
	big = append(big, small...)
	big = append(big, in[20:]...)
	for i := range small {
		small[i] = 'x' // the old buffer is gone
	}
	n, err := s.Request(big, &r)
	if err != nil || n != len(in) {
		t.Fatalf("n %d err %v", n, err)
	}
	if got := string(r.Value(big, r.Find(big, "cookie", 0))); got != "s=1" {
		t.Fatalf("cookie %q", got)
	}
	if got := string(r.Target.Bytes(big)); got != "/x" {
		t.Fatalf("target %q", got)
	}
}
