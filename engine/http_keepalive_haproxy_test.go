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
)

// TestServerGoneHAProxyDifferential: a server that goes away before its
// response head (it closes, resets, or stops after a partial head or an
// interim response) gets the client a 502, logged SH--, when the request
// was the first of its connection; a later request's connection is closed
// without an answer and without a log line, so that its client retries, as
// HAProxy does. A response that is not HTTP is a 502 either way, and a
// response cut short reaches the client as far as it came, then the close.
// The test
// runs each case through haproxy 2.6 and the engine and compares the bytes
// the client gets and the log lines.
func TestServerGoneHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBin(t)
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			cl := 0
			for {
				l, err := br.ReadString('\n')
				if err != nil || l == "\r\n" {
					break
				}
				if v, ok := strings.CutPrefix(l, "Content-Length: "); ok {
					cl, _ = strconv.Atoi(strings.TrimSpace(v))
				}
			}
			if _, err := io.CopyN(io.Discard, br, int64(cl)); err != nil {
				return
			}
			path := strings.Fields(line)[1]
			switch path {
			case "/ok":
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				continue
			case "/partial":
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Le")
			case "/interim":
				_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\n\r\n")
			case "/garbage":
				_, _ = io.WriteString(c, "HTTP/1.1 2OO OK\r\n\r\n")
			case "/cut":
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello")
			case "/reset":
				_ = c.(*net.TCPConn).SetLinger(0)
			}
			if path != "/cut" { // a cut response and the close arrive together
				time.Sleep(20 * time.Millisecond) // what was written goes out before the close
			}
			return
		}
	})
	addrs, logs := loggedPair(t, bin, o.ln.Addr().String())
	run := func(i int, path string, first bool, upload int) (reply string, log []string) {
		c := dialFor(t, addrs[i], 3*time.Second)
		defer c.c.Close()
		if !first {
			c.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
			if r, _ := c.response("GET"); r == nil || r.StatusCode != 200 {
				t.Fatalf("side %d: the first request failed", i)
			}
		}
		if upload > 0 {
			// A large upload with a request pipelined behind it, sent at
			// once: the client is paused while the server reads.
			go func() {
				_, _ = io.WriteString(c.c, "POST "+path+" HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: "+strconv.Itoa(upload)+"\r\n\r\n"+
					strings.Repeat("u", upload)+"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
			}()
		} else {
			c.send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
		}
		_ = c.c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		b, err := io.ReadAll(c.br)
		reply = string(b)
		if err != nil {
			reply += " (then open)"
		}
		for wait := time.Second; ; wait = 150 * time.Millisecond { // the lines of an exchange come together
			line, err := nextLog(logs[i], wait)
			if err != nil {
				return reply, log
			}
			f := strings.Fields(line[strings.Index(line, "] ")+2:])
			log = append(log, strings.Join(append([]string{f[1], f[3], f[7]}, f[10:]...), " "))
		}
	}
	for _, path := range []string{"/gone", "/partial", "/interim", "/garbage", "/reset", "/cut"} {
		for _, first := range []bool{true, false} {
			for _, upload := range []int{0, 300 << 10} {
				if upload > 0 && path != "/gone" {
					continue // what haproxy does then depends on timing
				}
				wantReply, wantLog := run(0, path, first, upload)
				gotReply, gotLog := run(1, path, first, upload)
				// HAProxy writes field names in lower case, the engine as the
				// server wrote them.
				if strings.ToLower(gotReply) != strings.ToLower(wantReply) {
					t.Errorf("%s, first request %v, upload %d: haproxy answers\n%q\nthe engine\n%q", path, first, upload, wantReply, gotReply)
				}
				if strings.Join(gotLog, "\n") != strings.Join(wantLog, "\n") {
					t.Errorf("%s, first request %v, upload %d: haproxy logs\n%s\nthe engine\n%s", path, first, upload, strings.Join(wantLog, "\n"), strings.Join(gotLog, "\n"))
				}
			}
		}
	}
}

// TestServerCutAfterUpload: a server reads a large upload, sends the start
// of its response and closes at once, while the client, which sent the
// upload and a request behind it in one go, has not read yet. The client
// gets what the server sent, then the close (the random differential test
// found the client closed with nothing), and the exchange is logged SD--.
func TestServerCutAfterUpload(t *testing.T) {
	t.Parallel()
	const upload = 300 << 10
	cut := "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n5A9\r\n" + strings.Repeat("x", 1100)
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		br := bufio.NewReader(c)
		if _, err := http.ReadRequest(br); err != nil {
			return
		}
		if _, err := io.CopyN(io.Discard, br, upload); err != nil {
			return
		}
		_, _ = io.WriteString(c, cut)
	})
	eng := startSide(t, "", sideEngine, pairLogged, "{SRV}", o.ln.Addr().String())
	for range 5 {
		c := dialFor(t, eng.addr, 5*time.Second)
		c.send("POST /cut HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: " + strconv.Itoa(upload) + "\r\n\r\n" +
			strings.Repeat("u", upload) + "GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
		b, err := io.ReadAll(c.br)
		// The engine frames what came of the chunk as a chunk of its own.
		if !strings.HasPrefix(string(b), "HTTP/1.1 404 Not Found\r\n") || strings.Count(string(b), "x") != 1100 || err != nil {
			t.Errorf("the client got %q, %v", clip(string(b)), err)
		}
		_ = c.c.Close()
		if line, err := nextLog(eng.logs, 3*time.Second); err != nil || !strings.Contains(line, " SD-- ") || !strings.Contains(line, "POST /cut") {
			t.Fatalf("log line %q, %v", line, err)
		}
	}
}
