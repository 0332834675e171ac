package h1

import (
	"errors"
	"testing"
)

func TestRequestFraming(t *testing.T) {
	const pre = "POST / HTTP/1.1\r\nHost: a\r\n"
	tests := []struct {
		name    string
		fields  string
		framing Framing
		cl      int64
		flags   Flags // flags that must be set
		want    error
	}{
		{"no body", "", BodyNone, -1, 0, nil},
		{"length", "Content-Length: 42\r\n", BodyLength, 42, 0, nil},
		{"zero length", "Content-Length: 0\r\n", BodyLength, 0, 0, nil},
		{"leading zeros", "Content-Length: 007\r\n", BodyLength, 7, 0, nil},
		{"identical list", "Content-Length: 3, 3\r\n", BodyLength, 3, FlagCLList, nil},
		{"identical lines", "Content-Length: 3\r\nContent-Length: 3\r\n", BodyLength, 3, FlagCLList, nil},
		{"max int64", "Content-Length: 9223372036854775807\r\n", BodyLength, 9223372036854775807, 0, nil},
		{"overflow", "Content-Length: 9223372036854775808\r\n", 0, 0, 0, ErrContentLength},
		{"huge", "Content-Length: 99999999999999999999999\r\n", 0, 0, 0, ErrContentLength},
		{"different list", "Content-Length: 3, 4\r\n", 0, 0, 0, ErrContentLength},
		{"different lines", "Content-Length: 3\r\nContent-Length: 4\r\n", 0, 0, 0, ErrContentLength},
		{"plus sign", "Content-Length: +3\r\n", 0, 0, 0, ErrContentLength},
		{"minus sign", "Content-Length: -3\r\n", 0, 0, 0, ErrContentLength},
		{"hex", "Content-Length: 0x3\r\n", 0, 0, 0, ErrContentLength},
		{"empty", "Content-Length:\r\n", 0, 0, 0, ErrContentLength},
		{"empty element", "Content-Length: 3,\r\n", 0, 0, 0, ErrContentLength},
		{"inner space", "Content-Length: 1 2\r\n", 0, 0, 0, ErrContentLength},
		{"chunked", "Transfer-Encoding: chunked\r\n", BodyChunked, -1, 0, nil},
		{"chunked any case", "Transfer-Encoding: ChUnKeD\r\n", BodyChunked, -1, 0, nil},
		{"gzip then chunked", "Transfer-Encoding: gzip, chunked\r\n", BodyChunked, -1, 0, nil},
		{"gzip then chunked on two lines", "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n", BodyChunked, -1, 0, nil},
		{"empty list elements", "Transfer-Encoding: , chunked ,\r\n", BodyChunked, -1, 0, nil},
		{"gzip with parameter", "Transfer-Encoding: gzip;level=\"9,x\", chunked\r\n", BodyChunked, -1, 0, nil},
		{"chunked not final", "Transfer-Encoding: chunked, gzip\r\n", 0, 0, 0, ErrTransferEncoding},
		{"only gzip", "Transfer-Encoding: gzip\r\n", 0, 0, 0, ErrTransferEncoding},
		{"chunked twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", 0, 0, 0, ErrTransferEncoding},
		{"chunked twice in a list", "Transfer-Encoding: chunked, chunked\r\n", 0, 0, 0, ErrTransferEncoding},
		{"chunked with parameter", "Transfer-Encoding: chunked;q=1\r\n", 0, 0, 0, ErrTransferEncoding},
		{"empty TE", "Transfer-Encoding:\r\n", 0, 0, 0, ErrTransferEncoding},
		{"bad TE syntax", "Transfer-Encoding: chunked x\r\n", 0, 0, 0, ErrTransferEncoding},
		{"bad parameter", "Transfer-Encoding: gzip;=1, chunked\r\n", 0, 0, 0, ErrTransferEncoding},
		{"unterminated quote", "Transfer-Encoding: gzip;a=\"1, chunked\r\n", 0, 0, 0, ErrTransferEncoding},
		{"unknown coding", "Transfer-Encoding: foo, chunked\r\n", 0, 0, 0, ErrUnknownCoding},
		{"identity", "Transfer-Encoding: identity, chunked\r\n", 0, 0, 0, ErrUnknownCoding},
		{"unknown alone", "Transfer-Encoding: foo\r\n", 0, 0, 0, ErrUnknownCoding},
		{"TE and CL", "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", BodyChunked, -1, FlagRemoveCL | FlagMustClose, nil},
		{"CL and TE", "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", BodyChunked, -1, FlagRemoveCL | FlagMustClose, nil},
		{"TE and bad CL", "Transfer-Encoding: chunked\r\nContent-Length: x\r\n", 0, 0, 0, ErrContentLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _, err := scanReq(t, pre+tc.fields+"\r\n")
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			if r.Framing != tc.framing || r.ContentLength != tc.cl || r.Flags&tc.flags != tc.flags {
				t.Fatalf("framing %d cl %d flags %#x", r.Framing, r.ContentLength, r.Flags)
			}
			if tc.flags&FlagMustClose != 0 && r.KeepAlive() {
				t.Fatal("keep-alive after ambiguous framing")
			}
		})
	}
}

