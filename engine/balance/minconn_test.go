package balance

import (
	"sync/atomic"
	"testing"

	"tether/engine/config"
)

func TestLoadMaxConn(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	l := NewLoad(&conns)
	l.SetFullConn(40)
	for _, tt := range []struct {
		be, maxConn, minConn, want int
	}{
		{0, 10, 2, 2},    // idle: minconn
		{8, 10, 2, 2},    // 8*10/40 = 2
		{20, 10, 2, 5},   // half of fullconn: half of maxconn
		{39, 10, 2, 9},   // rounded down
		{40, 10, 2, 10},  // fullconn reached
		{100, 10, 2, 10}, // past it
		{20, 10, 0, 10},  // no minconn: static
		{20, 10, 10, 10}, // minconn = maxconn: static
		{20, 0, 0, 0},    // unlimited
	} {
		conns.Store(int64(tt.be))
		if got := l.MaxConn(tt.maxConn, tt.minConn); got != tt.want {
			t.Errorf("beconn %d maxconn %d minconn %d: %d, want %d", tt.be, tt.maxConn, tt.minConn, got, tt.want)
		}
	}
	l.SetFullConn(0)
	if got := l.FullConn(); got != 1 {
		t.Errorf("fullconn 0 kept as %d, want 1", got)
	}
	var none *Load
	if got := none.MaxConn(10, 2); got != 10 {
		t.Errorf("nil Load: %d, want the static 10", got)
	}
}

// TestTableFollowsLoad: roundrobin skips a server at its dynamic maxconn,
// and takes it again once the backend's load raises it.
func TestTableFollowsLoad(t *testing.T) {
	t.Parallel()
	var conns atomic.Int64
	l := NewLoad(&conns)
	l.SetFullConn(40)
	c := NewCounters(2)
	c.Follow(l)
	tb, err := NewTable(config.Balance{Algo: config.RoundRobin}, []Server{
		{Weight: 1, MaxConn: 10, MinConn: 2}, {Weight: 1, MaxConn: 10, MinConn: 2}}, c)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		c.Take(i)
		c.Take(i)
	}
	conns.Store(4)
	p := tb.NewPicker(nil)
	if got := p.Pick(nil, -1); got != Full {
		t.Fatalf("two connections each at minconn 2: Pick %d, want Full", got)
	}
	if got := tb.MaxConn(0); got != 2 {
		t.Fatalf("MaxConn %d, want 2", got)
	}
	conns.Store(20)
	if got := p.Pick(nil, -1); got < 0 {
		t.Fatalf("load 20 of 40 allows 5 each: Pick %d", got)
	}
}
