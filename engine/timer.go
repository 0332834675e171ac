package engine

import "time"

// wheelSlots is the number of slots of a loop's timer wheel (a power of two).
// With the default 10 ms tick one turn covers about 41 s; longer timers stay
// in their slot across turns until their tick comes.
const wheelSlots = 4096

// Timer is one pending timeout of a connection, embedded in the struct it
// times. It belongs to the loop it was scheduled on and is used only on that
// loop's goroutine: Schedule, Stop and the expiry callback never allocate.
// Its zero value is an idle timer; Init gives it its callback once.
type Timer struct {
	prev, next *Timer // links in a wheel slot (or the expiry batch); nil when idle
	when       uint64 // wheel tick at which it fires
	fire       func() // set once by Init, run on the loop at expiry
}

// Init sets the function run (on the loop) when the timer expires. Call it
// once, when the struct embedding the timer is created: a method value such
// as t.Init(conn.onTimeout) allocates once then, never per Schedule.
func (t *Timer) Init(fire func()) { t.fire = fire }

// Pending reports whether the timer is scheduled.
func (t *Timer) Pending() bool { return t.next != nil }

// Stop cancels the timer if it is scheduled. It is O(1).
func (t *Timer) Stop() {
	if t.next == nil {
		return
	}
	t.prev.next = t.next
	t.next.prev = t.prev
	t.prev, t.next = nil, nil
}

// wheel is a hashed timing wheel: timers hang in doubly linked rings, one
// ring per slot, chosen by their expiry tick. Adding and cancelling is O(1);
// each tick visits one slot.
type wheel struct {
	slots [wheelSlots]Timer // ring heads (sentinels)
	batch Timer             // sentinel of the slot being expired
	now   uint64            // current tick
}

func (w *wheel) init() {
	for i := range w.slots {
		s := &w.slots[i]
		s.prev, s.next = s, s
	}
	w.batch.prev, w.batch.next = &w.batch, &w.batch
}

// schedule (re)arms t to fire after ticks ticks (at least one).
func (w *wheel) schedule(t *Timer, ticks uint64) {
	if t.fire == nil {
		panic("BUG: engine: Timer scheduled before Init")
	}
	t.Stop()
	t.when = w.now + max(ticks, 1)
	w.link(&w.slots[t.when&(wheelSlots-1)], t)
}

func (w *wheel) link(head, t *Timer) {
	t.prev = head.prev
	t.next = head
	head.prev.next = t
	head.prev = t
}

// advance moves the wheel one tick and fires the timers due at it. A
// callback may stop or schedule any timer, including other due ones: the
// due slot is first moved to a batch ring, and every timer is taken off the
// batch before it fires.
func (w *wheel) advance() {
	w.now++
	head := &w.slots[w.now&(wheelSlots-1)]
	if head.next == head {
		return
	}
	b := &w.batch
	b.next, b.prev = head.next, head.prev
	b.next.prev, b.prev.next = b, b
	head.next, head.prev = head, head
	for b.next != b {
		t := b.next
		t.Stop()
		if t.when > w.now {
			w.link(head, t) // due in a later turn of the wheel
			continue
		}
		t.fire()
	}
}

// ticksFor converts a duration into wheel ticks, rounding up.
func ticksFor(d, tick time.Duration) uint64 {
	if d <= 0 {
		return 1
	}
	return uint64((d + tick - 1) / tick)
}
