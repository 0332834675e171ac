package engine

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

func TestHTTPAccessLog(t *testing.T) {
	origins := startOrigins(t, 1)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	cfg := fmt.Sprintf(`defaults
  mode http
  log %s local0
  option httplog
  timeout connect 1s
  timeout client 5s
  timeout server 5s
frontend fe
  bind 127.0.0.1:%d
  capture cookie S len 5
  acl dead path_beg /dead
  use_backend deadbe if dead
  default_backend be
backend be
  cookie SRV insert indirect
  server s1 %s cookie a
backend deadbe
  cookie SRV insert indirect
  retries 0
  server d1 %s cookie d
`, pc.LocalAddr(), freePort(), origins[0].Addr, deadAddr())
	_, addr := startEngine(t, cfg)
	c := dial(t, addr)
	c.send("GET /logged?size=7&setcookie=x%3D1 HTTP/1.1\r\nHost: x\r\nCookie: a=1; SID = zz9\r\n\r\n")
	c.response("GET")
	c.send("GET /logged?size=7&setcookie=SESS%3Dabcdef HTTP/1.1\r\nHost: x\r\n\r\n")
	c.response("GET")
	c.send("GET /dead HTTP/1.1\r\nHost: x\r\nCookie: SRV=d\r\n\r\n")
	c.response("GET")
	c.send("GET / HTTP/1.1\r\nHost x\r\n\r\n")
	c.rest()
	// capture cookie: the first request cookie starting with "S" (blanks
	// around '=' left out, cut at 5 bytes); the server's Set-Cookie only,
	// not the inserted one.
	captured := []string{` fe be/s1 0/0/`, ` 200 `, ` SID=z - --NI `, `"GET /logged?size=7&setcookie=x%3D1 HTTP/1.1"`}
	want := []string{
		` fe be/s1 0/0/`, ` 200 `, ` - SESS= --NI `, `"GET /logged?size=7&setcookie=SESS%3Dabcdef HTTP/1.1"`,
	}
	dead := []string{` fe deadbe/d1 `, ` 503 `, ` SCVN `, `"GET /dead HTTP/1.1"`}
	bad := []string{` fe fe/<NOSRV> -1/-1/-1/-1/`, ` 400 0 - - PR-- `, `"<BADREQ>"`}
	buf := make([]byte, 2048)
	for _, w := range [][]string{captured, want, dead, bad} {
		_ = pc.SetReadDeadline(time.Now().Add(3 * time.Second))
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		line := string(buf[:n])
		for _, s := range w {
			if !strings.Contains(line, s) {
				t.Fatalf("log line %q lacks %q", line, s)
			}
		}
	}
}
