package testorigin

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sync"
)

// portsGiven holds the ports FreePort returned.
var portsGiven sync.Map

// portSpan is how many ports below the kernel's ephemeral range FreePort
// draws from.
const portSpan = 12000

// FreePort returns a port of 127.0.0.1 that nothing listened on a moment
// ago and that it never returned before in this process. It is drawn from
// below the kernel's ephemeral port range, which the kernel gives sockets
// bound to port 0 and connections going out, so that no other socket of a
// test running in parallel is given it before its user binds it: haproxy
// and tether listen with SO_REUSEPORT, and would share such a port without
// a word, each getting some of the other's connections. On a kernel whose
// ephemeral range starts too low to leave room below, it falls back to a
// port the kernel hands out.
func FreePort() int {
	lo := ephemeralLow()
	for range 1000 {
		var port int
		if lo > portSpan+1024 {
			port = lo - 1 - rand.IntN(portSpan)
		} else {
			port = kernelPort()
		}
		if _, taken := portsGiven.LoadOrStore(port, true); taken {
			continue
		}
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	panic("testorigin: no free port")
}

// kernelPort returns a port the kernel gives a listener bound to port 0.
func kernelPort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// ephemeralLow returns the first port of the kernel's ephemeral range, 0
// when it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil {
		return 0
	}
	return lo
}
