package engine

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// The trailers differential test sends generated trailer sections through
// HAProxy 2.6 and tether, on chunked requests (what the server receives)
// and on chunked responses (what the client receives), and compares the
// outcomes: the data and the trailer fields (names in lower case, values
// without surrounding blanks, as HAProxy rewrites them), or "refused" when
// the message did not arrive whole, and for a request the status line its
// client got. A refused response looks different through the two proxies
// (HAProxy answers 502 when it had not forwarded the head yet, tether has
// always forwarded it and cuts the body short), so only the fact is
// compared.

// trailerLines are the field lines trailer sections are drawn from: plain
// ones, and the names HAProxy treats apart.
var trailerLines = []string{
	"X-Sum: 1", "x-checksum:  abc def ", "Y:", "Grpc-Status: 0", "Set-Cookie: a=b", "Cookie: c=d",
	"Content-Length: 5", "content-length: 5, 5", "Content-Length: 05", "Content-Length: 6", "Content-Length: x", "Content-Length:",
	"Transfer-Encoding: chunked", "transfer-encoding: gzip, chunked", "Transfer-Encoding: gzip", "Transfer-Encoding:", "Transfer-Encoding: , Chunked",
	"Host: a", "HOST: A", "Host: b", "Host:",
	"Connection:", "Connection: close", "connection: keep-alive, x-a", "Connection: \t", "Keep-Alive: timeout=1",
	"TE: trailers", "Upgrade: websocket", "Proxy-Connection: close", "Trailer: X-Sum", "Expect: 100-continue",
}

// trailerCase is one generated exchange.
type trailerCase struct {
	section string   // the trailer section, final CRLF included
	chunks  []string // the body's chunk data
	named   bool     // the head announces the trailer with a Trailer field
	http10  bool     // the response goes to an HTTP/1.0 client
	split   bool     // the sender pauses before the section and inside it
}

func trailerCases() []trailerCase {
	r := rand.New(rand.NewPCG(5, 2026))
	var cs []trailerCase
	for i := range 160 {
		var b strings.Builder
		for range r.IntN(6) {
			b.WriteString(trailerLines[r.IntN(len(trailerLines))] + "\r\n")
		}
		c := trailerCase{named: i%2 == 1, http10: i%5 == 4, split: i%4 == 3}
		for range r.IntN(3) {
			c.chunks = append(c.chunks, strings.Repeat(string(rune('a'+r.IntN(26))), 1+r.IntN(40)))
		}
		c.section = b.String() + "\r\n"
		cs = append(cs, c)
	}
	many := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "F%d: %d\r\n", i, i)
		}
		return b.String()
	}
	for _, s := range []string{
		many(100), many(101), many(99) + "Connection:\r\nHost: a\r\nhost: a\r\n",
		many(100) + "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n",
	} {
		cs = append(cs, trailerCase{section: s + "\r\n", chunks: []string{"ok"}})
	}
	return cs
}

// body renders the chunked body of c; before is all of it up to the
// trailer section.
func (c *trailerCase) body() (before string) {
	var b strings.Builder
	for _, d := range c.chunks {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(d), d)
	}
	b.WriteString("0\r\n")
	return b.String()
}

// head renders the head fields that frame c's body.
func (c *trailerCase) head() string {
	h := "Transfer-Encoding: chunked\r\n\r\n"
	if c.named {
		h = "Trailer: X-Sum, Host\r\n" + h
	}
	return h
}

// write sends msg, whose last section bytes are c's trailer section, at
// once or, for a split case, in three writes a few milliseconds apart.
func (c *trailerCase) write(w io.Writer, msg string) error {
	if !c.split {
		_, err := io.WriteString(w, msg)
		return err
	}
	at := len(msg) - len(c.section)
	mid := at + len(c.section)/2
	for _, part := range []string{msg[:at], msg[at:mid], msg[mid:]} {
		if _, err := io.WriteString(w, part); err != nil {
			return err
		}
		time.Sleep(3 * time.Millisecond)
	}
	return nil
}

// outcome renders a message as the comparison sees it.
func outcome(m message, err error) string {
	if err != nil || !m.chunked {
		return "refused\n"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "data %q\n", m.data)
	for _, l := range strings.Split(strings.TrimSuffix(m.trailer, "\r\n"), "\r\n") {
		if name, value, ok := strings.Cut(l, ":"); ok {
			fmt.Fprintf(&b, "%s: %s\n", strings.ToLower(name), strings.Trim(value, " \t"))
		}
	}
	return b.String()
}

