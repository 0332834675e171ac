package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"tether/engine/internal/testorigin"
)

// ppOrigin is an origin that records how each connection starts: the
// address it came from and its PROXY header, and the requests it carried.
// It answers every request with an empty 200, and closes the connection
// after it when the path ends in "!".
type ppOrigin struct {
	raw   *testorigin.Raw
	port  uint16
	mu    sync.Mutex
	conns []*ppConn
}

// ppConn is what a ppOrigin saw of one connection.
type ppConn struct {
	from   netip.AddrPort // the connection's remote address
	header []byte         // the PROXY header as it came; nil without one
	reqs   []string       // the request lines
}

func startPPOrigin(t *testing.T) *ppOrigin {
	o := &ppOrigin{}
	o.raw = startRaw(t, func(_ *testorigin.Raw, c net.Conn, br *bufio.Reader) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		pc := &ppConn{from: addrPort(c.RemoteAddr())}
		hdr, err := readProxyHeader(br)
		if err != nil {
			return
		}
		pc.header = hdr
		o.mu.Lock()
		o.conns = append(o.conns, pc)
		o.mu.Unlock()
		for {
			head, err := testorigin.ReadHead(br)
			if err != nil {
				return
			}
			line, _, _ := strings.Cut(head, "\r\n")
			o.mu.Lock()
			pc.reqs = append(pc.reqs, line)
			o.mu.Unlock()
			if strings.HasSuffix(line, "! HTTP/1.1") {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
				return
			}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"); err != nil {
				return
			}
		}
	})
	o.port = netip.MustParseAddrPort(o.raw.Addr).Port()
	return o
}

// readProxyHeader reads a PROXY header of either version if the
// connection starts with one, and returns it whole (nil without one).
func readProxyHeader(br *bufio.Reader) ([]byte, error) {
	sig, err := br.Peek(6)
	if err != nil {
		return nil, err
	}
	switch {
	case string(sig) == "PROXY ":
		l, err := br.ReadSlice('\n')
		return bytes.Clone(l), err
	case string(sig) == proxyV2Sig[:6]:
		h, err := br.Peek(16)
		if err != nil {
			return nil, err
		}
		b := make([]byte, 16+int(binary.BigEndian.Uint16(h[14:])))
		_, err = io.ReadFull(br, b)
		return b, err
	}
	return nil, nil
}

// describeProxy describes a PROXY header so that two proxies' can be
// compared: ports that a test knows are replaced by their names (names
// maps a port to its name), a version 2 header is decoded field by field,
// and its CRC-32C TLV is checked rather than shown.
func describeProxy(h []byte, names map[uint16]string) string {
	port := func(p uint16) string {
		if n, ok := names[p]; ok {
			return n
		}
		return strconv.Itoa(int(p))
	}
	if len(h) == 0 {
		return "none"
	}
	if !bytes.HasPrefix(h, []byte(proxyV2Sig)) {
		w := strings.Fields(string(h))
		for i := 4; i < len(w); i++ {
			if n, err := strconv.Atoi(w[i]); err == nil {
				w[i] = port(uint16(n))
			}
		}
		return fmt.Sprintf("%q (%d words, ends in CRLF: %v)", strings.Join(w, " "), len(w), bytes.HasSuffix(h, []byte("\r\n")))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "v2 cmd %#x fam %#x len %d", h[12], h[13], binary.BigEndian.Uint16(h[14:]))
	rest := h[16:]
	switch h[13] {
	case proxyV2TCP4:
		fmt.Fprintf(&b, " %v:%s > %v:%s", netip.AddrFrom4([4]byte(rest[0:4])), port(binary.BigEndian.Uint16(rest[8:])),
			netip.AddrFrom4([4]byte(rest[4:8])), port(binary.BigEndian.Uint16(rest[10:])))
		rest = rest[12:]
	case proxyV2TCP6:
		fmt.Fprintf(&b, " [%v]:%s > [%v]:%s", netip.AddrFrom16([16]byte(rest[0:16])), port(binary.BigEndian.Uint16(rest[32:])),
			netip.AddrFrom16([16]byte(rest[16:32])), port(binary.BigEndian.Uint16(rest[34:])))
		rest = rest[36:]
	}
	for len(rest) >= 3 {
		typ, n := rest[0], int(binary.BigEndian.Uint16(rest[1:]))
		if 3+n > len(rest) {
			fmt.Fprintf(&b, " truncated TLV %#x", typ)
			break
		}
		v := rest[3 : 3+n]
		if typ == proxyTLVCRC32C && n == 4 {
			z := bytes.Clone(h)
			off := len(h) - len(rest) + 3
			copy(z[off:], []byte{0, 0, 0, 0})
			ok := crc32.Checksum(z, crc32.MakeTable(crc32.Castagnoli)) == binary.BigEndian.Uint32(v)
			fmt.Fprintf(&b, " TLV crc32c valid=%v", ok)
		} else {
			fmt.Fprintf(&b, " TLV %#x %q", typ, hex.EncodeToString(v))
		}
		rest = rest[3+n:]
	}
	if len(rest) > 0 {
		fmt.Fprintf(&b, " trailing %x", rest)
	}
	return b.String()
}

