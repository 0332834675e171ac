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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
	bin := haproxyBinLong(t)
	config := func() string {
		return fmt.Sprintf(`defaults
  mode http
  timeout client 5s
  timeout http-request 300ms
  timeout http-keep-alive 5s
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

// httpErrorsConfig is a configuration whose proxies take their replies
// from http-errors sections declared after them, one frontend and backend
// (without servers: 503) per way of mixing `errorfiles` with `errorfile`
// and with what a defaults section gives; ports has one port per frontend.
func httpErrorsConfig(dir string, ports []int) string {
	return fmt.Sprintf(`defaults
  mode http
  timeout client 5s
  monitor-uri /mon
  errorfiles site 200
frontend f0
  bind 127.0.0.1:%[2]d
  default_backend alone
backend alone
  errorfiles site
frontend f1
  bind 127.0.0.1:%[3]d
  errorfile 200 %[1]s/own200.http
  default_backend file-after
backend file-after
  errorfiles site
  errorfile 503 %[1]s/own503.http
frontend f2
  bind 127.0.0.1:%[4]d
  errorfiles other
  default_backend file-before
backend file-before
  errorfile 503 %[1]s/own503.http
  errorfiles site
frontend f3
  bind 127.0.0.1:%[5]d
  errorfiles other 503
  default_backend listed
backend listed
  errorfiles other 200 404
frontend f4
  bind 127.0.0.1:%[6]d
  default_backend two
backend two
  errorfiles site
  errorfiles other 503
defaults
  mode http
  timeout client 5s
  monitor-uri /mon
  errorfile 503 %[1]s/own503.http
  errorfiles site 503
  errorfiles other 200
frontend f5
  bind 127.0.0.1:%[7]d
  default_backend inherited
backend inherited
defaults
  mode http
  timeout client 5s
  monitor-uri /mon
  errorfiles other
  errorfile 503 %[1]s/own503.http
  errorloc 200 /moved
frontend f6
  bind 127.0.0.1:%[8]d
  default_backend file-last
backend file-last
http-errors site
  errorfile 503 %[1]s/site503.http
  errorfile 200 %[1]s/site200.http
http-errors other
  errorfile 200 %[1]s/other200.http
  errorfile 503 %[1]s/other503.http
  errorfile 404 %[1]s/other404.http
`, dir, ports[0], ports[1], ports[2], ports[3], ports[4], ports[5], ports[6])
}

// taggedReply is an error file whose body names it.
func taggedReply(status, tag string) string {
	return fmt.Sprintf("HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s\n", status, len(tag)+1, tag)
}

// TestHTTPErrorsHAProxyDifferential checks http-errors sections and
// `errorfiles` against haproxy: an import alone, before and after an
// errorfile of the same status, restricted to a list of statuses, two
// imports, and imports inherited from defaults sections, with the sections
// declared after the proxies that name them. Each frontend answers a
// request its backend has no server for (503) and its monitor-uri (200).
func TestHTTPErrorsHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	dir := writeErrorFiles(t, map[string]string{
		"site503.http":  taggedReply("503 Service Unavailable", "site 503"),
		"site200.http":  taggedReply("200 OK", "site 200"),
		"other503.http": taggedReply("503 Service Unavailable", "other 503"),
		"other200.http": taggedReply("200 OK", "other 200"),
		"other404.http": taggedReply("404 Not Found", "other 404"),
		"own503.http":   taggedReply("503 Service Unavailable", "own 503"),
		"own200.http":   taggedReply("200 OK", "own 200"),
	})
	ports := distinctPorts(t, 14) // haproxy's frontends share a port they both bind (SO_REUSEPORT)
	hports, tports := ports[:7], ports[7:]
	startHAProxy(t, bin, httpErrorsConfig(dir, hports))
	startEngine(t, httpErrorsConfig(dir, tports))
	for i := range hports {
		for _, req := range []string{
			"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
			"GET /mon HTTP/1.1\r\nHost: x\r\n\r\n",
		} {
			c := errorFileCase{send: []string{req}}
			want, wantClosed := runErrorFileCase(t, fmt.Sprintf("127.0.0.1:%d", hports[i]), c)
			got, closed := runErrorFileCase(t, fmt.Sprintf("127.0.0.1:%d", tports[i]), c)
			if got != want || closed != wantClosed {
				t.Errorf("f%d, %q: tether sent %q, closed %v\nhaproxy sent %q, closed %v", i, req, got, closed, want, wantClosed)
			}
		}
	}
}

// distinctPorts returns n free ports of 127.0.0.1, all different
// (freePort never gives one twice).
func distinctPorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = freePort()
	}
	return ports
}
