package bench

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// testBalancer is a round-robin proxy over origins that sets SRV=<name> on
// every response and, when sticky, honours the client's SRV cookie.
func testBalancer(t *testing.T, sticky bool, origins ...*Origin) string {
	t.Helper()
	var next atomic.Uint64
	proxies := map[string]*httputil.ReverseProxy{}
	for _, o := range origins {
		u, _ := url.Parse("http://" + o.Addr().String())
		p := httputil.NewSingleHostReverseProxy(u)
		name := o.Name
		p.ModifyResponse = func(r *http.Response) error {
			r.Header.Add("Set-Cookie", "SRV="+name+"; path=/")
			return nil
		}
		proxies[name] = p
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("SRV"); err == nil && sticky {
			if p, ok := proxies[c.Value]; ok {
				p.ServeHTTP(w, r)
				return
			}
		}
		o := origins[next.Add(1)%uint64(len(origins))]
		proxies[o.Name].ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestRunCountsStickiness(t *testing.T) {
	a, b := startOrigin(t, "a"), startOrigin(t, "b")
	for _, sticky := range []bool{true, false} {
		target := testBalancer(t, sticky, a, b)
		res, err := Run(context.Background(), Load{Target: target, Users: 4, Requests: 200, Cookie: "SRV"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Requests != 200 || res.Errors != 0 || res.Non2xx != 0 {
			t.Fatalf("sticky=%v: %d requests, %d errors, %d non-2xx", sticky, res.Requests, res.Errors, res.Non2xx)
		}
		if res.Servers["a"] == 0 || res.Servers["b"] == 0 {
			t.Errorf("sticky=%v: servers %v, want both", sticky, res.Servers)
		}
		if sticky && res.Unpinned != 0 {
			t.Errorf("sticky balancer: %d unpinned responses", res.Unpinned)
		}
		if !sticky && res.Unpinned == 0 {
			t.Error("round-robin balancer that ignores the cookie: no unpinned response counted")
		}
		if res.P50 <= 0 || res.Max < res.P99 || res.P99 < res.P50 {
			t.Errorf("latencies p50=%d p99=%d max=%d", res.P50, res.P99, res.Max)
		}
	}
}

func TestRunDurationAndErrors(t *testing.T) {
	o := startOrigin(t, "d")
	res, err := Run(context.Background(), Load{Target: o.Addr().String(), Users: 2, Duration: 200 * time.Millisecond, Path: "/?status=503"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests == 0 || res.Non2xx != res.Requests {
		t.Errorf("%d requests, %d non-2xx; want all non-2xx", res.Requests, res.Non2xx)
	}
	if res.Elapsed < 200*time.Millisecond || res.Elapsed > 5*time.Second {
		t.Errorf("elapsed %v for a 200ms run", res.Elapsed)
	}
	addr := o.Addr().String()
	o.Close()
	res, err = Run(context.Background(), Load{Target: addr, Users: 1, Requests: 3, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors != 3 || res.Requests != 0 {
		t.Errorf("closed target: %d errors, %d responses; want 3, 0", res.Errors, res.Requests)
	}
	if _, err := Run(context.Background(), Load{}); err != ErrNoTarget {
		t.Errorf("no target: %v", err)
	}
}

// TestRunProbe: the probe opens a connection of its own per request while
// the users run; answers outside 2xx count as its errors.
func TestRunProbe(t *testing.T) {
	o := startOrigin(t, "p")
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Connection") == "close" && r.URL.Query().Get("status") == "" {
			w.WriteHeader(200)
			return
		}
		u, _ := url.Parse("http://" + o.Addr().String())
		httputil.NewSingleHostReverseProxy(u).ServeHTTP(w, r)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	target := strings.TrimPrefix(srv.URL, "http://")
	res, err := Run(context.Background(), Load{Target: target, Users: 2, Duration: 300 * time.Millisecond, Probe: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	p := res.Probe
	if p.Requests < 5 || p.Errors != 0 {
		t.Fatalf("probe: %d requests, %d errors over 300ms at one per 10ms", p.Requests, p.Errors)
	}
	if got := conns.Load(); got < int64(p.Requests)+2 {
		t.Errorf("%d connections for 2 users and %d probes: probes reused connections", got, p.Requests)
	}
	if p.P50 <= 0 || p.P90 < p.P50 || p.P99 < p.P90 || p.Max < p.P99 {
		t.Errorf("probe latencies p50=%d p90=%d p99=%d max=%d", p.P50, p.P90, p.P99, p.Max)
	}
	res, err = Run(context.Background(), Load{Target: target, Path: "/?status=503", Users: 1, Duration: 100 * time.Millisecond, Probe: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.Probe.Errors == 0 || res.Probe.Requests != 0 {
		t.Errorf("503s: probe counted %d requests, %d errors", res.Probe.Requests, res.Probe.Errors)
	}
}