func TestTEInHTTP10Request(t *testing.T) {
	_, _, err := scanReq(t, "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n")
	if err != ErrTEInHTTP10 || StatusOf(err) != 400 {
		t.Fatalf("err = %v", err)
	}
}

func TestConnectionFlags(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		flags     Flags
		keepAlive bool
	}{
		{"http11 default", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0, true},
		{"http11 close", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n", FlagConnClose, false},
		{"http10 default", "GET / HTTP/1.0\r\n\r\n", 0, false},
		{"http10 keep-alive", "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", FlagConnKeepAlive, true},
		{"close wins", "GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", FlagConnKeepAlive | FlagConnClose, false},
		{"websocket", "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\nUpgrade: WebSocket\r\n\r\n", FlagConnKeepAlive | FlagConnUpgrade | FlagUpgrade | FlagWebSocket, true},
		{"h2c and websocket", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: h2c, websocket/13\r\n\r\n", FlagConnUpgrade | FlagUpgrade | FlagWebSocket | FlagH2C, true},
		{"h2c", "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: H2C\r\n\r\n", FlagConnUpgrade | FlagConnOther | FlagUpgrade | FlagH2C, true},
		{"other protocol", "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\nUpgrade: foo/2, h2\r\n\r\n", FlagConnUpgrade | FlagUpgrade, true},
		{"other options", "GET / HTTP/1.1\r\nHost: a\r\nConnection: foo\r\n\r\n", FlagConnOther, true},
		{"expect", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n", FlagExpectContinue, true},
		{"other expect", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\n", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, _, err := scanReq(t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Flags != tc.flags || r.KeepAlive() != tc.keepAlive {
				t.Fatalf("flags %#x keep-alive %v", r.Flags, r.KeepAlive())
			}
		})
	}
}

func TestResponseFramingRepairs(t *testing.T) {
	var r Response
	buf := []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n")
	if _, err := NewScanner(DefaultLimits()).Response(buf, &r, MethodGET); err != nil {
		t.Fatal(err)
	}
	if r.Framing != BodyChunked || r.Flags&(FlagRemoveCL|FlagMustClose) != FlagRemoveCL|FlagMustClose || r.KeepAlive() {
		t.Fatalf("framing %d flags %#x", r.Framing, r.Flags)
	}
	buf = []byte("HTTP/1.1 200 OK\r\n\r\n")
	if _, err := NewScanner(DefaultLimits()).Response(buf, &r, MethodGET); err != nil {
		t.Fatal(err)
	}
	if r.KeepAlive() {
		t.Fatal("keep-alive with a close-delimited body")
	}
}
