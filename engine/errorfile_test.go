package engine

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Error files as the tests write them: Debian's 503 (HTTP/1.0, no
// Content-Length: the connection closes after it), replies with a length in
// HTTP/1.1 and HTTP/1.0, and their bytes on the wire as haproxy 2.6.12 sends
// them (names in lower case, no Connection field).
const (
	efDebian503 = "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n" +
		"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n\n"
	wireDebian503 = "HTTP/1.0 503 Service Unavailable\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n" +
		"<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n\n"

	efFrontend503 = "HTTP/1.1 503 FE\r\nContent-Length: 3\r\nX-Side:  front \r\n\r\nfe\n"
	wireFE503     = "HTTP/1.1 503 FE\r\ncontent-length: 3\r\nx-side: front\r\n"

	ef502   = "HTTP/1.1 502 MyBad\r\nContent-Length: 4\r\n\r\nbad\n"
	wire502 = "HTTP/1.1 502 MyBad\r\ncontent-length: 4\r\n"

	ef504   = "HTTP/1.0 504 MySlow\r\nContent-Length: 5\r\n\r\nslow\n"
	wire504 = "HTTP/1.0 504 MySlow\r\ncontent-length: 5\r\n"

	ef400   = "HTTP/1.1 400 MyBody\r\nContent-Length: 5\r\n\r\nbody\n"
	wire400 = "HTTP/1.1 400 MyBody\r\ncontent-length: 5\r\n"

	ef408 = "HTTP/1.1 408 MySlowClient\r\nContent-Length: 0\r\n\r\n"

	ef200   = "HTTP/1.1 200 Alive\r\nContent-Length: 3\r\n\r\nup\n"
	wire200 = "HTTP/1.1 200 Alive\r\ncontent-length: 3\r\n"
)

// errorFiles are the files errorFileConfig names.
var errorFiles = map[string]string{
	"503.http": efDebian503, "fe503.http": efFrontend503, "502.http": ef502,
	"504.http": ef504, "400.http": ef400, "408.http": ef408, "200.http": ef200,
}

