package engine

import (
	"fmt"
	"testing"
)

// TestErrorFileHAProxyDifferential runs the errorfile cases through haproxy
// and tether with the same configuration and error files, and requires the
// same bytes in reply and the same fate of the connection: the backend's
// errorfile over the frontend's, the frontend's without a backend, 502,
// 503, 504 and 400 replaced, the monitor-uri's 200, HAProxy's own 400 and 408 to a request it
// could not read, HEAD, and HTTP/1.0 clients. The same requests without
// the errorfiles compare the built-in replies.
func TestErrorFileHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	dir := writeErrorFiles(t, errorFiles)
	for _, files := range []bool{true, false} {
		name := "errorfiles"
		config := func(origin string) string { return errorFileConfig(dir, origin) }
		if !files {
			name = "built-in"
			config = func(origin string) string { return withoutErrorFiles(errorFileConfig(dir, origin)) }
		}
		t.Run(name, func(t *testing.T) {
			haddr := startHAProxy(t, bin, config(errorFileOrigin(t)))
			_, taddr := startEngine(t, config(errorFileOrigin(t)))
			for _, c := range errorFileCases() {
				want, wantClosed := runErrorFileCase(t, haddr, c)
				got, closed := runErrorFileCase(t, taddr, c)
				if got != want || closed != wantClosed {
					t.Errorf("%s: tether sent %q, closed %v\nhaproxy sent %q, closed %v", c.name, got, closed, want, wantClosed)
				}
			}
		})
	}
}

// TestErrorFileEmptyHAProxyDifferential checks empty errorfiles against
// haproxy: nothing is sent and the connection closes.
func TestErrorFileEmptyHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	dir := writeErrorFiles(t, map[string]string{"empty.http": ""})
	haddr := startHAProxy(t, bin, emptyErrorFileConfig(dir))
	_, taddr := startEngine(t, emptyErrorFileConfig(dir))
	for _, req := range emptyErrorFileRequests {
		c := errorFileCase{send: []string{req}}
		want, wantClosed := runErrorFileCase(t, haddr, c)
		got, closed := runErrorFileCase(t, taddr, c)
		if got != want || closed != wantClosed {
			t.Errorf("%q: tether sent %q, closed %v\nhaproxy sent %q, closed %v", req, got, closed, want, wantClosed)
		}
	}
}

// TestErrorLocHAProxyDifferential checks errorloc, errorloc302 and
// errorloc303 against haproxy: the reply is a redirect to the URL, kept
// alive for HTTP/1.1 and closed for HTTP/1.0, the backend's over the
// defaults', for a 503 (no server), a 400 and a 408.
func TestErrorLocHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	config := func() string {
		return fmt.Sprintf(`defaults
  mode http
  timeout client 5s
  timeout http-request 300ms
  errorloc 400 https://errors.example/bad?x=1
  errorloc303 408 /slow
  errorloc302 503 /default
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
  errorloc303 503 http://status.example/down
`, freePort())
	}
	haddr := startHAProxy(t, bin, config())
	_, taddr := startEngine(t, config())
	for _, req := range []string{
		"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.0\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: x\r\n",
	} {
		c := errorFileCase{send: []string{req}}
		want, wantClosed := runErrorFileCase(t, haddr, c)
		got, closed := runErrorFileCase(t, taddr, c)
		if got != want || closed != wantClosed {
			t.Errorf("%q: tether sent %q, closed %v\nhaproxy sent %q, closed %v", req, got, closed, want, wantClosed)
		}
	}
}
