package persist

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tenCookies is a Cookie field with ten cookies, the persistence one in
// the middle; s<i> is filled in by the benchmark.
func tenCookies(srv string) []byte {
	return []byte("_ga=GA1.2.1234567890.1700000000; _gid=GA1.2.987654321.1700000000; lang=en-US; theme=dark; " +
		"SRV=" + srv + "; session=8f14e45fceea167a5a36dedd4bea2543; csrftoken=Xy9aB3cD4eF5gH6iJ7kL8mN9; " +
		"consent=yes; tz=Europe%2FParis; last_visit=1700000000")
}

func BenchmarkCookie(b *testing.B) {
	for _, n := range []int{2, 100, 10000} {
		tb := manyServers(n, Options{Name: "SRV", Mode: Insert, Indirect: true})
		v := tenCookies(fmt.Sprint("s", n/2))
		b.Run(fmt.Sprint(n, "servers"), func(b *testing.B) {
			b.ReportAllocs()
			var buf [16]Edit
			method := []byte("GET")
			for b.Loop() {
				rq := tb.Request(now, method, 0, 0)
				edits, _ := tb.Cookie(&rq, v, buf[:0])
				if rq.Server() != n/2 || len(edits) != 1 {
					b.Fatalf("server %d, %d edits", rq.Server(), len(edits))
				}
			}
		})
	}
}

func BenchmarkInsert(b *testing.B) {
	tb := manyServers(100, Options{Name: "SRV", Mode: Insert, Indirect: true, NoCache: true, MaxIdle: 1800, MaxLife: 3600,
		HTTPOnly: true, Attrs: []string{"SameSite=Lax"}})
	fields := [][2][]byte{
		{[]byte("Content-Type"), []byte("text/html")},
		{[]byte("Cache-Control"), []byte("public, max-age=60")},
		{[]byte("Set-Cookie"), []byte("SRV=server-own; Path=/")},
		{[]byte("Set-Cookie"), []byte("app=1; Path=/")},
	}
	method := []byte("GET")
	out := make([]byte, 0, 512)
	b.ReportAllocs()
	var buf [16]Edit
	for b.Loop() {
		rq := tb.Request(now, method, 0, 0)
		rq.Balanced(42)
		rs := tb.Response(&rq, 200)
		for _, f := range fields {
			tb.ResponseField(&rq, &rs, f[0], f[1], buf[:0])
		}
		in := tb.Insert(&rq, &rs, now)
		out = in.AppendTo(out[:0])
		if !in.CacheControl {
			b.Fatal("no cache-control")
		}
	}
}

// BenchmarkSwap measures lookups in a 10,000-server table while another
// goroutine keeps publishing tables through Current: none (the baseline,
// showing what the machine's scheduling alone costs), two prebuilt
// tables in turn, one swap every few tens of microseconds (far more often
// than any control plane), or a new table built each time, back to back
// (the control plane's real pattern at full speed, which also loads the
// garbage collector; its allocations show in the per-op figures). It reports the worst, the 99.99th and the 99.9th
// percentile latency of one Load plus one ten-cookie field lookup.
func BenchmarkSwap(b *testing.B) {
	backend := func(gen int) *Backend {
		bk := &Backend{Name: "b", Options: Options{Name: "SRV", Mode: Insert, Indirect: true}}
		for i := 0; i < 10000; i++ {
			bk.Servers = append(bk.Servers, Server{Name: fmt.Sprint("srv", i), Cookie: fmt.Sprint("s", i), State: State(gen % 2)})
		}
		return bk
	}
	for _, mode := range []string{"none", "prebuilt", "rebuild"} {
		b.Run(mode, func(b *testing.B) {
			backends := [2]*Backend{backend(0), backend(1)}
			var tables [2]*Table
			for i := range tables {
				tables[i], _ = Build(backends[i])
			}
			var cur Current
			cur.Store(tables[0])
			stop := make(chan struct{})
			var swaps atomic.Int64
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				if mode == "none" {
					<-stop
					return
				}
				for i := 1; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					t := tables[i%2]
					if mode == "rebuild" {
						t, _ = Build(backends[i%2])
					} else {
						time.Sleep(20 * time.Microsecond)
					}
					cur.Store(t)
					swaps.Add(1)
				}
			}()
			lat := make([]time.Duration, b.N)
			var buf [16]Edit
			v := tenCookies("s5000")
			method := []byte("GET")
			b.ResetTimer()
			for i := range lat {
				t0 := time.Now()
				tb := cur.Load()
				rq := tb.Request(now, method, 0, 0)
				tb.Cookie(&rq, v, buf[:0])
				lat[i] = time.Since(t0)
				if rq.Server() != 5000 {
					b.Fatal("lookup failed")
				}
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
			b.ReportMetric(float64(lat[len(lat)*9999/10000].Nanoseconds()), "p99.99-ns")
			b.ReportMetric(float64(lat[len(lat)*999/1000].Nanoseconds()), "p99.9-ns")
			b.ReportMetric(float64(swaps.Load()), "swaps")
		})
	}
}

// BenchmarkBuild measures building a 10,000-server table, off the hot
// path, with explicit and with dynamic cookie values.
func BenchmarkBuild(b *testing.B) {
	for _, dynamic := range []bool{false, true} {
		bk := &Backend{Name: "b", Key: "k", Options: Options{Name: "SRV", Mode: Insert, Dynamic: dynamic}}
		for i := 0; i < 10000; i++ {
			s := Server{Name: fmt.Sprint("srv", i), Addr: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), Port: 80}
			if !dynamic {
				s.Cookie = fmt.Sprint("s", i)
			}
			bk.Servers = append(bk.Servers, s)
		}
		b.Run(fmt.Sprint("dynamic=", dynamic), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Build(bk)
			}
		})
	}
}
