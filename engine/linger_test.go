package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCloseLingers: a response that ends the client connection (delimited
// by the close) reaches the client whole and ends with the end of the
// stream, not a reset, even when the client sent more than the proxy read:
// a few bytes behind the request (read by the loop), or megabytes (the
// client is paused with them unread in the kernel).
func TestCloseLingers(t *testing.T) {
	t.Parallel()
	body := strings.Repeat("b", 200<<10)
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
			return
		}
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\n"+body) // delimited by the close
	})
	_, addr := startEngine(t, rawConfig(o.ln.Addr().String(), ""))
	for _, ahead := range []int{100, 8 << 20} {
		c := dial(t, addr)
		_ = c.c.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			// The request, then bytes the proxy will not use.
			_, _ = io.WriteString(c.c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"+strings.Repeat("x", ahead))
		}()
		time.Sleep(200 * time.Millisecond) // the response waits in the client's socket
		b, err := io.ReadAll(c.br)
		if err != nil || !strings.HasSuffix(string(b), "\r\n\r\n"+body) {
			t.Errorf("%d bytes sent ahead: the client read %d bytes, then %v", ahead, len(b), err)
		}
		_ = c.c.Close()
	}
}
