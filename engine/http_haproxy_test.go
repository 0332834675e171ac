package engine

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The heads differential test sends ordinary requests through HAProxy 2.6
// and tether in each connection mode and compares what the server receives
// (field names in lower case and values without surrounding blanks: tether
// keeps the case and spacing it received, HAProxy rewrites them) and what
// the client receives (the response head as a set of fields, the body, and
// whether the connection stays open). The cases leave out what tether does
// differently on purpose: hop-by-hop fields (tether removes them, HAProxy
// 2.6 passes most) and interim responses to HTTP/1.0 clients. Trailers have
// their own differential test (http_trailers_haproxy_test.go).
// A 101 makes a tunnel: the request that tests the connection afterwards
// goes through it to the server, which answers it.

// headsResponses are the server's answers, by path.
var headsResponses = map[string]string{
	"/plain":   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok",
	"/chunked": "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nok\r\n0\r\n\r\n",
	"/close":   "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
	"/10":      "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"/10ka":    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
	"/eof":     "HTTP/1.1 200 OK\r\n\r\nuntil close",
	"/204":     "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
	"/204te":   "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
	"/304":     "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
	"/cllist":  "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok",
	"/clrep":   "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
	"/tecl":    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
	"/100":     "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"/ws":      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
	"/v12":     "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok",
	"/nosp":    "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok",
	"/wsnoacc": "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
}

// headsRequests are sent one per connection, each followed by a plain GET
// that tells whether the connection stayed open. %d is the case number,
// which makes each path unique at the server.
var headsRequests = []string{
	"GET /plain?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /plain?%d HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n",
	"GET /plain?%d HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	"GET /plain?%d HTTP/1.0\r\n\r\n",
	"GET /plain?%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET /plain?%d HTTP/1.0\r\nConnection: close\r\n\r\n",
	"GET /chunked?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /chunked?%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET /close?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /close?%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET /10?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /10?%d HTTP/1.0\r\n\r\n",
	"GET /10ka?%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET /eof?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /eof?%d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
	"GET /204?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /204te?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /304?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"HEAD /plain?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /cllist?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /clrep?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /tecl?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"POST /plain?%d HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc",
	"POST /plain?%d HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\ncontent-length: 3\r\n\r\nabc",
	"POST /plain?%d HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;e=1\r\nabc\r\n0\r\n\r\n",
	"POST /plain?%d HTTP/1.0\r\nContent-Length: 3\r\n\r\nabc",
	"POST /100?%d HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
	"GET http://example.com/plain?%d HTTP/1.1\r\nHost: example.com\r\n\r\n",
	"GET /plain?%d HTTP/1.1\r\nHost: x\r\nX-Empty:\r\nX-Sp:   a  b   \r\nX-Fwd: 1\r\n\r\n",
	"GET /plain?%d HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.1\r\nX-BE: z\r\n\r\n",
	"GET /v12?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /nosp?%d HTTP/1.1\r\nHost: x\r\n\r\n",
	"GET /ws?%d HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
	"GET /ws?%d HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
	"GET /ws?%d HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: short\r\n\r\n",
	"GET /ws?%d HTTP/1.0\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\n",
	"GET /wsnoacc?%d HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
}

// headsOrigin records the normalized head and the body of each request by
// its target, and answers from headsResponses.
type headsOrigin struct {
	ln   net.Listener
	mu   sync.Mutex
	seen map[string]string
}

func startHeadsOrigin(t *testing.T) *headsOrigin {
	t.Helper()
	o := &headsOrigin{seen: map[string]string{}}
	o.ln = startOrigin(t, o.serve).ln
	return o
}

func (o *headsOrigin) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(c)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		var b strings.Builder
		b.WriteString(line)
		target := strings.Fields(line)[1]
		cl, chunked := 0, false
		if readFields(br, func(name, value string) {
			fmt.Fprintf(&b, "%s: %s\n", name, value)
			switch name {
			case "content-length":
				cl, _ = strconv.Atoi(value[strings.LastIndexAny(value, ", ")+1:])
			case "transfer-encoding":
				chunked = true
			}
		}) != nil {
			return
		}
		body := make([]byte, cl)
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		if chunked {
			for !strings.HasSuffix(string(body), "\r\n0\r\n\r\n") && string(body) != "0\r\n\r\n" {
				c, err := br.ReadByte()
				if err != nil {
					return
				}
				body = append(body, c)
			}
		}
		b.WriteString("\n" + string(body))
		o.mu.Lock()
		o.seen[target] = b.String()
		o.mu.Unlock()
		path, _, _ := strings.Cut(target, "?")
		path = strings.TrimPrefix(path, "http://example.com")
		resp, ok := headsResponses[path]
		if !ok {
			resp = headsResponses["/plain"]
		}
		if _, err := io.WriteString(c, resp); err != nil || path == "/eof" {
			return
		}
	}
}

// headsResult is what one request did through one proxy.
type headsResult struct {
	server string // the request as the server saw it
	client string // the response: status, sorted fields, body
	open   bool   // the connection served another request afterwards
}

