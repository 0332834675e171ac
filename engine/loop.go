package engine

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/panjf2000/gnet/v2"
)

// Loop is the state owned by one gnet event loop: its timer wheel, its
// coarse clock, its paused producers and a slot for the protocol layer's own
// per-loop state (idle pools, balancer counters, scratch buffers). Everything
// a connection needs is reached from its Loop without a lock.
//
// A Loop is not safe for concurrent use: call its methods only on its loop's
// goroutine (from a callback), except Execute.
type Loop struct {
	// Data is the protocol layer's per-loop state, set and read on the loop.
	Data any

	el      gnet.EventLoop
	srv     *Server
	wheel   wheel
	tick    time.Duration
	epoch   time.Time      // start of the wheel's tick count
	now     time.Time      // coarse clock, refreshed every tick
	valves  Valve          // sentinel of the ring of paused producers
	closing []pendingClose // connections to close once flushed
	next    time.Time      // when the next tick is due
	ticked  atomic.Int64   // UnixNano of the last advance, read by run
	ticking atomic.Bool    // a tick task is queued and not yet run
	onTick  gnet.Runnable  // the tick task, built once
	nudging atomic.Bool    // a nudge task is queued and not yet run
	onNudge gnet.Runnable  // the nudge task, built once
}

func newLoop(srv *Server, el gnet.EventLoop) *Loop {
	l := &Loop{el: el, srv: srv, tick: srv.cfg.Tick}
	l.wheel.init()
	l.valves.prev, l.valves.next = &l.valves, &l.valves
	l.epoch = time.Now()
	l.now = l.epoch
	l.next = l.epoch.Add(l.tick)
	l.onTick = gnet.RunnableFunc(l.advance)
	l.onNudge = gnet.RunnableFunc(l.nudged)
	return l
}

// EventLoop returns the gnet event loop this state belongs to.
func (l *Loop) EventLoop() gnet.EventLoop { return l.el }

// Server returns the server running this loop.
func (l *Loop) Server() *Server { return l.srv }

// Now returns the loop's coarse clock: the time of the last tick.
func (l *Loop) Now() time.Time { return l.now }

// Schedule arms t to fire on this loop after d: never earlier, and at most
// two ticks later (the wheel counts whole ticks from the last one), half a
// tick more on a quiet loop (see run). A pending timer is moved. t must have been given its callback by Init.
func (l *Loop) Schedule(t *Timer, d time.Duration) {
	l.wheel.schedule(t, ticksFor(d, l.tick)+1)
}

// Execute runs f on the loop's goroutine. It is safe for concurrent use and
// allocates; it is meant for results of goroutines (dials, resumes), not for
// the per-request path. It fails once the engine is stopping.
func (l *Loop) Execute(f func()) error {
	return l.el.Execute(context.Background(), gnet.RunnableFunc(func(context.Context) error {
		f()
		return nil
	}))
}

// run drives the loop's clock while the loop is quiet: every tick it queues
// a tick task on the loop, unless the loop has advanced by itself within
// the last tick (see poll) or the previous task has not run yet. Queueing a
// task allocates in gnet, so a busy loop ticks without it. It returns when
// ctx ends or the engine stops.
//
// Its ticker runs half a tick behind the wheel's tick points. A busy loop
// advances itself at its first event past a tick point, so by the time the
// ticker looks it has; a ticker in phase with the points would often look
// first and queue a task the loop did not need.
func (l *Loop) run(ctx context.Context) {
	half := time.NewTimer(time.Until(l.epoch.Add(l.tick / 2)))
	select {
	case <-ctx.Done():
		half.Stop()
		return
	case <-half.C:
	}
	tk := time.NewTicker(l.tick)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tk.C:
		}
		if time.Since(time.Unix(0, l.ticked.Load())) < l.tick {
			continue
		}
		if !l.ticking.CompareAndSwap(false, true) {
			continue
		}
		if l.el.Execute(ctx, l.onTick) != nil {
			return
		}
	}
}

// nudge asks the loop to look at its paused producers now rather than at
// the next tick: a consumer living off the loop (a Tail) has drained. It is
// safe for concurrent use; at most one nudge is queued at a time, so a
// burst costs one task.
func (l *Loop) nudge() {
	if !l.nudging.CompareAndSwap(false, true) {
		return
	}
	if l.el.Execute(context.Background(), l.onNudge) != nil {
		l.nudging.Store(false) // the engine is stopping
	}
}

// nudged is the nudge task.
func (l *Loop) nudged(context.Context) error {
	l.nudging.Store(false)
	l.watchValves()
	return nil
}

// poll advances the clock if a tick is due. The engine calls it on the loop
// before handing an Upstream's traffic to its handler, a point where no
// callback is half done, so timers may fire there.
func (l *Loop) poll() {
	if now := time.Now(); !now.Before(l.next) {
		l.advanceTo(now)
	}
}

// advance is the tick task.
func (l *Loop) advance(context.Context) error {
	l.ticking.Store(false)
	l.advanceTo(time.Now())
	return nil
}

// advanceTo refreshes the clock, fires due timers (as many ticks as
// elapsed, so a busy loop catches up), resumes paused producers whose
// consumer has drained and closes flushed connections.
func (l *Loop) advanceTo(now time.Time) {
	l.now = now
	l.ticked.Store(now.UnixNano())
	due := uint64(now.Sub(l.epoch) / l.tick)
	l.next = l.epoch.Add(time.Duration(due+1) * l.tick)
	for l.wheel.now < due {
		l.wheel.advance()
	}
	l.watchValves()
	if len(l.closing) > 0 {
		l.watchClosing()
	}
}
