package engine

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
	"tether/h1"
)

// TestHTTPUpgradeSentAhead: a client sends an upgrade request and at once
// many MiB of tunnel bytes, while the server holds its 101 back. The proxy
// stops reading the client (it is paused, as HAProxy stops reading once its
// buffer is full) instead of cutting it; after the 101, which the server
// follows at once with bytes of its own, every byte the client sent
// reaches the server in order, the server's bytes reach the client, and
// the heap stays bounded. In the second case the client reads late, so
// the server's bytes back up in the paused client's Tail and the server is
// paused too until the tunnel starts.
func TestHTTPUpgradeSentAhead(t *testing.T) {
	if testing.Short() {
		t.Skip("large tunnel")
	}
	for _, tt := range []struct {
		name    string
		connect bool
		down    int64
		late    time.Duration
	}{
		{"client reads at once", false, 2 << 20, 0},
		{"client reads late", false, 32 << 20, 300 * time.Millisecond},
		{"CONNECT", true, 2 << 20, 0},
	} {
		t.Run(tt.name, func(t *testing.T) { testUpgradeSentAhead(t, tt.connect, tt.down, tt.late) })
	}
}

func testUpgradeSentAhead(t *testing.T, connect bool, down int64, late time.Duration) {
	head, status := "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", 101
	answer := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
	if connect {
		head, status = "CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n", 200
		answer = "HTTP/1.1 200 Connection established\r\n\r\n"
	}
	const up = 16 << 20
	release := make(chan struct{})
	verdict := make(chan error, 1)
	raw := startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		req, err := http.ReadRequest(br)
		if err != nil {
			verdict <- err
			return
		}
		if (req.Method == "CONNECT") != connect || (!connect && req.Header.Get("Upgrade") != "websocket") {
			testorigin.Printf(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
			verdict <- io.ErrUnexpectedEOF
			return
		}
		<-release
		_, _ = io.WriteString(c, answer)
		if err := sendPattern(c, down); err != nil {
			verdict <- err
			return
		}
		err = readPattern(br, up, 64<<10, 0)
		verdict <- err
		if err == nil {
			_, _ = io.WriteString(c, "all bytes in order\n")
		}
	})
	e, addr := startEngine(t, rawConfig(raw.Addr, "  timeout tunnel 30s\n"))
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	stop := memPeak()
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.c, head)
		if err == nil {
			err = sendPattern(c.c, up)
		}
		werr <- err
	}()
	if !within(10*time.Second, func() bool { return onLoops(t, e.server(), pausedValves) > 0 }) {
		close(release)
		t.Fatal("the client sending tunnel bytes ahead of the 101 was never paused")
	}
	close(release)
	time.Sleep(late)
	r, err := http.ReadResponse(c.br, &http.Request{Method: "CONNECT"})
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != status {
		t.Fatalf("status %d, want %d", r.StatusCode, status)
	}
	if err := readPattern(c.br, down, 64<<10, 0); err != nil {
		t.Fatalf("the server's bytes after its 101: %v", err)
	}
	if err := <-verdict; err != nil {
		t.Fatalf("the server read the client's tunnel bytes: %v", err)
	}
	if err := <-werr; err != nil {
		t.Fatalf("the client could not send all its bytes: %v", err)
	}
	heap, _ := stop()
	line, err := c.br.ReadString('\n')
	if err != nil || line != "all bytes in order\n" {
		t.Fatalf("through the tunnel: %q, %v", line, err)
	}
	t.Logf("%d MiB sent ahead of a held %d, %d MiB back; peak heap growth %d KiB", up>>20, status, down>>20, heap>>10)
	if heap > 16<<20 {
		t.Errorf("heap grew by %d MiB while the client sent ahead of the %d", heap>>20, status)
	}
}

