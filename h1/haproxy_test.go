package h1

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDifferentialHAProxy sends the same raw requests to HAProxy 2.6 and to
// the scanner and compares which ones each accepts. Where tether is
// deliberately stricter (see the package doc), the case names the
// difference and the test checks that it still holds.
func TestDifferentialHAProxy(t *testing.T) {
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy not on PATH: differential test skipped (apt-get install haproxy)")
	}
	front := startHAProxy(t, serveOK)
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("GET / HTTP/1.1\r\nHost: a\r\n")
		for i := 1; i < n; i++ {
			fmt.Fprintf(&b, "X-%d: v\r\n", i)
		}
		return b.String() + "\r\n"
	}
	tests := []struct {
		in       string
		stricter string // why tether refuses what HAProxy accepts; empty when both agree
	}{
		{"GET / HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET / HTTP/1.0\r\n\r\n", ""},
		{"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET http://a:80/ HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", ""},
		{"CONNECT a:443 HTTP/1.1\r\nHost: b:443\r\n\r\n", ""},
		{"CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"CONNECT a:80 HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"CONNECT a:443 HTTP/1.1\r\nHost: a:80\r\n\r\n", ""},
		{"CONNECT a:8080 HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-A : one\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\n: one\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nX\x01: 1\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-A: o\rne\r\n\r\n", ""},
		{"G\x01T / HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET / http/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET / HTTP/1.2\r\nHost: a\r\n\r\n", ""},
		{"GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET http://a/#b HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", ""},
		{"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET /\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3,\r\n\r\nabc", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo, chunked\r\n\r\n0\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", ""},
		{"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", ""},
		{fields(100), ""},
		{fields(101), ""},
		{"GET /" + strings.Repeat("a", 16000) + " HTTP/1.1\r\nHost: a\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nX: " + strings.Repeat("a", 16000) + "\r\n\r\n", ""},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", "obs-fold"},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-A: o\x00ne\r\n\r\n", "NUL in a value"},
		{"GET / HTTP/1.1\r\nHost: a\r\nX-A: o\x7fne\r\n\r\n", "DEL in a value"},
		{"GET / HTTP/1.1\nHost: a\n\n", "bare LF"},
		{"GET / HTTP/1.1\r\n\r\n", "missing Host"},
		{"GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", "identical Host fields"},
		{"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "space in Host"},
		{"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "HTTP/2.0 on an HTTP/1 connection"},
		{"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "Transfer-Encoding in HTTP/1.0"},
		{"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", "double space in the request line"},
	}
	for _, tc := range tests {
		var r Request
		_, err := NewScanner(DefaultLimits()).Request([]byte(tc.in), &r)
		ours := err == nil
		theirs := haproxyAccepts(t, front, tc.in)
		switch {
		case tc.stricter == "" && ours != theirs:
			t.Errorf("%q: tether accepts %v (%v), haproxy accepts %v", trim(tc.in), ours, err, theirs)
		case tc.stricter != "" && (ours || !theirs):
			t.Errorf("%q (%s): expected haproxy to accept and tether to refuse; tether %v (%v), haproxy %v", trim(tc.in), tc.stricter, ours, err, theirs)
		}
	}
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// startHAProxy runs haproxy in the foreground on a free 127.0.0.1 port in
// front of a server that runs serve on each connection, and returns the
// frontend address. Cleanup stops both.
func startHAProxy(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	back, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { back.Close() })
	go func() {
		for {
			c, err := back.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Second))
				serve(c)
			}()
		}
	}()

	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	front := probe.Addr().String()
	probe.Close()

	cfg := filepath.Join(t.TempDir(), "haproxy.cfg")
	conf := fmt.Sprintf("defaults\n  mode http\n  timeout connect 1s\n  timeout client 2s\n  timeout server 2s\n"+
		"frontend f\n  bind %s\n  default_backend b\nbackend b\n  server s1 %s\n", front, back.Addr())
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("haproxy", "-db", "-f", cfg)
	// The child dies with this process, even if it is killed or times out.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for i := 0; i < 100; i++ {
		if c, err := net.DialTimeout("tcp", front, 100*time.Millisecond); err == nil {
			c.Close()
			return front
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("haproxy did not start listening")
	return ""
}

// readHead reads a request head and returns its request line.
func readHead(br *bufio.Reader) (string, error) {
	first := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return "", err
		}
		if first == "" {
			first = line
		}
		if line == "\r\n" {
			return first, nil
		}
	}
}

// serveOK answers 200 once it has read a head.
func serveOK(c net.Conn) {
	if _, err := readHead(bufio.NewReader(c)); err == nil {
		io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
	}
}

// haproxyAccepts sends raw to haproxy and reports whether it answered 200,
// that is whether it forwarded the request.
func haproxyAccepts(t *testing.T, front, raw string) bool {
	return strings.HasPrefix(haproxyStatusLine(t, front, raw), "HTTP/1.1 200 ")
}

// haproxyStatusLine sends raw to haproxy and returns the first line of its
// answer.
func haproxyStatusLine(t *testing.T, front, raw string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", front, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	return line
}

// TestDifferentialHAProxyResponses has a server send raw response heads
// through HAProxy 2.6 and compares which ones HAProxy forwards (rather
// than answering 502) with which ones the scanner accepts.
func TestDifferentialHAProxyResponses(t *testing.T) {
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy not on PATH: differential test skipped (apt-get install haproxy)")
	}
	tests := []struct {
		in       string
		stricter string // why tether refuses what HAProxy forwards; empty when both agree
	}{
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", ""},
		{"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", ""},
		{"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nok", ""},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", ""},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9\r\n\r\n2\r\nok\r\n0\r\n\r\n", ""},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", ""},
		{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", ""},
		{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\nok", ""},
		{"HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 2\r\n\r\nok", ""},
		{"HTTP/1.1 200 OK\r\n: 1\r\nContent-Length: 2\r\n\r\nok", ""},
		{"HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", "two-digit status"},
		{"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 2\r\n\r\nok", "obs-fold"},
		{"HTTP/1.1 200 OK\nContent-Length: 2\n\nok", "bare LF"},
		{"HTTP/1.1 200 OK\r\nX: \x00\r\nContent-Length: 2\r\n\r\nok", "NUL in a value"},
	}
	bodies := make(map[string]string)
	for i, tc := range tests {
		bodies[fmt.Sprintf("GET /%d HTTP/1.1\r\n", i)] = tc.in
	}
	front := startHAProxy(t, func(c net.Conn) {
		if line, err := readHead(bufio.NewReader(c)); err == nil {
			io.WriteString(c, bodies[line])
		}
	})
	for i, tc := range tests {
		_, err := NewScanner(DefaultLimits()).Response([]byte(tc.in), &Response{}, MethodGET)
		ours := err == nil
		line := haproxyStatusLine(t, front, fmt.Sprintf("GET /%d HTTP/1.1\r\nHost: a\r\n\r\n", i))
		theirs := line != "" && !strings.HasPrefix(line, "HTTP/1.1 502 ")
		switch {
		case tc.stricter == "" && ours != theirs:
			t.Errorf("%q: tether accepts %v (%v), haproxy forwards %v (%q)", tc.in, ours, err, theirs, line)
		case tc.stricter != "" && (ours || !theirs):
			t.Errorf("%q (%s): expected haproxy to forward and tether to refuse; tether %v (%v), haproxy %q", tc.in, tc.stricter, ours, err, line)
		}
	}
}
