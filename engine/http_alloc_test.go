package engine

import (
	"bytes"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
)

// rawOrigin answers every request with the same response, allocating
// nothing per request, so that a whole keep-alive exchange through the
// engine can be measured in the process's allocation counts. A request ends
// with its blanks-th empty line: 1 for a request without a body, 2 for a
// chunked one with a trailer section.
func rawOrigin(t testing.TB, resp []byte, blanks int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				have, ends := 0, 0
				for {
					n, err := c.Read(buf[have:])
					if err != nil {
						return
					}
					have += n
					for {
						i := bytes.Index(buf[:have], []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						if ends++; ends%blanks == 0 {
							if _, err := c.Write(resp); err != nil {
								return
							}
						}
						have = copy(buf, buf[i+4:have])
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// keepAliveRun sends n requests on one connection and reads the responses
// of a known size.
func keepAliveRun(c net.Conn, req []byte, respLen, n int, buf []byte) error {
	for range n {
		if _, err := c.Write(req); err != nil {
			return err
		}
		if _, err := io.ReadFull(c, buf[:respLen]); err != nil {
			return err
		}
	}
	return nil
}

// keepAliveResp is what the keep-alive origin answers every request with.
var keepAliveResp = []byte("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nCache-Control: max-age=60\r\n\r\nhello")

// keepAliveConfig starts an origin that answers every request with a
// small cacheable response and returns the configuration of one engine in
// front of it with cookie persistence: the steady state that
// TestHTTPZeroAllocKeepAlive and BenchmarkHTTPKeepAlive measure.
func keepAliveConfig(tb testing.TB) string {
	origin := rawOrigin(tb, keepAliveResp, 1)
	return "global\n  nbthread 1\n" + backendConfig("  cookie SRV insert indirect nocache\n  server s1 %s cookie a\n", origin)
}

func TestHTTPZeroAllocKeepAlive(t *testing.T) {
	zeroAllocKeepAlive(t, keepAliveConfig(t))
}

// TestHTTPZeroAllocKeepAliveLogged: the same with an httplog line per
// request, header captures included.
func TestHTTPZeroAllocKeepAliveLogged(t *testing.T) {
	cfg, _ := withHTTPLog(t, strings.Replace(keepAliveConfig(t), "global\n  nbthread 1\n", "", 1))
	cfg = strings.Replace(cfg, "  default_backend be\n", "  default_backend be\n"+
		"  capture request header Host len 16\n  capture response header Cache-Control len 16\n", 1)
	zeroAllocKeepAlive(t, "global\n  nbthread 1\n"+cfg)
}

// zeroAllocKeepAlive measures the allocations of keep-alive requests
// through an engine running cfg, in front of keepAliveConfig's origin.
func zeroAllocKeepAlive(t *testing.T, cfg string) {
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	// A coarse tick: queueing the tick task allocates in gnet, about
	// once per tick whatever the load, which is not a per-request cost.
	_, addr := startEngineTick(t, cfg, 100*time.Millisecond)
	req := []byte("GET /x HTTP/1.1\r\nHost: x\r\nCookie: a=1; SRV=a; b=2\r\n\r\n")
	allocsPerRequest(t, addr, req, len(keepAliveResp))
}

// allocsPerRequest sends req on one connection to addr and reads responses
// of respLen bytes: 2,000 to warm up, then 20,000 measured. It fails the
// test at 0.01 allocations per request or more, and returns the last
// response.
func allocsPerRequest(t *testing.T, addr string, req []byte, respLen int) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, 4096)
	if err := keepAliveRun(c, req, respLen, 2000, buf); err != nil {
		t.Fatal(err)
	}
	const n = 20000
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := keepAliveRun(c, req, respLen, n, buf); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	per := float64(after.Mallocs-before.Mallocs) / n
	t.Logf("%.4f allocations per request", per)
	if per >= 0.01 {
		t.Fatalf("%.4f allocations per request, want < 0.01", per)
	}
	return buf[:respLen]
}

// TestHTTPZeroAllocRules: the same through http-request and http-response
// rules that read samples, add, set and delete fields, under conditions.
func TestHTTPZeroAllocRules(t *testing.T) {
	cfg := strings.Replace(keepAliveConfig(t), "  default_backend be\n", "  default_backend be\n"+
		"  http-request set-header X-Src %[src]:%[src_port]-%[path]-%[req.hdr(cookie)] if { hdr(host) x }\n"+
		"  http-request add-header X-Add 1\n"+
		"  http-request del-header ^x-a.*$ -m reg unless { method GET }\n"+
		"  http-request del-header X-Src -m beg if { path /y }\n"+
		"  http-request set-path /p%[path] if { path /x }\n"+
		"  http-request set-query %[query]&a=1\n"+
		"  http-request replace-value Cookie ^nomatch(.*)$ \\1\n"+
		"  http-response add-header X-R 1\n"+
		"  http-response set-header X-S %[method]\n"+
		"  http-response del-header X-None\n", 1)
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	_, addr := startEngineTick(t, cfg, 100*time.Millisecond)
	req := []byte("GET /x HTTP/1.1\r\nHost: x\r\nCookie: a=1; SRV=a; b=2\r\n\r\n")
	resp := allocsPerRequest(t, addr, req, len(keepAliveResp)+len("x-r: 1\r\nx-s: GET\r\n"))
	if !strings.Contains(string(resp), "x-r: 1\r\nx-s: GET\r\n") {
		t.Errorf("response %q", resp)
	}
}