// seen returns the connections the origin saw that carried requests other
// than checks, in the order they came, each described as its remote
// address, its PROXY header (describeProxy, names naming ports) and its
// requests; and the distinct descriptions of the check connections,
// sorted.
func (o *ppOrigin) seen(names map[uint16]string) (traffic, checks []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, c := range o.conns {
		n := maps2(names, map[uint16]string{c.from.Port(): "ORIGIN_PEER", o.port: "ORIGIN"})
		d := fmt.Sprintf("from %v: %s", c.from.Addr(), describeProxy(c.header, n))
		if len(c.reqs) == 0 || strings.HasPrefix(c.reqs[0], "OPTIONS ") {
			d += fmt.Sprintf("; %q", c.reqs)
			if !slices.Contains(checks, d) {
				checks = append(checks, d)
			}
			continue
		}
		traffic = append(traffic, fmt.Sprintf("%s; %q", d, c.reqs))
	}
	slices.Sort(checks)
	return traffic, checks
}

// maps2 returns the union of a and b (b wins).
func maps2(a, b map[uint16]string) map[uint16]string {
	m := make(map[uint16]string, len(a)+len(b))
	for k, v := range a {
		m[k] = v
	}
	for k, v := range b {
		m[k] = v
	}
	return m
}

// ppClient is a keep-alive client connection of a PROXY test, from a local
// address of its choice.
type ppClient struct {
	c  net.Conn
	br *bufio.Reader
}

func ppDial(t *testing.T, from, to string) *ppClient {
	t.Helper()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort(from))}
	c, err := d.Dial("tcp", to)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &ppClient{c: c, br: bufio.NewReader(c)}
}

