package engine

import "testing"

// BenchmarkTimerScheduleStop is the per-connection cost of arming and
// cancelling a timeout (for example a server timeout per request).
func BenchmarkTimerScheduleStop(b *testing.B) {
	w := newWheel()
	timers := make([]Timer, 1024)
	for i := range timers {
		timers[i].Init(func() {})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		tm := &timers[i&1023]
		w.schedule(tm, uint64(100+i&511))
		if i&1 == 0 {
			tm.Stop()
		}
	}
}

// BenchmarkTimerAdvance is the cost of one tick over a wheel holding 100k
// timers spread over the slots, none due.
func BenchmarkTimerAdvance(b *testing.B) {
	w := newWheel()
	timers := make([]Timer, 100_000)
	for i := range timers {
		timers[i].Init(func() {})
		w.schedule(&timers[i], uint64(1_000_000+i))
	}
	b.ReportAllocs()
	for b.Loop() {
		w.advance()
	}
}