func runHeads(t *testing.T, addr string, o *headsOrigin, requests []string) []headsResult {
	t.Helper()
	var res []headsResult
	for i, req := range requests {
		c := dial(t, addr)
		req = fmt.Sprintf(req, i)
		c.send(req)
		method := strings.Fields(req)[0]
		var h headsResult
		r, err := http.ReadResponse(c.br, &http.Request{Method: method})
		var body []byte
		if err == nil {
			body, err = io.ReadAll(r.Body)
		}
		if err != nil {
			h.client = "unreadable: " + err.Error()
		} else {
			var fields []string
			for k, vs := range r.Header {
				for _, v := range vs {
					fields = append(fields, k+": "+v)
				}
			}
			slices.Sort(fields)
			h.client = fmt.Sprintf("%s %s\n%s\n\n%q", r.Proto, r.Status, strings.Join(fields, "\n"), body)
		}
		if _, err := io.WriteString(c.c, "GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"); err == nil && h.client[0] != 'u' {
			if r, err := http.ReadResponse(c.br, &http.Request{Method: "GET"}); err == nil {
				_, _ = io.Copy(io.Discard, r.Body)
				h.open = r.StatusCode == 200
			}
		}
		target := strings.Fields(req)[1]
		o.mu.Lock()
		h.server = o.seen[target]
		o.mu.Unlock()
		res = append(res, h)
		_ = c.c.Close()
	}
	return res
}

func TestHeadsHAProxyDifferential(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	for _, mode := range []struct{ name, defaults, frontend, backend string }{
		{name: "keep-alive"},
		{name: "server-close", defaults: "  option http-server-close\n"},
		{name: "httpclose", defaults: "  option httpclose\n"},
		{name: "server-close in the backend", backend: "  option http-server-close\n"},
		{name: "httpclose in the backend", backend: "  option httpclose\n"},
		{name: "httpclose in the frontend", frontend: "  option httpclose\n"},
		// option forwardfor: the frontend's and the backend's combine.
		{name: "forwardfor except in the frontend", defaults: "  option forwardfor\n", frontend: "  option forwardfor except 127.0.0.0/8\n"},
		{name: "forwardfor except in the backend", frontend: "  option forwardfor\n", backend: "  option forwardfor header X-BE except 127.0.0.1\n"},
		{name: "forwardfor if-none in the backend only", frontend: "  option forwardfor header X-Real-IP\n", backend: "  option forwardfor header X-BE if-none\n"},
		{name: "forwardfor if-none on both sides", frontend: "  option forwardfor if-none\n", backend: "  option forwardfor header X-BE if-none\n"},
		// option http-pretend-keepalive: the server is not told.
		{name: "pretend-keepalive with server-close", defaults: "  option http-server-close\n", backend: "  option http-pretend-keepalive\n"},
		{name: "pretend-keepalive with httpclose", defaults: "  option http-pretend-keepalive\n  option httpclose\n"},
		// option originalto: likewise, after X-Forwarded-For.
		{name: "originalto in the frontend", frontend: "  option forwardfor\n  option originalto\n"},
		{name: "originalto on both sides", frontend: "  option originalto header X-FE\n", backend: "  option originalto header X-Dst\n"},
		{name: "originalto except", defaults: "  option originalto except 10.0.0.0/8\n", backend: "  option originalto except 127.0.0.1\n"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			cfg := strings.NewReplacer("frontend fe\n", mode.defaults+"frontend fe\n", "  default_backend", mode.frontend+"  default_backend",
				"  server s1", mode.backend+"  server s1").Replace(pairLong)
			ho := startHeadsOrigin(t)
			want := runHeads(t, startSide(t, bin, sideHAProxy, cfg, "{SRV}", ho.ln.Addr().String()).addr, ho, headsRequests)
			to := startHeadsOrigin(t)
			taddr := startSide(t, bin, sideEngine, cfg, "{SRV}", to.ln.Addr().String()).addr
			compareHeads(t, headsRequests, runHeads(t, taddr, to, headsRequests), want)
		})
	}
}

// compareHeads reports where tether's results (got) differ from
// haproxy's (want) for requests.
func compareHeads(t *testing.T, requests []string, got, want []headsResult) {
	t.Helper()
	for i, req := range requests {
		req = fmt.Sprintf(req, i)
		if len(req) > 200 {
			req = req[:100] + "..." + req[len(req)-100:]
		}
		if got[i].server != want[i].server {
			t.Errorf("%q: the server got\n%.500s\nfrom tether, and from haproxy\n%.500s", req, got[i].server, want[i].server)
		}
		if got[i].client != want[i].client {
			t.Errorf("%q: the client got\n%s\nfrom tether, and from haproxy\n%s", req, got[i].client, want[i].client)
		}
		if got[i].open != want[i].open {
			t.Errorf("%q: the connection stayed open: %v with tether, %v with haproxy", req, got[i].open, want[i].open)
		}
	}
}
