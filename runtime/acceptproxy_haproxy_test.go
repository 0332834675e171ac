package runtime

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startXFFOrigin answers every request with the X-Forwarded-For it got.
func startXFFOrigin(t *testing.T) net.Addr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := r.Header.Get("X-Forwarded-For")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		io.WriteString(w, body)
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr()
}

// TestDifferentialAcceptProxy sends connections that start with PROXY
// headers (version 1 and 2, IPv4 and IPv6, UNKNOWN, LOCAL) or with
// something else to an accept-proxy bind of haproxy 2.6 and of tether, and
// compares what the origin was told the client is (X-Forwarded-For),
// whether the connection was refused, and the log lines, the message for a
// connection without a header included.
func TestDifferentialAcceptProxy(t *testing.T) {
	t.Parallel()
	origin := startXFFOrigin(t)
	pr := startLogged(t, 3, func(stats int, fronts []int, log net.Addr) string {
		return fmt.Sprintf(`global
    stats socket ipv4@127.0.0.1:%d level admin
    log %s local0
`+testDefaults+`    log global
    option forwardfor
frontend plain
    bind 127.0.0.1:%d accept-proxy
    default_backend be
frontend logged
    bind 127.0.0.1:%d
    bind 127.0.0.1:%d accept-proxy
    option httplog
    default_backend be
backend be
    server s %s
`, stats, log, fronts[0], fronts[1], fronts[2], origin)
	})
	v2 := func(cmd, fam byte, addrs []byte) string {
		return proxyV2Header(cmd, fam, addrs)
	}
	four := append(netip.MustParseAddr("10.1.2.3").AsSlice(), netip.MustParseAddr("10.9.9.9").AsSlice()...)
	four = append(four, 0x04, 0xd2, 0x00, 0x50) // ports 1234 and 80
	six := append(netip.MustParseAddr("2001:db8::7").AsSlice(), netip.MustParseAddr("2001:db8::8").AsSlice()...)
	six = append(six, 0x1f, 0x90, 0x01, 0xbb) // ports 8080 and 443
	starts := []string{
		"PROXY TCP4 10.1.2.3 10.9.9.9 1234 80\r\n",
		"PROXY TCP6 2001:db8::1 2001:db8::2 5678 443\r\n",
		"PROXY UNKNOWN\r\n",
		v2(0x21, 0x11, four),
		v2(0x21, 0x21, six),
		v2(0x20, 0x00, nil),
		"",                 // a request without a header
		"PROXY TCP4 x\r\n", // a broken header
		"PROXY TCP5 10.1.2.3 10.9.9.9 1234 80\r\n",
		"PROXY UNKNOWN 10.1.2.3 10.9.9.9 1234 80\r\n",
		v2(0x21, 0x31, []byte("unix paths")), // a family other than TCP: the connection's addresses
		v2(0x31, 0x11, four),                 // version 3
	}
	send := func(front, start string) string {
		c, err := net.DialTimeout("tcp", front, ioTimeout)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioTimeout))
		io.WriteString(c, start+"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
		b, err := io.ReadAll(c)
		if errors.Is(err, syscall.ECONNRESET) || err == nil && len(b) == 0 {
			return "refused"
		}
		_, body, _ := strings.Cut(string(b), "\r\n\r\n")
		return "x-forwarded-for: " + body
	}
	for _, fe := range []int{0, 2} { // the second is the logged frontend's second bind
		for _, start := range starts {
			want, got := send(pr.fronts[0][fe], start), send(pr.fronts[1][fe], start)
			if got != want {
				t.Errorf("frontend %d, %q: tether %q, haproxy %q", fe, start, got, want)
			}
		}
	}
	time.Sleep(200 * time.Millisecond)
	// Lines without the local ports, dates and timers.
	mask := regexp.MustCompile(`(127\.0\.0\.1):\d+|\[\d\d/\w+/\d{4}:[\d:.]+\]|\d+/\d+/\d+/\d+/\d+ 200 \d+`)
	lines := func(el *eventLog) []string {
		var out []string
		for _, l := range el.drain() {
			out = append(out, mask.ReplaceAllString(l, "$1"))
		}
		slices.Sort(out)
		return out
	}
	want, got := lines(pr.logs[0]), lines(pr.logs[1])
	if !slices.Equal(got, want) || !slices.ContainsFunc(want, func(l string) bool { return strings.Contains(l, "PROXY protocol header") }) {
		t.Errorf("logged\ntether\n%s\nhaproxy\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// proxyV2Header builds a version 2 header by hand: command, family and
// address block.
func proxyV2Header(cmd, fam byte, addrs []byte) string {
	h := "\r\n\r\n\x00\r\nQUIT\n" + string([]byte{cmd, fam, byte(len(addrs) >> 8), byte(len(addrs))})
	return h + string(addrs)
}
