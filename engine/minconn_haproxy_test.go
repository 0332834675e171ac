package engine

import (
	"bufio"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// minconnTemplate is the configuration of the minconn differential test:
// one thread, one server whose maxconn follows the backend's load
// ({SRVOPTS}), and fullconn {FULL}.
const minconnTemplate = `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
  timeout queue 10s
frontend fe
  bind {BIND}
  default_backend be
backend be
  balance roundrobin
  fullconn {FULL}
  default-server {DEFSRV}
  server s1 {SRV} {SRVOPTS}
`

// peakOrigin starts an origin that answers every request with name after
// hold and records in peak the most requests it held at once.
func peakOrigin(t *testing.T, name string, hold time.Duration, peak *atomic.Int32) string {
	t.Helper()
	var inflight atomic.Int32
	o := startOrigin(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		br := bufio.NewReader(c)
		for {
			for {
				l, err := br.ReadString('\n')
				if err != nil {
					return
				}
				if l == "\r\n" {
					break
				}
			}
			n := inflight.Add(1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			time.Sleep(hold)
			inflight.Add(-1)
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(name))+"\r\n\r\n"+name); err != nil {
				return
			}
		}
	})
	return o.ln.Addr().String()
}

// minconnHold is how long peakOrigin holds a request.
const minconnHold = 250 * time.Millisecond

// TestMinConnHAProxyDifferential sends bursts of concurrent requests
// through haproxy 2.6 and the engine to a server whose maxconn follows the
// backend's load (minconn 2, maxconn 10, fullconn 40), and compares how
// many requests the server held at once in each burst and the statuses:
// the server's limit grows with the requests the backend holds, queued
// ones included, as srv_dynamic_maxconn computes it.
func TestMinConnHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	cases := []struct{ name, full, defsrv, srvOpts string }{
		{"server", "40", "weight 1", "maxconn 10 minconn 2"},
		{"default-server", "40", "minconn 2", "maxconn 10"},
		{"static", "40", "weight 1", "maxconn 3"},
	}
	// Away from the loads where the limit steps (multiples of 4 here):
	// the first releases then see the same limit whichever order the
	// proxy counts them in.
	bursts := []int{1, 8, 22, 31}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got [2]string
			for side := range 2 {
				var peak atomic.Int32
				addr := startSide(t, bin, side, minconnTemplate, "{FULL}", tc.full, "{DEFSRV}", tc.defsrv,
					"{SRVOPTS}", tc.srvOpts, "{SRV}", peakOrigin(t, "s1", minconnHold, &peak)).addr
				var out []string
				for _, n := range bursts {
					peak.Store(0)
					statuses := burst(t, addr, n)
					out = append(out, strconv.Itoa(n)+":"+strconv.Itoa(int(peak.Load()))+statuses)
				}
				got[side] = strings.Join(out, " ")
			}
			t.Logf("burst:peak through haproxy: %s", got[0])
			if got[0] != got[1] {
				t.Errorf("haproxy: %s\nengine:  %s", got[0], got[1])
			}
		})
	}
}

// burst sends n requests at once on connections of their own and returns
// "" when every one got a 200, else how many did not, as "!k".
func burst(t *testing.T, addr string, n int) string {
	t.Helper()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := dialFor(t, addr, 10*time.Second)
			defer func() { _ = c.c.Close() }()
			c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if r, _ := c.response("GET"); r == nil || r.StatusCode != 200 {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if k := failed.Load(); k > 0 {
		return "!" + strconv.Itoa(int(k))
	}
	return ""
}