// runTrailers runs every case through the proxy at addr, whose server is
// o, and returns the outcomes of the requests (as the server saw them) and
// of the responses (as the client saw them).
func runTrailers(t *testing.T, addr string, o *trailersOrigin, cs []trailerCase) (reqs, resps []string) {
	t.Helper()
	for i := range cs {
		c := &cs[i]
		cl := dial(t, addr)
		target := "/q?" + strconv.Itoa(i)
		if err := c.write(cl.c, "POST "+target+" HTTP/1.1\r\nHost: x\r\n"+c.head()+c.body()+c.section); err != nil {
			t.Fatal(err)
		}
		status := "none"
		if m, err := readMessage(cl.br, true); err == nil {
			status = m.head[:min(len(m.head), 12)]
		}
		reqs = append(reqs, o.outcome(target)+"answered "+status)
		_ = cl.c.Close()

		cl = dial(t, addr)
		req := "GET /r?" + strconv.Itoa(i) + " HTTP/1.1\r\nHost: x\r\n\r\n"
		if c.http10 {
			req = "GET /r?" + strconv.Itoa(i) + " HTTP/1.0\r\n\r\n"
		}
		cl.send(req)
		m, err := readMessage(cl.br, true)
		if err == nil && !strings.HasPrefix(m.head, "HTTP/1.1 200 ") {
			err = fmt.Errorf("status line %.20q", m.head)
		}
		resps = append(resps, outcome(m, err))
		_ = cl.c.Close()
	}
	return reqs, resps
}

// trailersOrigin records the outcome of each request it reads by target,
// and answers a target /r?N with case N's chunked response.
type trailersOrigin struct {
	*testorigin.Raw
	mu   sync.Mutex
	seen map[string]string
}

func startTrailersOrigin(t *testing.T, cs []trailerCase) *trailersOrigin {
	t.Helper()
	o := &trailersOrigin{seen: map[string]string{}}
	o.Raw = startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		for {
			m, err := readMessage(br, false)
			if err != nil {
				return
			}
			target := m.target()
			if strings.HasPrefix(target, "/q?") {
				o.mu.Lock()
				o.seen[target] = outcome(m, nil)
				o.mu.Unlock()
				if _, err := io.WriteString(c, plainOK); err != nil {
					return
				}
				continue
			}
			i, err := strconv.Atoi(strings.TrimPrefix(target, "/r?"))
			if err != nil || i >= len(cs) {
				return
			}
			tc := &cs[i]
			if tc.write(c, "HTTP/1.1 200 OK\r\n"+tc.head()+tc.body()+tc.section) != nil {
				return
			}
		}
	})
	return o
}

// outcome returns what the origin made of the request to target.
func (o *trailersOrigin) outcome(target string) string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.seen[target]; ok {
		return s
	}
	return "refused\n"
}

func TestTrailersHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	cs := trailerCases()
	ho := startTrailersOrigin(t, cs)
	wantReqs, wantResps := runTrailers(t, startSide(t, bin, sideHAProxy, pairLong, "{SRV}", ho.Addr).addr, ho, cs)
	to := startTrailersOrigin(t, cs)
	gotReqs, gotResps := runTrailers(t, startSide(t, bin, sideEngine, pairLong, "{SRV}", to.Addr).addr, to, cs)
	refused, forwarded := 0, 0
	for i, c := range cs {
		if gotReqs[i] != wantReqs[i] {
			t.Errorf("case %d, request with trailer section %q: the server got\n%s\nfrom tether, and from haproxy\n%s", i, c.section, gotReqs[i], wantReqs[i])
		}
		if gotResps[i] != wantResps[i] {
			t.Errorf("case %d, response with trailer section %q (HTTP/1.0 client %v): the client got\n%s\nfrom tether, and from haproxy\n%s", i, c.section, c.http10, gotResps[i], wantResps[i])
		}
		for _, s := range []string{wantReqs[i], wantResps[i]} {
			if strings.HasPrefix(s, "refused") {
				refused++
			} else {
				forwarded++
			}
		}
	}
	// The generator must exercise both outcomes.
	if refused < len(cs)/4 || forwarded < len(cs)/4 {
		t.Fatalf("%d messages refused and %d forwarded by haproxy: the cases do not cover both", refused, forwarded)
	}
}
