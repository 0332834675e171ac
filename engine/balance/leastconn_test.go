package balance

import (
	"math"
	"slices"
	"testing"

	"tether/engine/config"
)

func TestLeastConn(t *testing.T) {
	t.Parallel()
	lc := config.Balance{Algo: config.LeastConn}
	cases := []struct {
		name    string
		servers []Server
		active  []int // connections per server
		queued  []int
		want    int
	}{
		{"idle first in order", []Server{w(1), w(1), w(1)}, []int{0, 0, 0}, nil, 0},
		{"fewest connections", []Server{w(1), w(1), w(1)}, []int{3, 1, 2}, nil, 1},
		{"idle beats heavy", []Server{w(100), w(1)}, []int{1, 0}, nil, 1},
		{"relative to weight", []Server{w(4), w(1)}, []int{3, 1}, nil, 0},
		{"queued count", []Server{w(1), w(1)}, []int{1, 1}, []int{2, 0}, 1},
		{"maxconn full skipped", []Server{with(w(1), func(s *Server) { s.MaxConn = 2 }), w(1)}, []int{2, 9}, nil, 1},
		{"maxqueue adds room", []Server{with(w(1), func(s *Server) { s.MaxConn = 2; s.MaxQueue = 5 }), w(1)}, []int{2, 9}, nil, 0},
		{"all full", []Server{with(w(1), func(s *Server) { s.MaxConn = 1 })}, []int{1}, nil, Full},
		{"drain ignored", []Server{with(w(1), func(s *Server) { s.State = Drain }), w(1)}, []int{0, 4}, nil, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tab, cnt := mustTable(t, lc, c.servers...)
			for i, n := range c.active {
				for ; n > 0; n-- {
					cnt.Take(i)
				}
			}
			for i, n := range c.queued {
				for ; n > 0; n-- {
					cnt.Enqueue(i)
				}
			}
			if got := tab.NewPicker(nil).Pick(nil, -1); got != c.want {
				t.Fatalf("Pick = %d, want %d", got, c.want)
			}
		})
	}
}

func TestLeastConnRotatesAmongEquals(t *testing.T) {
	t.Parallel()
	tab, c := mustTable(t, config.Balance{Algo: config.LeastConn}, w(1), w(1), w(1))
	p := tab.NewPicker(nil)
	// Held connections: every pick takes one, so picks spread evenly.
	got := make([]int, 3)
	for i := 0; i < 30; i++ {
		s := p.Pick(nil, -1)
		c.Take(s)
		got[s]++
	}
	if got[0] != 10 || got[1] != 10 || got[2] != 10 {
		t.Fatalf("held connections spread %v, want 10 each", got)
	}
	// Equal loads: the least recently chosen goes first.
	c.Release(1)
	if s := p.Pick(nil, -1); s != 1 {
		t.Fatalf("after a release on 1: %d", s)
	}
}

func TestCountersSurviveRebuild(t *testing.T) {
	t.Parallel()
	lc := config.Balance{Algo: config.LeastConn}
	servers := []Server{w(1), w(1)}
	c := NewCounters(2)
	tab, _ := NewTable(lc, servers, c)
	p := tab.NewPicker(nil)
	c.Take(p.Pick(nil, -1)) // server 0 busy
	servers[1].Weight = 3
	tab, _ = NewTable(lc, servers, c)
	p = tab.NewPicker(p)
	if got := p.Pick(nil, -1); got != 1 {
		t.Fatalf("after a weight change the busy server was chosen: %d", got)
	}
	if c.Active(0) != 1 {
		t.Fatalf("count reset: %d", c.Active(0))
	}
}

func TestFirst(t *testing.T) {
	t.Parallel()
	b := config.Balance{Algo: config.First}
	capped := func(n int) Server { return with(w(1), func(s *Server) { s.MaxConn = n }) }
	tab, c := mustTable(t, b, w(0), capped(2), capped(1), w(1))
	p := tab.NewPicker(nil)
	var seq []int
	for i := 0; i < 6; i++ {
		s := p.Pick(nil, -1)
		c.Take(s)
		seq = append(seq, s)
	}
	if want := []int{1, 1, 2, 3, 3, 3}; !slices.Equal(seq, want) {
		t.Fatalf("fill order %v, want %v", seq, want)
	}
	c.Release(1)
	if s := p.Pick(nil, -1); s != 1 {
		t.Fatalf("freed slot on 1 not reused: %d", s)
	}
	c.Enqueue(2)
	c.Release(2)
	if s := p.Pick(nil, 1); s != 3 {
		t.Fatalf("server 2 with a queue chosen: %d", s)
	}
	only, c2 := mustTable(t, b, capped(1))
	c2.Take(0)
	if s := only.NewPicker(nil).Pick(nil, -1); s != Full {
		t.Fatalf("all full: %d, want Full", s)
	}
}

func TestRandomDraws(t *testing.T) {
	t.Parallel()
	servers := []Server{w(1), w(1), w(1), w(1)}
	loaded := func(draws int) int {
		tab, c := mustTable(t, config.Balance{Algo: config.Random, Draws: draws}, servers...)
		for i := 0; i < 5; i++ {
			c.Take(0)
		}
		return counts(tab.NewPicker(nil), 4, 4000)[0]
	}
	// A draw lands on server 0 with its share p of the ring. One draw
	// ignores load (about 4000p); two draws pick the loaded server only
	// when both land on it (about 4000p²); eight draws almost never.
	tab, _ := mustTable(t, config.Balance{Algo: config.Random}, servers...)
	p := ringShares(&tab.ring, len(servers))[0]
	near := func(got int, q float64) bool {
		return math.Abs(float64(got)-4000*q) <= 5*math.Sqrt(4000*q*(1-q))
	}
	one, two, eight := loaded(1), loaded(2), loaded(8)
	if !near(one, p) || !near(two, p*p) || eight > 10 {
		t.Fatalf("loaded server chosen %d, %d, %d times with 1, 2, 8 draws (ring share %.3f)", one, two, eight, p)
	}
	tab, c := mustTable(t, config.Balance{Algo: config.Random, Draws: 2}, with(w(1), func(s *Server) { s.MaxConn = 1 }))
	c.Take(0)
	if s := tab.NewPicker(nil).Pick(nil, -1); s != Full {
		t.Fatalf("full server: %d, want Full", s)
	}
}
