package engine

import (
	"testing"
	"time"

	"tether/engine/balance"
	"tether/engine/config"
)

// TestSlowstartComesUpStarting: a server with a slow start comes up
// starting whichever way it comes up (a passing check, `set server ...
// health up`, leaving maintenance, its tracked server coming up), and a
// server already up keeps its state; without a slow start it runs at once.
func TestSlowstartComesUpStarting(t *testing.T) {
	t.Parallel()
	for _, slow := range []bool{true, false} {
		up := OpRunning
		if slow {
			up = OpStarting
		}
		fresh := func(op OpState) condition {
			return condition{op: op, health: 0, rise: 1, fall: 1, slow: slow, check: CheckConfigured | CheckEnabled}
		}
		c := fresh(OpStopped)
		c.checkDone(CheckResultPassed)
		if c.op != up {
			t.Errorf("slow %v: a passing check brought a down server to %d, want %d", slow, c.op, up)
		}
		c = fresh(OpStopping)
		c.health = 1
		c.checkDone(CheckResultPassed)
		if c.op != up {
			t.Errorf("slow %v: a passing check brought a stopping server to %d, want %d", slow, c.op, up)
		}
		c = fresh(OpStopped)
		c.setHealth(HealthUp)
		if c.op != up {
			t.Errorf("slow %v: health up gave %d, want %d", slow, c.op, up)
		}
		c = fresh(OpRunning)
		c.setAdmin(AdminMaint)
		c.setAdmin(AdminReady)
		if c.op != up {
			t.Errorf("slow %v: leaving maintenance gave %d, want %d", slow, c.op, up)
		}
		c = fresh(OpStopped)
		c.follow(OpRunning)
		if c.op != up {
			t.Errorf("slow %v: following a running server gave %d, want %d", slow, c.op, up)
		}
	}
	c := condition{op: OpStarting, health: 1, rise: 1, fall: 1, slow: true}
	c.setHealth(HealthUp)
	c.checkDone(CheckResultPassed)
	c.follow(OpRunning)
	if c.op != OpStarting {
		t.Errorf("a starting server went to %d on health up, a pass, its tracked server running", c.op)
	}
}

// TestWarmAt: the weight and maxconn a slow start allows, second by second,
// as HAProxy 2.6 shows them (weight 100 and slowstart 5s read 7, 25, 44,
// 63, 82 in its `show stat`), under dynamic and static algorithms.
func TestWarmAt(t *testing.T) {
	t.Parallel()
	start := time.Unix(1000, 300e6)
	cfg := &config.Server{Slowstart: 5 * time.Second}
	s := &server{cfg: cfg, weight: 100, maxConn: 30, since: start, cond: condition{op: OpStarting, slow: true}}
	shown := func() int { return (s.weight*s.warm + balance.Scale - 1) / balance.Scale }
	for e, want := range []struct{ weight, limit int }{{7, 1}, {25, 6}, {44, 12}, {63, 18}, {82, 24}} {
		// The step may come late in its second: whole seconds count.
		s.warmAt(start.Add(time.Duration(e)*time.Second+600*time.Millisecond), true)
		if shown() != want.weight || s.limit != want.limit {
			t.Errorf("%d s in: weight %d, maxconn %d; want %d, %d", e, shown(), s.limit, want.weight, want.limit)
		}
		s.warmAt(start.Add(time.Duration(e)*time.Second+600*time.Millisecond), false)
		if s.warm != balance.Scale || s.limit != want.limit {
			t.Errorf("%d s in, static algorithm: warm %d, maxconn %d; want %d, %d", e, s.warm, s.limit, balance.Scale, want.limit)
		}
	}
	if at := start.Add(5*time.Second - 200*time.Millisecond); s.warming(at) {
		t.Errorf("still warming at %v, 5 whole seconds of the clock after %v", at, start)
	}
	s.warmAt(start.Add(5*time.Second), true)
	if s.warm != balance.Scale || s.limit != 30 {
		t.Errorf("after the slow start: warm %d, maxconn %d; want all of both", s.warm, s.limit)
	}
	s.cond.op = OpRunning
	s.warmAt(start, true)
	if s.warm != balance.Scale || s.limit != 30 {
		t.Errorf("running: warm %d, maxconn %d; want all of both", s.warm, s.limit)
	}
}
