package engine

import (
	"testing"
	"time"
)

func newWheel() *wheel {
	w := new(wheel)
	w.init()
	return w
}

// run advances w by n ticks.
func (w *wheel) run(n int) {
	for range n {
		w.advance()
	}
}

func TestWheelFiresAtItsTick(t *testing.T) {
	t.Parallel()
	w := newWheel()
	var fired []int
	timers := make([]Timer, 4)
	delays := []uint64{3, 1, 3, wheelSlots + 2} // the last one wraps a turn
	for i := range timers {
		timers[i].Init(func() { fired = append(fired, i) })
		w.schedule(&timers[i], delays[i])
	}
	w.run(1)
	if len(fired) != 1 || fired[0] != 1 {
		t.Fatalf("after 1 tick fired %v, want [1]", fired)
	}
	w.run(2)
	if len(fired) != 3 || fired[1] != 0 || fired[2] != 2 {
		t.Fatalf("after 3 ticks fired %v, want [1 0 2]", fired)
	}
	w.run(wheelSlots - 2)
	if len(fired) != 3 {
		t.Fatalf("wrapped timer fired early: %v", fired)
	}
	w.run(1)
	if len(fired) != 4 || fired[3] != 3 {
		t.Fatalf("after a turn fired %v, want the wrapped timer last", fired)
	}
	for i := range timers {
		if timers[i].Pending() {
			t.Errorf("timer %d still pending after firing", i)
		}
	}
}

func TestWheelStopAndReschedule(t *testing.T) {
	t.Parallel()
	w := newWheel()
	var a, b, c Timer
	var fired []string
	a.Init(func() { fired = append(fired, "a") })
	b.Init(func() { fired = append(fired, "b") })
	c.Init(func() { fired = append(fired, "c") })
	w.schedule(&a, 2)
	w.schedule(&b, 2)
	w.schedule(&c, 2)
	b.Stop()
	b.Stop()          // idempotent
	w.schedule(&c, 5) // moves c
	if !a.Pending() || b.Pending() || !c.Pending() {
		t.Fatal("Pending wrong after Stop and reschedule")
	}
	w.run(2)
	if len(fired) != 1 || fired[0] != "a" {
		t.Fatalf("after 2 ticks fired %v, want [a]", fired)
	}
	w.run(3)
	if len(fired) != 2 || fired[1] != "c" {
		t.Fatalf("after 5 ticks fired %v, want [a c]", fired)
	}
}

// A callback may stop a timer due at the same tick, or re-arm itself.
func TestWheelCallbacksEditDueTimers(t *testing.T) {
	t.Parallel()
	w := newWheel()
	var a, b, self Timer
	var fired []string
	a.Init(func() { fired = append(fired, "a"); b.Stop() })
	b.Init(func() { fired = append(fired, "b") })
	rearms := 0
	self.Init(func() {
		fired = append(fired, "self")
		if rearms < 2 {
			rearms++
			w.schedule(&self, wheelSlots) // same slot, next turn
		}
	})
	w.schedule(&a, 1)
	w.schedule(&b, 1)
	w.schedule(&self, 1)
	w.run(1)
	if len(fired) != 2 || fired[0] != "a" || fired[1] != "self" {
		t.Fatalf("fired %v, want [a self]", fired)
	}
	w.run(2 * wheelSlots)
	if rearms != 2 || len(fired) != 4 {
		t.Fatalf("self re-armed %d times, fired %v", rearms, fired)
	}
}

func TestTicksFor(t *testing.T) {
	t.Parallel()
	tick := 10 * time.Millisecond
	for _, tc := range []struct {
		d    time.Duration
		want uint64
	}{{0, 1}, {-time.Second, 1}, {time.Millisecond, 1}, {10 * time.Millisecond, 1}, {11 * time.Millisecond, 2}, {time.Second, 100}} {
		if got := ticksFor(tc.d, tick); got != tc.want {
			t.Errorf("ticksFor(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestScheduleBeforeInitPanics(t *testing.T) {
	t.Parallel()
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	var tm Timer
	newWheel().schedule(&tm, 1)
}
