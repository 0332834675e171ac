package engine

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// boundedTemplate is the configuration of the hash-balance-factor
// differential test: one thread, consistent hashing by {ALGO} over three
// servers of weights 1, 2 and 3, and the factor {FACTOR}.
const boundedTemplate = `global
  nbthread 1
defaults
  mode http
  timeout connect 2s
  timeout client 10s
  timeout server 10s
frontend fe
  bind {BIND}
  default_backend be
backend be
  balance {ALGO}
  hash-type consistent
  hash-balance-factor {FACTOR}
  server s1 {S1} weight 1
  server s2 {S2} weight 2
  server s3 {S3} weight 3
`

// boundedHold is how long the origins hold each request: longer than a
// whole sequence of requests, which are then all in progress at once.
const boundedHold = 1500 * time.Millisecond

// TestBoundedHAProxyDifferential sends requests one after the other, each
// held by its server until the last is sent, through haproxy 2.6 and the
// engine, and compares which server took each: with the same key they
// would all go to one server, and hash-balance-factor spreads them as
// each server's share of the load is reached.
func TestBoundedHAProxyDifferential(t *testing.T) {
	bin := haproxyBinLong(t)
	cases := []struct {
		name, algo, factor string
		targets            []string
	}{
		{"uri 150", "uri", "150", repeat("/same", 12)},
		{"uri 0", "uri", "0", repeat("/same", 6)},
		{"uri 101", "uri", "101", repeat("/same", 12)},
		{"uri mixed 125", "uri", "125", []string{"/a", "/b", "/a", "/c", "/a", "/a", "/b", "/d", "/a", "/a", "/e", "/b"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got [2]string
			for side := range 2 {
				var peak atomic.Int32
				addr := startSide(t, bin, side, boundedTemplate, "{ALGO}", tc.algo, "{FACTOR}", tc.factor,
					"{S1}", peakOrigin(t, "s1", boundedHold, &peak), "{S2}", peakOrigin(t, "s2", boundedHold, &peak),
					"{S3}", peakOrigin(t, "s3", boundedHold, &peak)).addr
				got[side] = heldSequence(t, addr, tc.targets)
			}
			t.Logf("servers through haproxy: %s", got[0])
			if got[0] != got[1] {
				t.Errorf("haproxy: %s\nengine:  %s", got[0], got[1])
			}
		})
	}
}

// repeat returns n times s.
func repeat(s string, n int) []string {
	r := make([]string, n)
	for i := range r {
		r[i] = s
	}
	return r
}

// heldSequence sends a request for each target on a connection of its
// own, 40 ms apart, and returns the servers that answered, in order.
func heldSequence(t *testing.T, addr string, targets []string) string {
	t.Helper()
	got := make([]string, len(targets))
	var wg sync.WaitGroup
	for i, target := range targets {
		c := dialFor(t, addr, 10*time.Second)
		c.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { _ = c.c.Close() }()
			if r, body := c.response("GET"); r != nil {
				got[i] = body
			} else {
				got[i] = "!"
			}
		}()
		time.Sleep(40 * time.Millisecond)
	}
	wg.Wait()
	return strings.Join(got, " ")
}