// get sends one request and reads its response head.
func (c *ppClient) get(t *testing.T, path string) {
	t.Helper()
	if _, err := io.WriteString(c.c, "GET "+path+" HTTP/1.1\r\nhost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	head, err := testorigin.ReadHead(c.br)
	if err != nil || !strings.HasPrefix(head, "HTTP/1.1 200") {
		t.Fatalf("GET %s: %q %v", path, head, err)
	}
}

// port returns the local port of the client's connection.
func (c *ppClient) port() uint16 { return addrPort(c.c.LocalAddr()).Port() }

// TestProxyProtoHAProxy runs haproxy and the engine, each in front of an
// origin of its own that records how every connection starts, with PROXY
// headers of both versions, IPv4 and IPv6 clients, reused connections,
// checks and source addresses, and compares what the origins saw.
func TestProxyProtoHAProxy(t *testing.T) {
	t.Parallel()
	bin := haproxyBinLong(t)
	tests := []struct {
		name     string
		frontend string // the frontend's lines
		backend  string // the backend's lines; {SRV} is the origin
		v6       bool   // the client connects over IPv6 (to [::1])
		checks   bool   // wait for checks
	}{
		{name: "v1", backend: "server s1 {SRV} send-proxy"},
		{name: "v1 ipv6", backend: "server s1 {SRV} send-proxy", v6: true},
		{name: "v2", backend: "server s1 {SRV} send-proxy-v2"},
		{name: "v2 ipv6", backend: "server s1 {SRV} send-proxy-v2", v6: true},
		{name: "v2 options", backend: "server s1 {SRV} send-proxy-v2 proxy-v2-options crc32c,unique-id,authority"},
		{name: "v2 options ipv6", backend: "server s1 {SRV} send-proxy-v2 proxy-v2-options crc32c,unique-id", v6: true},
		{name: "v2 unique-id made", frontend: "unique-id-format id-%[req.hdr(host)]-%[method]-%[var(txn.a)]\n  unique-id-header X-ID\n  http-request set-var(txn.a) path",
			backend: "server s1 {SRV} send-proxy-v2 proxy-v2-options crc32c,unique-id"},
		{name: "v2 unique-id without header", frontend: "unique-id-format id-%[req.hdr(host)]", backend: "server s1 {SRV} send-proxy-v2 proxy-v2-options unique-id"},
		{name: "options alone", backend: "server s1 {SRV} proxy-v2-options crc32c"},
		{name: "v1 and v2", backend: "default-server send-proxy\n  server s1 {SRV} send-proxy-v2"},
		{name: "no-send-proxy", backend: "default-server send-proxy send-proxy-v2\n  server s1 {SRV} no-send-proxy-v2"},
		{name: "source backend", backend: "source 127.0.0.2\n  server s1 {SRV} send-proxy"},
		{name: "source server", backend: "source 127.0.0.2\n  server s1 {SRV} source 127.0.0.3:0"},
		{name: "check v1", backend: "option httpchk\n  server s1 {SRV} check inter 100ms check-send-proxy", checks: true},
		{name: "check v2", backend: "option httpchk\n  server s1 {SRV} check inter 100ms send-proxy-v2 proxy-v2-options crc32c,unique-id", checks: true},
		{name: "check v1 implied", backend: "option httpchk\n  server s1 {SRV} check inter 100ms send-proxy", checks: true},
		{name: "check port", backend: "option httpchk\n  server s1 {SRV} check inter 100ms send-proxy port {PORT}", checks: true},
		{name: "check port forced", backend: "option httpchk\n  server s1 {SRV} check inter 100ms send-proxy-v2 check-send-proxy port {PORT}", checks: true},
		{name: "check source", backend: "option httpchk\n  source 127.0.0.2\n  server s1 {SRV} check inter 100ms check-send-proxy", checks: true},
		{name: "check tcp", backend: "server s1 {SRV} check inter 100ms send-proxy", checks: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var traffic, checks [2][]string
			for side := range 2 {
				traffic[side], checks[side] = ppSide(t, bin, side, tt.frontend, tt.backend, tt.v6, tt.checks)
			}
			if !slices.Equal(traffic[0], traffic[1]) {
				t.Errorf("connections with requests:\nhaproxy:\n  %s\nengine:\n  %s", strings.Join(traffic[0], "\n  "), strings.Join(traffic[1], "\n  "))
			}
			if !slices.Equal(checks[0], checks[1]) {
				t.Errorf("check connections:\nhaproxy:\n  %s\nengine:\n  %s", strings.Join(checks[0], "\n  "), strings.Join(checks[1], "\n  "))
			}
			if len(traffic[0]) == 0 || tt.checks && len(checks[0]) == 0 {
				t.Errorf("the origin saw too little: %q %q", traffic[0], checks[0])
			}
		})
	}
}

// ppSide runs one side of TestProxyProtoHAProxy: the proxy in front of an
// origin of its own, two clients interleaving two requests each on
// keep-alive connections, and returns what the origin saw. The second
// requests may reuse a connection: B's finds only A's (B's first one is
// closed by the origin), which it takes without a PROXY header and may not
// take with one, then A's finds its own. (HAProxy 2.6 keeps a second idle
// connection only once its purge task has estimated the need for one, so
// a pattern that has two idle connections would compare that instead.)
func ppSide(t *testing.T, bin string, side int, frontend, backend string, v6, checks bool) (traffic, checkConns []string) {
	o := startPPOrigin(t)
	fe6 := freePort()
	tmpl := `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend fe
  bind {BIND}
  bind [::1]:{FE6}
  ` + frontend + `
  default_backend be
backend be
  ` + backend + "\n"
	s := startSide(t, bin, side, tmpl, "{SRV}", o.raw.Addr, "{FE6}", strconv.Itoa(fe6), "{PORT}", strconv.Itoa(int(o.port)))
	fe, from := s.addr, "127.0.0.5:0"
	if v6 {
		fe, from = "[::1]:"+strconv.Itoa(fe6), "[::1]:0"
	}
	if checks {
		time.Sleep(350 * time.Millisecond) // a few checks
	}
	a, b := ppDial(t, from, fe), ppDial(t, from, fe)
	a.get(t, "/a1")
	b.get(t, "/b1!")
	b.get(t, "/b2")
	a.get(t, "/a2")
	names := map[uint16]string{
		a.port(): "CLIENT_A", b.port(): "CLIENT_B",
		netip.MustParseAddrPort(s.addr).Port(): "FRONTEND", uint16(fe6): "FRONTEND6",
	}
	// The origin counts a request before it answers it: the counts are
	// complete.
	_ = a.c.Close()
	_ = b.c.Close()
	return o.seen(names)
}
