package engine

import "testing"

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
