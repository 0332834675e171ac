package balance

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"tether/engine/config"
)

// TestLoopsShareCountersAcrossTables runs pickers on several goroutines, as
// event loops do, while another goroutine publishes new tables; every
// request is counted and released, and the counts must end at zero.
func TestLoopsShareCountersAcrossTables(t *testing.T) {
	t.Parallel()
	for _, b := range every {
		t.Run(name(b), func(t *testing.T) {
			servers := []Server{w(1), w(2), with(w(3), func(s *Server) { s.MaxConn = 4 }), w(1)}
			c := NewCounters(len(servers))
			first, err := NewTable(b, servers, c)
			if err != nil {
				t.Fatal(err)
			}
			var current atomic.Pointer[Table]
			current.Store(first)
			var wg sync.WaitGroup
			stop := make(chan struct{})
			wg.Add(1)
			go func() { // the control plane
				defer wg.Done()
				s := append([]Server(nil), servers...)
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					s[i%len(s)].Weight = i % 5
					s[(i+1)%len(s)].State = State(i % 4)
					tab, err := NewTable(b, s, c)
					if err != nil {
						t.Error(err)
						return
					}
					current.Store(tab)
				}
			}()
			var loops sync.WaitGroup
			for l := 0; l < 4; l++ {
				loops.Add(1)
				go func() {
					defer loops.Done()
					tab := current.Load()
					p := tab.NewPicker(nil)
					var held []int
					for i := 0; i < 3000; i++ {
						if now := current.Load(); now != tab {
							tab, p = now, now.NewPicker(p)
						}
						s := p.Pick(keyN(i), -1)
						if s >= len(servers) || s < Full {
							t.Errorf("Pick = %d", s)
							return
						}
						if s >= 0 {
							c.Take(s)
							held = append(held, s)
						}
						if len(held) > 3 {
							c.Release(held[0])
							held = held[1:]
						}
					}
					for _, s := range held {
						c.Release(s)
					}
				}()
			}
			loops.Wait()
			close(stop)
			wg.Wait()
			for i := range servers {
				if n := c.Active(i); n != 0 {
					t.Fatalf("server %d ends with %d connections", i, n)
				}
			}
		})
	}
}

func TestNewTableErrors(t *testing.T) {
	t.Parallel()
	rr := config.Balance{Algo: config.RoundRobin}
	if _, err := NewTable(rr, []Server{w(1), w(1)}, NewCounters(1)); !errors.Is(err, ErrCounters) {
		t.Errorf("short counters: %v", err)
	}
	if _, err := NewTable(rr, []Server{w(1)}, nil); !errors.Is(err, ErrCounters) {
		t.Errorf("nil counters: %v", err)
	}
	for _, s := range []Server{w(257), w(-1), {Weight: 1, InitWeight: 300}} {
		if _, err := NewTable(rr, []Server{s}, NewCounters(1)); !errors.Is(err, ErrWeight) {
			t.Errorf("weight %+v: %v", s, err)
		}
	}
	if _, err := NewTable(rr, []Server{w(256), w(0)}, NewCounters(5)); err != nil {
		t.Errorf("valid table: %v", err)
	}
}
