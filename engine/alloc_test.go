package engine

import (
	"io"
	"runtime"
	"testing"
	"time"
)

// pooledRequests sends n one-line requests on one client connection through
// the line proxy to an echo origin, reusing one pooled server connection,
// and returns the process's mallocs per request.
func pooledRequests(t testing.TB, n int) float64 {
	o := startOrigin(t, echoOrigin)
	h := &lineHandler{addr: o.addr(), max: 4, idle: time.Minute}
	_, lns := serve(t, Config{Loops: 1}, h, "127.0.0.1:0")
	c := dialT(t, lns[0].Addr())
	defer c.Close()
	_ = c.SetDeadline(time.Time{})
	req := []byte("GET /x\n")
	resp := make([]byte, len(req))
	do := func() {
		if _, err := c.Write(req); err != nil {
			t.Fatal(err)
		}
		if _, err := io.ReadFull(c, resp); err != nil {
			t.Fatal(err)
		}
	}
	for range 100 { // warm up: dial, pool, buffers
		do()
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range n {
		do()
	}
	runtime.ReadMemStats(&after)
	if d := h.dials.Load(); d != 1 {
		t.Fatalf("%d dials for one client, want 1", d)
	}
	return float64(after.Mallocs-before.Mallocs) / float64(n)
}

// TestPooledRequestAllocs: a request over a pooled server connection
// allocates nothing in the transport (nor in the test's client and origin).
func TestPooledRequestAllocs(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("counts mallocs over 5000 requests; not under -short or -race")
	}
	// The count is the whole process's: a background allocation of the
	// runtime or of another test's leftovers lands in it now and then, so
	// the smaller of two runs is taken.
	per := min(pooledRequests(t, 5000), pooledRequests(t, 5000))
	t.Logf("%.4f mallocs per pooled request", per)
	if per > 0.01 {
		t.Fatalf("%.3f mallocs per pooled request, want < 0.01", per)
	}
}

// BenchmarkPooledRequest is one request and its answer over a pooled
// server connection, client and origin included.
func BenchmarkPooledRequest(b *testing.B) {
	b.ReportAllocs()
	cpu0 := cpuTime()
	per := pooledRequests(b, b.N)
	b.ReportMetric(per, "mallocs/req")
	reportCPU(b, cpu0)
}