// writeErrorFiles writes name/content pairs into a new directory and
// returns it.
func writeErrorFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// errorFileOrigin answers /bad with garbage, never answers /slow or /body,
// and answers anything else with a 200.
func errorFileOrigin(t *testing.T) string {
	t.Helper()
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		buf := make([]byte, 4096)
		n, err := c.Read(buf)
		if err != nil {
			return
		}
		switch line := string(buf[:n]); {
		case strings.Contains(line, " /bad"):
			_, _ = io.WriteString(c, "garbage\r\n\r\n")
		case strings.Contains(line, " /slow"), strings.Contains(line, " /body"):
			_, _ = io.Copy(io.Discard, c)
		default:
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	return o.ln.Addr().String()
}

// errorFileConfig renders the configuration both tether and haproxy run in
// the errorfile tests: errorfiles in defaults (200 for the monitor-uri), an
// own 503 in the frontend, a backend without servers that inherits the
// defaults' 503, one from a defaults section without errorfiles, and two in
// front of origin: one with a short server timeout, and one with a long
// one for the broken body, which the proxies must see before any timeout
// however loaded the machine.
func errorFileConfig(dir, origin string) string {
	return fmt.Sprintf(`defaults
  mode http
  timeout connect 1s
  timeout client 5s
  timeout server 300ms
  timeout http-request 1s
  timeout http-keep-alive 5s
  errorfile 503 %[1]s/503.http
  errorfile 502 %[1]s/502.http
  errorfile 504 %[1]s/504.http
  errorfile 400 %[1]s/400.http
  errorfile 408 %[1]s/408.http
  errorfile 200 %[1]s/200.http
frontend fe
  bind 127.0.0.1:%[2]d
  monitor-uri /mon
  errorfile 503 %[1]s/fe503.http
  use_backend dead if { path_beg /dead }
  use_backend plain if { path_beg /plain }
  use_backend srv if { path_beg /bad } || { path_beg /slow }
  use_backend body if { path_beg /body }
backend dead
backend srv
  server s1 %[3]s
backend body
  timeout server 5s
  server s1 %[3]s
defaults
  mode http
  timeout connect 1s
  timeout server 300ms
backend plain
`, dir, freePort(), origin)
}

// errorFileCase is a request and the exact bytes that answer it, with
// whether the connection is closed after them.
type errorFileCase struct {
	name  string
	send  []string // written one after the other, 100 ms apart
	want  string
	close bool
}

func errorFileCases() []errorFileCase {
	return []errorFileCase{
		{"backend's 503 (inherited) over the frontend's", []string{"GET /dead HTTP/1.1\r\nHost: x\r\n\r\n"}, wireDebian503, true},
		{"HEAD gets no body", []string{"HEAD /dead HTTP/1.1\r\nHost: x\r\n\r\n"}, wireDebian503[:strings.Index(wireDebian503, "\r\n\r\n")+4], true},
		{"frontend's 503 without a backend", []string{"GET /none HTTP/1.1\r\nHost: x\r\n\r\n"}, wireFE503 + "\r\nfe\n", false},
		{"frontend's 503 when the backend has none", []string{"GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"}, wireFE503 + "\r\nfe\n", false},
		{"frontend's 503 to an HTTP/1.0 client", []string{"GET /plain HTTP/1.0\r\n\r\n"}, wireFE503 + "connection: close\r\n\r\nfe\n", true},
		{"frontend's 503 kept for HTTP/1.0", []string{"GET /plain HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"}, wireFE503 + "connection: keep-alive\r\n\r\nfe\n", false},
		{"frontend's 503, client closes", []string{"GET /plain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}, wireFE503 + "connection: close\r\n\r\nfe\n", true},
		{"502 on a bad response", []string{"GET /bad HTTP/1.1\r\nHost: x\r\n\r\n"}, wire502 + "\r\nbad\n", false},
		{"504 on a server timeout, an HTTP/1.0 reply kept", []string{"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"}, wire504 + "connection: keep-alive\r\n\r\nslow\n", false},
		{"504 to an HTTP/1.0 client", []string{"GET /slow HTTP/1.0\r\n\r\n"}, wire504 + "\r\nslow\n", true},
		{"400 on a broken body", []string{"POST /body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", "zz\r\n"}, wire400 + "connection: close\r\n\r\nbody\n", true},
		{"monitor-uri answered with the errorfile 200", []string{"GET /mon HTTP/1.1\r\nHost: x\r\n\r\n"}, wire200 + "\r\nup\n", false},
		{"unreadable request: HAProxy's own 400", []string{"GET / HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n"}, string(reply400.head) + "\r\n" + errBody400, true},
		{"request timeout: HAProxy's own 408", []string{"GET / HTTP/1.1\r\nHost: x\r\n"}, string(reply408.head) + "\r\n" + errBody408, true},
	}
}

// runErrorFileCase sends c's request on a new connection to addr and
// returns the bytes received in reply, and whether the connection closed
// after them (else it stayed open, idle, for 400 ms: less than the
// keep-alive timeout, http-request, of 1 s).
func runErrorFileCase(t *testing.T, addr string, c errorFileCase) (string, bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	for i, s := range c.send {
		if i > 0 {
			time.Sleep(100 * time.Millisecond)
		}
		if _, err := io.WriteString(conn, s); err != nil {
			t.Fatal(err)
		}
	}
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		got = append(got, buf[:n]...)
		switch {
		case err == io.EOF:
			return string(got), true
		case err != nil:
			return string(got), false
		}
		_ = conn.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
	}
}

// withoutErrorFiles returns cfg without its errorfile lines.
func withoutErrorFiles(cfg string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(cfg, "\n") {
		if !strings.Contains(l, "errorfile ") {
			b.WriteString(l)
		}
	}
	return b.String()
}

// TestErrorFileReplies checks, byte for byte, the replies an errorfile puts
// in place of tether's own, and which proxy's errorfile applies.
func TestErrorFileReplies(t *testing.T) {
	t.Parallel()
	dir := writeErrorFiles(t, errorFiles)
	_, addr := startEngine(t, errorFileConfig(dir, errorFileOrigin(t)))
	for _, c := range errorFileCases() {
		got, closed := runErrorFileCase(t, addr, c)
		if got != c.want || closed != c.close {
			t.Errorf("%s: got %q, closed %v\nwant %q, closed %v", c.name, got, closed, c.want, c.close)
		}
	}
}

// emptyErrorFileConfig has empty errorfiles for 503, 400 and 408 (one of
// them /dev/null, as HAProxy's documentation suggests for 408) and
// emptyErrorFileRequests draw each of them.
func emptyErrorFileConfig(dir string) string {
	return fmt.Sprintf(`defaults
  mode http
  timeout client 5s
  timeout http-request 300ms
  timeout http-keep-alive 5s
  errorfile 503 %[1]s/empty.http
  errorfile 400 %[1]s/empty.http
  errorfile 408 /dev/null
frontend fe
  bind 127.0.0.1:%[2]d
`, dir, freePort())
}

var emptyErrorFileRequests = []string{
	"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET / HTTP/1.1\r\nBad Header: x\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: x\r\n",
}

// TestErrorFileEmpty checks that an empty errorfile sends nothing and
// closes, for a reply of the proxy and for one to an unreadable or late
// request.
func TestErrorFileEmpty(t *testing.T) {
	t.Parallel()
	dir := writeErrorFiles(t, map[string]string{"empty.http": ""})
	_, addr := startEngine(t, emptyErrorFileConfig(dir))
	for _, req := range emptyErrorFileRequests {
		got, closed := runErrorFileCase(t, addr, errorFileCase{send: []string{req}})
		if got != "" || !closed {
			t.Errorf("%q: got %q, closed %v; want nothing, closed", req, got, closed)
		}
	}
}

// TestErrorFileLog checks what the access log shows for an errorfile reply
// to GET and to HEAD: the status replaced, and the bytes haproxy 2.6.12
// logs for it (the size of the reply in its internal form, not the bytes
// sent). A built-in reply logs its size in the same form.
func TestErrorFileLog(t *testing.T) {
	t.Parallel()
	dir := writeErrorFiles(t, map[string]string{"503.http": efDebian503})
	for _, tt := range []struct {
		errorfile string
		want      []string // for GET, then HEAD
	}{
		{"  errorfile 503 " + dir + "/503.http\n", []string{` 503 216 `, ` 503 108 `}},
		{"", []string{` 503 217 `, ` 503 110 `}}, // as haproxy logs its own reply
	} {
		cfg, pc := withHTTPLog(t, fmt.Sprintf("defaults\n  mode http\n  timeout client 5s\n%sfrontend fe\n  bind 127.0.0.1:%d\n", tt.errorfile, freePort()))
		_, addr := startEngine(t, cfg)
		for i, method := range []string{"GET", "HEAD"} {
			runErrorFileCase(t, addr, errorFileCase{send: []string{method + " /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"}})
			line, err := nextLog(pc, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(line, tt.want[i]) {
				t.Errorf("%q: log line %q, want %q in it", tt.errorfile, line, tt.want[i])
			}
		}
	}
}

// TestErrorFileZeroAlloc checks that answering with an errorfile allocates
// nothing per request: the reply is built at load, the exchange only picks
// it.
func TestErrorFileZeroAlloc(t *testing.T) {
	if httpRace {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	dir := writeErrorFiles(t, map[string]string{"503.http": efFrontend503})
	_, addr := startEngineTick(t, fmt.Sprintf(`global
  nbthread 1
defaults
  mode http
  timeout client 5s
  errorfile 503 %s/503.http
frontend fe
  bind 127.0.0.1:%d
  default_backend be
backend be
`, dir, freePort()), 100*time.Millisecond)
	respLen := len(wireFE503) + len("\r\nfe\n")
	if got := string(allocsPerRequest(t, addr, []byte("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"), respLen)); got != wireFE503+"\r\nfe\n" {
		t.Fatalf("reply %q", got)
	}
}
