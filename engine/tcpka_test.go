package engine

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// keepAliveOn reports whether the IPv4 socket local->remote of this
// process has SO_KEEPALIVE set: /proc/net/tcp gives its inode, a
// descriptor of this process links to that inode, and getsockopt reads the
// option. found is false when no such socket is open here.
func keepAliveOn(t *testing.T, local, remote net.Addr) (on, found bool) {
	t.Helper()
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		t.Skip("no /proc/net/tcp here")
	}
	hex := func(a net.Addr) string {
		ta := a.(*net.TCPAddr)
		ip := ta.IP.To4()
		return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], ta.Port)
	}
	l, r := hex(local), hex(remote)
	inode := ""
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 9 && f[1] == l && f[2] == r {
			inode = f[9]
		}
	}
	if inode == "" {
		return false, false
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range fds {
		if link, _ := os.Readlink("/proc/self/fd/" + e.Name()); link == "socket:["+inode+"]" {
			fd, _ := strconv.Atoi(e.Name())
			v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_KEEPALIVE)
			if err != nil {
				t.Fatal(err)
			}
			if idle, _ := unix.GetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_KEEPIDLE); v != 0 && idle != systemKeepAlive()[0] {
				t.Errorf("keep-alive idle time %d s, want the system's %d s", idle, systemKeepAlive()[0])
			}
			return v != 0, true
		}
	}
	return false, false
}

// TestTCPKeepAlive: option clitcpka arms keep-alive probes on accepted
// connections and option srvtcpka on server connections; neither is on by
// default, as in HAProxy.
func TestTCPKeepAlive(t *testing.T) {
	for _, tt := range []struct {
		fe, be   string
		cli, srv bool
	}{
		{"", "", false, false},
		{"  option clitcpka\n", "", true, false},
		{"", "  option srvtcpka\n", false, true},
		{"  option tcpka\n", "  option tcpka\n", true, true},
	} {
		origin, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		accepted := make(chan net.Conn, 1)
		go func() {
			c, err := origin.Accept()
			if err == nil {
				accepted <- c
			}
		}()
		cfg := strings.Replace(rawConfig(origin.Addr().String(), tt.be), "  default_backend be\n", "  default_backend be\n"+tt.fe, 1)
		_, addr := startEngine(t, cfg)
		c := dial(t, addr)
		c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		var sc net.Conn
		select {
		case sc = <-accepted:
		case <-time.After(5 * time.Second):
			t.Fatal("the request never reached the origin")
		}
		// The proxy's side of each connection: accepted from the client,
		// and dialled to the origin.
		cli, ok1 := keepAliveOn(t, c.c.RemoteAddr(), c.c.LocalAddr())
		srv, ok2 := keepAliveOn(t, sc.RemoteAddr(), sc.LocalAddr())
		if !ok1 || !ok2 {
			t.Fatalf("sockets not found in /proc/net/tcp (%v %v)", ok1, ok2)
		}
		if cli != tt.cli || srv != tt.srv {
			t.Errorf("fe %q be %q: keep-alive on the client side %v, server side %v; want %v, %v",
				tt.fe, tt.be, cli, srv, tt.cli, tt.srv)
		}
		_ = sc.Close()
		_ = origin.Close()
	}
}
