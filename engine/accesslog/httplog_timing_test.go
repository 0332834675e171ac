package accesslog

import (
	"testing"
	"time"

	"tether/engine/config"
)

func BenchmarkAppendHTTPLog(b *testing.B) {
	r := baseRecord()
	r.CapturedRequestCookie = []byte("SID=abc")
	r.Cookie = [2]byte{'V', 'N'}
	buf := make([]byte, 0, MaxLine)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendHTTPLog(buf[:0], &r)
	}
	b.SetBytes(int64(len(buf)))
}

// BenchmarkLogHTTP measures what an event loop pays per logged request:
// rendering the line into the queue. Every 512 lines the clock stops
// until the writer has caught up, so that no line is dropped.
func BenchmarkLogHTTP(b *testing.B) {
	var written counter
	lg, err := New([]config.LogTarget{{Address: "stdout", Facility: "local0"}}, Options{Stdout: &written})
	if err != nil {
		b.Fatal(err)
	}
	defer lg.Close()
	r := baseRecord()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if i%512 == 511 {
			b.StopTimer()
			for written.n.Load() < uint64(i) {
				time.Sleep(10 * time.Microsecond)
			}
			b.StartTimer()
		}
		lg.LogHTTP(&r)
	}
	if lg.Dropped() != 0 {
		b.Fatalf("%d lines dropped", lg.Dropped())
	}
}