// TestHTTPUpgradeDeclinedSentAhead: a client pipelines requests behind an
// upgrade request the server declines (it answers 200). The client is
// paused while the answer is held, and every request it sent ahead is then
// answered, in order.
func TestHTTPUpgradeDeclinedSentAhead(t *testing.T) {
	t.Parallel()
	const n = 2000
	release := make(chan struct{})
	raw := holdingOrigin(t, release)
	e, addr := startEngine(t, rawConfig(raw.Addr, ""))
	c := dial(t, addr)
	reqs := aheadRequests("GET /first HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", n)
	werr := c.sendAsync(reqs)
	if !within(10*time.Second, func() bool { return onLoops(t, e.server(), pausedValves) > 0 }) {
		close(release)
		t.Fatal("the client sending ahead of its upgrade request was never paused")
	}
	close(release)
	c.inOrder(n, werr)
}

func TestBadWebSocket(t *testing.T) {
	t.Parallel()
	const key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	for _, tt := range []struct {
		head string
		bad  bool
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n" + key + "\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: short\r\n" + key + "\r\n", false},
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: short\r\n\r\n", true},
		{"GET / HTTP/1.0\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n\r\n", true},
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", false},                  // no upgrade asked in Connection
		{"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: foo\r\nConnection: upgrade\r\n\r\n", false}, // not a WebSocket
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n", false},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", true},
		{"HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\nConnection: Upgrade\r\n\r\n", false},
	} {
		s := h1.NewScanner(h1.DefaultLimits())
		var h *h1.Header
		var err error
		response := strings.HasPrefix(tt.head, "HTTP/")
		if response {
			var r h1.Response
			_, err = s.Response([]byte(tt.head), &r, h1.MethodGET)
			h = &r.Header
		} else {
			var r h1.Request
			_, err = s.Request([]byte(tt.head), &r)
			h = &r.Header
		}
		if err != nil {
			t.Fatalf("%q: %v", tt.head, err)
		}
		if got := badWebSocket(h, []byte(tt.head), response); got != tt.bad {
			t.Errorf("%q: bad %v, want %v", tt.head, got, tt.bad)
		}
	}
}

// TestHTTPTunnelLoggedAtEnd: as HAProxy, a tunnel's exchange is logged when
// the tunnel ends, with the bytes that went through it to the client.
func TestHTTPTunnelLoggedAtEnd(t *testing.T) {
	t.Parallel()
	const answer = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: x\r\n\r\n"
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		defer c.Close()
		if _, _, err := r.ReadRequest(br); err != nil {
			return
		}
		_, _ = io.WriteString(c, answer)
		_, _ = io.Copy(c, br) // echo
	})
	cfg, pc := withHTTPLog(t, rawConfig(raw.Addr, "  timeout tunnel 2s\n"))
	_, addr := startEngine(t, cfg)
	c := dial(t, addr)
	c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	if r, _ := c.response("GET"); r.StatusCode != 101 {
		t.Fatalf("status %d", r.StatusCode)
	}
	msg := strings.Repeat("m", 1000)
	c.send(msg)
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c.br, got); err != nil {
		t.Fatal(err)
	}
	if line, err := nextLog(pc, 300*time.Millisecond); err == nil {
		t.Fatalf("logged while the tunnel is open: %q", line)
	}
	_ = c.c.Close()
	line, err := nextLog(pc, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// HAProxy's %B counts the 101 in its internal form: the start line's
	// parts and 20, each field's name and value, 1 for the end of the
	// head; then the tunnel's bytes as they went.
	const answerLogged = 20 + 8 + 3 + 19 + 7 + 9 + 10 + 7 + 20 + 1 + 1
	want := " 101 " + strconv.Itoa(answerLogged+len(msg)) + " - - ---- "
	if !strings.Contains(line, want) || !strings.Contains(line, `"GET /ws HTTP/1.1"`) {
		t.Errorf("log line %q lacks %q", line, want)
	}

	// A tunnel that times out is the client's timeout in the data phase.
	c = dial(t, addr)
	c.send("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	if r, _ := c.response("GET"); r.StatusCode != 101 {
		t.Fatalf("status %d", r.StatusCode)
	}
	if line, err = nextLog(pc, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	want = " 101 " + strconv.Itoa(answerLogged) + " - - cD-- "
	if !strings.Contains(line, want) {
		t.Errorf("log line %q lacks %q", line, want)
	}
}
