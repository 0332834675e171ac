package engine

import (
	"bufio"
	"io"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// largeSize is the body size of the large body tests: a few hundred MB,
// or 1 GB with TETHER_BIG=1.
func largeSize() int {
	if os.Getenv("TETHER_BIG") != "" {
		return 1 << 30
	}
	return 200 << 20
}

// heapInUse returns the bytes of heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

func TestHTTPLargeDownloadBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	origins := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(origins, ""))
	n := largeSize()
	base := heapInUse()
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	c.send("GET /?size=" + strconv.Itoa(n) + " HTTP/1.1\r\nHost: x\r\n\r\n")
	// A client that does not read for a while: the origin is fast, so
	// without backpressure the proxy would buffer the body.
	time.Sleep(time.Second)
	if grown := int64(heapInUse()) - int64(base); grown > 32<<20 {
		t.Fatalf("heap grew by %d MB while the client did not read", grown>>20)
	}
	resp, body := readLarge(t, c, n)
	if resp != 200 || body != n {
		t.Fatalf("status %d, %d bytes", resp, body)
	}
	// The connection is still usable.
	c.send("GET /?size=3 HTTP/1.1\r\nHost: x\r\n\r\n")
	if _, b := c.response("GET"); b != "abc" {
		t.Fatalf("after the large body: %q", b)
	}
}

// readLarge reads a response with a Content-Length body, checking the
// origin's pattern, and returns the status and the body length.
func readLarge(t *testing.T, c *client, n int) (int, int) {
	t.Helper()
	line, err := c.br.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	st, _ := strconv.Atoi(strings.Fields(line)[1])
	cl := -1
	for {
		l, err := c.br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if l == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(l, ":"); ok && strings.EqualFold(k, "content-length") {
			cl, _ = strconv.Atoi(strings.TrimSpace(v))
		}
	}
	if cl != n {
		t.Fatalf("content-length %d, want %d", cl, n)
	}
	buf := make([]byte, 256<<10)
	got := 0
	for got < n {
		k, err := c.br.Read(buf[:min(len(buf), n-got)])
		for i := 0; i < k; i += 4099 {
			if buf[i] != testorigin.Pattern(got+i) {
				t.Fatalf("byte %d is %q", got+i, buf[i])
			}
		}
		got += k
		if err != nil {
			break
		}
	}
	return st, got
}

func TestHTTPLargeUploadBackpressure(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	n := largeSize()
	start := make(chan struct{})
	raw := startRaw(t, func(r *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		<-start // a server that does not read for a while
		req, body, err := r.ReadRequest(br)
		if err != nil || req.ContentLength != int64(len(body)) {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Got: "+strconv.Itoa(len(body))+"\r\nContent-Length: 0\r\n\r\n")
	})
	_, addr := startEngine(t, rawConfig(raw.Addr, "  timeout server 30s\n"))
	base := heapInUse()
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	werr := make(chan error, 1)
	go func() {
		_, err := io.WriteString(c.c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "+strconv.Itoa(n)+"\r\n\r\n")
		block := make([]byte, 1<<20)
		for sent := 0; err == nil && sent < n; sent += len(block) {
			_, err = c.c.Write(block[:min(len(block), n-sent)])
		}
		werr <- err
	}()
	time.Sleep(time.Second)
	if grown := int64(heapInUse()) - int64(base); grown > 32<<20 {
		t.Fatalf("heap grew by %d MB while the server did not read", grown>>20)
	}
	close(start)
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	r, _ := c.response("POST")
	if got := r.Header.Get("X-Got"); r.StatusCode != 200 || got != strconv.Itoa(n) {
		t.Fatalf("status %d, server read %s bytes", r.StatusCode, got)
	}
}

func TestHTTPLargeChunkedUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("large body")
	}
	origins := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(origins, ""))
	c := dial(t, addr)
	_ = c.c.SetDeadline(time.Now().Add(60 * time.Second))
	const chunks, size = 1024, 32 << 10
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(c.c)
		_, _ = w.WriteString("POST /?echo=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
		block := make([]byte, size)
		for i := range chunks {
			for j := range block {
				block[j] = byte(i + j)
			}
			_, _ = w.WriteString(strconv.FormatInt(size, 16) + ";i=" + strconv.Itoa(i) + "\r\n")
			_, _ = w.Write(block)
			_, _ = w.WriteString("\r\n")
		}
		_, _ = w.WriteString("0\r\n\r\n")
		errc <- w.Flush()
	}()
	r, body := c.response("POST")
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || len(body) != chunks*size {
		t.Fatalf("status %d, %d bytes echoed", r.StatusCode, len(body))
	}
	for i := 0; i < len(body); i += 4093 {
		if want := byte(i/size + i%size); body[i] != want {
			t.Fatalf("byte %d is %d, want %d", i, body[i], want)
		}
	}
}

// TestHTTPIdleConnectionMemory bounds the heap an idle client connection
// costs: the request state is taken from the loop only while a request is
// under way.
func TestHTTPIdleConnectionMemory(t *testing.T) {
	if testing.Short() || httpRace {
		t.Skip("memory measure")
	}
	origins := startOrigins(t, 1)
	_, addr := startEngine(t, basicConfig(origins, ""))
	// The cost is the slope between counts of open connections, so heap
	// that earlier tests of this process still hold cancels out; heap that
	// something else of the process allocates meanwhile only adds, so the
	// smaller of two slopes is the measure.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	open := func(n int) uint64 {
		for range n {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		time.Sleep(500 * time.Millisecond) // every connection opened on a loop
		return heapInUse()
	}
	const n = 2000
	h1 := open(500)
	h2 := open(n)
	h3 := open(n)
	per := min(int64(h2)-int64(h1), int64(h3)-int64(h2)) / n
	t.Logf("%d bytes of heap per idle connection, the test's client side included", per)
	if per > 4096 {
		t.Fatalf("%d bytes per idle connection", per)
	}
}
