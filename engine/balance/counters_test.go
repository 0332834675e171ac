package balance

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestTryTakeRespectsMax races goroutines for a server's slots: at no time
// do more than max hold one, and every slot is taken by someone.
func TestTryTakeRespectsMax(t *testing.T) {
	t.Parallel()
	const max, workers, rounds = 3, 8, 2000
	c := NewCounters(2)
	var holding, peak atomic.Int32
	var taken atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				if !c.TryTake(1, max) {
					continue
				}
				taken.Add(1)
				n := holding.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				holding.Add(-1)
				c.Release(1)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p > max {
		t.Errorf("%d requests held server 1 at once, maxconn %d", p, max)
	}
	if taken.Load() == 0 || c.Active(1) != 0 || c.Active(0) != 0 {
		t.Errorf("taken %d, active now %d/%d", taken.Load(), c.Active(0), c.Active(1))
	}
	if !c.TryTake(0, 0) || !c.TryTake(0, 0) || c.Active(0) != 2 {
		t.Errorf("max 0 must not limit: active %d", c.Active(0))
	}
	if c.TryTake(1, 1); c.TryTake(1, 1) {
		t.Error("a second take under maxconn 1 succeeded")
	}
}

// TestQueuedPeak: the peak of a server's queue is its highest length, kept
// when the queue empties.
func TestQueuedPeak(t *testing.T) {
	t.Parallel()
	c := NewCounters(2)
	for range 3 {
		c.Enqueue(1)
	}
	c.Dequeue(1)
	c.Dequeue(1)
	c.Enqueue(1)
	if q, p := c.Queued(1), c.QueuedPeak(1); q != 2 || p != 3 {
		t.Fatalf("queued %d, peak %d; want 2, 3", q, p)
	}
	if p := c.QueuedPeak(0); p != 0 {
		t.Fatalf("an untouched server's peak is %d", p)
	}
}
