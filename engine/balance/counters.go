package balance

import "sync/atomic"

// Counters holds what balancing shares between the loops of a backend and
// keeps across its Tables: the live connection and queue counts of its
// servers by server index, the order in which leastconn last requeued them,
// and the last Table built, whose rotation the next one continues. The
// engine owns it and keeps the same Counters across every Table of the
// backend, so weight and state changes never reset the counts or restart
// the rotation. It is safe for concurrent use: every loop updates it with
// atomic operations.
//
// leastconn, first, random and maxconn checks read these counts; the engine
// must call Take (or TryTake, which respects a maxconn against the other
// loops) when a request is assigned to a server and Release when that
// request is over, and Enqueue/Dequeue around the time a request waits
// in a server's queue.
type Counters struct {
	slots []slot
	// last is the last Table built with these counters.
	last atomic.Pointer[Table]
	// ordered is set for a leastconn backend: each requeue of a server
	// then stamps it with the next value of requeues.
	ordered  atomic.Bool
	requeues ticket
}

// ticket is a counter that every loop adds to, alone on its cache line so
// that the writes do not slow down reads of its neighbours.
type ticket struct {
	_ [64]byte
	atomic.Uint64
	_ [56]byte
}

// slot is one server's counters, padded to a cache line so that loops
// updating different servers do not share one.
type slot struct {
	active atomic.Int32  // requests assigned to the server and not released
	queued atomic.Int32  // requests waiting in the server's queue
	qpeak  atomic.Int32  // highest queued
	stamp  atomic.Uint64 // when leastconn last requeued the server
	_      [40]byte
}

// NewCounters returns zeroed counters for n servers.
func NewCounters(n int) *Counters {
	return &Counters{slots: make([]slot, n)}
}

// Take counts a request assigned to server i.
func (c *Counters) Take(i int) {
	c.slots[i].active.Add(1)
	c.requeue(i)
}

// TryTake counts a request assigned to server i if the server has fewer
// than max active requests (max 0: no limit), and reports whether it did.
// Loops race for the last slot of a server; only one of them gets it.
func (c *Counters) TryTake(i, max int) bool {
	a := &c.slots[i].active
	for {
		n := a.Load()
		if max > 0 && int(n) >= max {
			return false
		}
		if a.CompareAndSwap(n, n+1) {
			c.requeue(i)
			return true
		}
	}
}

// Release uncounts a request of server i that is over.
func (c *Counters) Release(i int) {
	c.slots[i].active.Add(-1)
	c.requeue(i)
}

// Enqueue counts a request waiting in server i's queue.
func (c *Counters) Enqueue(i int) {
	s := &c.slots[i]
	for n := s.queued.Add(1); ; {
		if p := s.qpeak.Load(); n <= p || s.qpeak.CompareAndSwap(p, n) {
			return
		}
	}
}

// Dequeue uncounts a request that left server i's queue.
func (c *Counters) Dequeue(i int) { c.slots[i].queued.Add(-1) }

// requeue records, for leastconn, that server i took or released a
// request: HAProxy then moves it behind the servers that already have its
// new load, so it is the last of them to be chosen. (HAProxy does not
// requeue when only the queue length changes, and neither does this.)
func (c *Counters) requeue(i int) {
	if c.ordered.Load() {
		c.slots[i].stamp.Store(c.requeues.Add(1))
	}
}

// Active returns the number of requests assigned to server i.
func (c *Counters) Active(i int) int { return int(c.slots[i].active.Load()) }

// Queued returns the number of requests waiting in server i's queue.
func (c *Counters) Queued(i int) int { return int(c.slots[i].queued.Load()) }

// ClearPeaks restarts every server's QueuedPeak from zero (the runtime
// API's `clear counters`).
func (c *Counters) ClearPeaks() {
	for i := range c.slots {
		c.slots[i].qpeak.Store(0)
	}
}

// QueuedPeak returns the highest number of requests that waited in server
// i's queue at once.
func (c *Counters) QueuedPeak(i int) int { return int(c.slots[i].qpeak.Load()) }
