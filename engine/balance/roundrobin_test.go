package balance

import (
	"testing"

	"tether/engine/config"
)

// longestRun returns the longest run of one server in seq.
func longestRun(seq []int) (server, run int) {
	for i, cur := 0, 0; i < len(seq); i++ {
		if i > 0 && seq[i] == seq[i-1] {
			cur++
		} else {
			cur = 1
		}
		if cur > run {
			server, run = seq[i], cur
		}
	}
	return server, run
}

func TestRoundRobinSmooth(t *testing.T) {
	t.Parallel()
	for _, b := range every[:2] {
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, w(4), w(1), w(1), w(1), w(1))
			p := tab.NewPicker(nil)
			seq := make([]int, 80)
			for i := range seq {
				seq[i] = p.Pick(nil, -1)
			}
			// Weight 4 of 8: with roundrobin the heavy server alternates
			// with the others; HAProxy's map (static-rr) quantizes scores
			// and gives it two in a row once per window.
			limit := map[config.Algo]int{config.RoundRobin: 1, config.StaticRR: 2}[b.Algo]
			if s, run := longestRun(seq); run > limit {
				t.Fatalf("server %d chosen %d times in a row: %v", s, run, seq)
			}
		})
	}
}

func TestRoundRobinDynamicWeight(t *testing.T) {
	t.Parallel()
	c := NewCounters(3)
	servers := []Server{w(1), w(1), w(1)}
	tab, err := NewTable(config.Balance{Algo: config.RoundRobin}, servers, c)
	if err != nil {
		t.Fatal(err)
	}
	p := tab.NewPicker(nil)
	for i := 0; i < 7; i++ {
		p.Pick(nil, -1)
	}
	servers[0].Weight = 6
	if tab, err = NewTable(config.Balance{Algo: config.RoundRobin}, servers, c); err != nil {
		t.Fatal(err)
	}
	p = tab.NewPicker(p)
	seq := make([]int, 8*8)
	got := make([]int, 3)
	for i := range seq {
		seq[i] = p.Pick(nil, -1)
		if i >= 8 {
			got[seq[i]]++
		}
	}
	// After the window in progress, traffic follows the new weights 6:1:1,
	// and the lighter servers still come regularly.
	if got[0] != 42 || got[1] != 7 || got[2] != 7 {
		t.Fatalf("counts after the change %v, want [42 7 7]: %v", got, seq)
	}
	if s, run := longestRun(seq); run > 6 {
		t.Fatalf("server %d chosen %d times in a row: %v", s, run, seq)
	}
}

func TestRoundRobinStateChanges(t *testing.T) {
	t.Parallel()
	c := NewCounters(3)
	servers := []Server{w(2), w(1), w(1)}
	b := config.Balance{Algo: config.RoundRobin}
	tab, _ := NewTable(b, servers, c)
	p := tab.NewPicker(nil)
	for _, st := range []State{Drain, Maint, Down, Ready} {
		servers[1].State = st
		tab, _ = NewTable(b, servers, c)
		p = tab.NewPicker(p)
		got := counts(p, 3, 300)
		if st != Ready && got[1] != 0 {
			t.Fatalf("%v server chosen: %v", st, got)
		}
		if st == Ready && (got[0] != 150 || got[1] != 75) {
			t.Fatalf("back to ready: %v, want [150 75 75]", got)
		}
	}
}

func TestRoundRobinSkipsFullServers(t *testing.T) {
	t.Parallel()
	for _, b := range every[:2] {
		t.Run(name(b), func(t *testing.T) {
			s0 := with(w(3), func(s *Server) { s.MaxConn = 2 })
			tab, c := mustTable(t, b, s0, w(1))
			p := tab.NewPicker(nil)
			c.Take(0)
			c.Take(0)
			for i := 0; i < 10; i++ {
				if got := p.Pick(nil, -1); got != 1 {
					t.Fatalf("pick %d: %d, want 1 while server 0 is full", i, got)
				}
			}
			c.Release(0)
			c.Enqueue(0)
			if got := counts(p, 2, 10); got[0] != 0 {
				t.Fatalf("server 0 chosen while requests wait in its queue: %v", got)
			}
			c.Dequeue(0)
			if got := counts(p, 2, 8); got[0] == 0 {
				t.Fatalf("server 0 never chosen with a free slot: %v", got)
			}
			full, c2 := mustTable(t, b, s0)
			c2.Take(0)
			c2.Take(0)
			if got := full.NewPicker(nil).Pick(nil, -1); got != Full {
				t.Fatalf("all full: %d, want Full", got)
			}
		})
	}
}

func TestAvoid(t *testing.T) {
	t.Parallel()
	for _, b := range every[:5] {
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, w(1), w(1), w(1))
			p := tab.NewPicker(nil)
			for i := 0; i < 30; i++ {
				if got := p.Pick(keyN(i), 0); got == 0 {
					t.Fatalf("pick %d chose the avoided server", i)
				}
			}
			one, _ := mustTable(t, b, w(1))
			if got := one.NewPicker(nil).Pick(nil, 0); got != 0 {
				t.Fatalf("only server avoided: %d, want 0", got)
			}
		})
	}
}
