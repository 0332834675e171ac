package engine

import (
	"strings"
	"testing"
	"time"
)

// TestMonitorURI: requests for the monitor URI are answered by the proxy,
// keep the connection as any reply of the proxy does, and are not logged;
// other requests go to the server.
func TestMonitorURI(t *testing.T) {
	t.Parallel()
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\norigin")
	cfg, pc := withHTTPLog(t, rawConfig(rawOrigin(t, resp, 1), ""))
	cfg = strings.Replace(cfg, "  default_backend be\n", "  default_backend be\n  monitor-uri /health\n", 1)
	_, addr := startEngine(t, cfg)
	c := dial(t, addr)
	for _, tt := range []struct{ send, body string }{
		{"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"},
		{"GET /health?x HTTP/1.1\r\nHost: x\r\n\r\n", "origin"},
		{"GET http://x/health HTTP/1.1\r\nHost: x\r\n\r\n", "<html><body><h1>200 OK</h1>\nService ready.\n</body></html>\n"},
		{"GET http://x:80/health?x HTTP/1.1\r\nHost: x\r\n\r\n", "origin"},
		{"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "origin"},
	} {
		c.send(tt.send)
		r, body := c.response("GET")
		if r.StatusCode != 200 || body != tt.body || r.Close {
			t.Errorf("%q: %d %q (close %v)", tt.send, r.StatusCode, body, r.Close)
		}
	}
	c10 := dial(t, addr)
	c10.send("GET /health HTTP/1.0\r\n\r\n")
	if r, _ := c10.response("GET"); r.StatusCode != 200 || !r.Close || !c10.closed() {
		t.Errorf("HTTP/1.0: %d, connection: close %v, closed %v", r.StatusCode, r.Close, c10.closed())
	}
	for _, proxied := range []string{"/health?x", "http://x/health?x", "/healthz"} { // the default port goes, as HAProxy logs it
		line, err := nextLog(pc, 2*time.Second)
		if err != nil || !strings.Contains(line, `"GET `+proxied+` HTTP/1.1"`) {
			t.Fatalf("log line %q, %v; want the proxied request for %s", line, err, proxied)
		}
	}
	if line, err := nextLog(pc, 300*time.Millisecond); err == nil {
		t.Errorf("a monitor request was logged: %q", line)
	}
}
