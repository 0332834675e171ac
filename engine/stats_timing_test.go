package engine

import "testing"

// BenchmarkRateAdd measures counting an event in a rate at a given time on
// a loop that has joined two others: the cost countExchange pays per
// block, its clock read aside.
func BenchmarkRateAdd(b *testing.B) {
	rates := joinedLoops(3)
	r := rates[0]
	now := rateNow()
	b.ReportAllocs()
	for i := range b.N {
		r.add(now+int64(i>>10), 1) // a millisecond every 1024 events: a new period every million or so
	}
}
