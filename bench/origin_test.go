package bench

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

func startOrigin(t *testing.T, name string) *Origin {
	t.Helper()
	o := &Origin{Name: name}
	if err := o.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// roundTrip sends one raw request and reads one response with net/http's
// parser, which checks the framing the origin produced.
func roundTrip(t *testing.T, o *Origin, raw string) (*http.Response, string) {
	t.Helper()
	c, err := net.DialTimeout("tcp", o.Addr().String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

func TestOriginResponses(t *testing.T) {
	o := startOrigin(t, "s1")
	tests := []struct {
		name, target, cookie string
		status               int
		bodyLen              int
		body                 string
		chunked              bool
		setCookies           []string
	}{
		{name: "default", target: "/", status: 200, body: "s1\n"},
		{name: "cookie echoed", target: "/", cookie: "SRV=s1; a=b", status: 200, body: "s1\n"},
		{name: "sized", target: "/?size=1000", status: 200, bodyLen: 1000},
		{name: "large sized", target: "/?size=300000", status: 200, bodyLen: 300000},
		{name: "chunked", target: "/?size=70000&chunked=1", status: 200, bodyLen: 70000, chunked: true},
		{name: "status", target: "/?status=404", status: 404, body: "s1\n"},
		{name: "set-cookie", target: "/?setcookie=A%3D1&setcookie=B%3D2", status: 200, body: "s1\n",
			setCookies: []string{"A=1", "B=2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "GET " + tt.target + " HTTP/1.1\r\nHost: x\r\n"
			if tt.cookie != "" {
				raw += "cookie: " + tt.cookie + "\r\n" // lowercase, as HAProxy sends it
			}
			resp, body := roundTrip(t, o, raw+"\r\n")
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if got := resp.Header.Get("x-server"); got != "s1" {
				t.Errorf("x-server %q", got)
			}
			if got := resp.Header.Get("x-seen-cookie"); got != tt.cookie {
				t.Errorf("x-seen-cookie %q, want %q", got, tt.cookie)
			}
			if tt.body != "" && body != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			if tt.bodyLen != 0 && (len(body) != tt.bodyLen || strings.Trim(body, "x") != "") {
				t.Errorf("body of %d bytes, want %d of 'x'", len(body), tt.bodyLen)
			}
			isChunked := len(resp.TransferEncoding) > 0 && resp.TransferEncoding[0] == "chunked"
			if isChunked != tt.chunked {
				t.Errorf("chunked %v, want %v", isChunked, tt.chunked)
			}
			if got := resp.Header.Values("set-cookie"); strings.Join(got, "|") != strings.Join(tt.setCookies, "|") {
				t.Errorf("set-cookie %q, want %q", got, tt.setCookies)
			}
		})
	}
	if n := o.Requests(); n != uint64(len(tests)) {
		t.Errorf("Requests() = %d, want %d", n, len(tests))
	}
}

func TestOriginClose(t *testing.T) {
	o := startOrigin(t, "s2")
	resp, _ := roundTrip(t, o, "GET /?close=1 HTTP/1.1\r\nHost: x\r\n\r\n")
	if !resp.Close {
		t.Error("close=1 did not answer with connection: close")
	}
	if err := o.Start("127.0.0.1:0"); err != ErrOriginStarted {
		t.Errorf("second Start: %v, want ErrOriginStarted", err)
	}
	addr := o.Addr().String()
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Error("origin still accepts after Close")
	}
}
