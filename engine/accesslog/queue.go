package accesslog

import "sync/atomic"

// slot holds one queued line. seq tells its state (Vyukov's bounded
// queue): equal to the position a producer may claim, one more once the
// line is published, and position+len(slots) once the consumer is done
// with it.
type slot struct {
	seq   atomic.Uint64
	n     int
	level uint8  // the syslog level of the line
	line  []byte // the slot's room: as long as the Logger's longest line
}

// queue is a bounded ring of line slots for many producers (the event
// loops) and one consumer (the writer goroutine). Producers claim a
// position with one compare-and-swap and never wait; a full ring refuses
// the line. It allocates only when made.
type queue struct {
	slots []slot
	mask  uint64
	_     [56]byte      // keeps tail off the cache line of slots and mask
	tail  atomic.Uint64 // next position producers claim
	_     [56]byte
	head  uint64 // next position the consumer reads; consumer-owned
}

// newQueue returns a queue of n slots of lineLen bytes, n rounded up to a
// power of two.
func newQueue(n, lineLen int) *queue {
	size := 1
	for size < n {
		size <<= 1
	}
	q := &queue{slots: make([]slot, size), mask: uint64(size - 1)}
	room := make([]byte, size*lineLen)
	for i := range q.slots {
		q.slots[i].seq.Store(uint64(i))
		q.slots[i].line = room[i*lineLen : (i+1)*lineLen : (i+1)*lineLen]
	}
	return q
}

// claim reserves the next slot for a producer, or returns nil when the
// ring is full. The producer fills the slot and then calls publish.
func (q *queue) claim() (*slot, uint64) {
	pos := q.tail.Load()
	for {
		s := &q.slots[pos&q.mask]
		switch seq := s.seq.Load(); {
		case seq == pos:
			if q.tail.CompareAndSwap(pos, pos+1) {
				return s, pos
			}
			pos = q.tail.Load()
		case seq < pos:
			return nil, 0 // the consumer has not freed this slot yet: full
		default:
			pos = q.tail.Load() // another producer took pos
		}
	}
}

// publish hands a filled slot to the consumer.
func (q *queue) publish(s *slot, pos uint64) { s.seq.Store(pos + 1) }

// peek returns the next published slot for the consumer, or nil.
func (q *queue) peek() *slot {
	s := &q.slots[q.head&q.mask]
	if s.seq.Load() != q.head+1 {
		return nil
	}
	return s
}

// release gives the slot returned by peek back to the producers.
func (q *queue) release(s *slot) {
	s.seq.Store(q.head + q.mask + 1)
	q.head++
}
