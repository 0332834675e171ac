package balance

import (
	"fmt"
	"net/netip"
	"slices"
	"testing"

	"tether/engine/config"
)

// every lists every algorithm with default arguments.
var every = []config.Balance{
	{Algo: config.RoundRobin},
	{Algo: config.StaticRR},
	{Algo: config.LeastConn},
	{Algo: config.First},
	{Algo: config.Random, Draws: 2},
	{Algo: config.Source},
	{Algo: config.URI},
	{Algo: config.URLParam, Param: "id"},
	{Algo: config.Hdr, Param: "x-user"},
	{Algo: config.Source, Hash: consistent},
	{Algo: config.URI, Hash: consistent},
	{Algo: config.URLParam, Param: "id", Hash: consistent},
	{Algo: config.Hdr, Param: "x-user", Hash: consistent},
}

// consistent is `hash-type consistent`.
var consistent = config.HashType{Method: config.Consistent, Avalanche: true}

// name names an algorithm in test output.
func name(b config.Balance) string {
	if b.Hash.Method == config.Consistent {
		return algoName(b) + "+consistent"
	}
	return algoName(b)
}

// algoName is the balance keyword of an algorithm.
func algoName(b config.Balance) string {
	return [...]string{"roundrobin", "static-rr", "leastconn", "first", "source", "random", "uri", "url_param", "hdr"}[b.Algo]
}

// w is a ready active server of weight n.
func w(n int) Server { return Server{Weight: n, InitWeight: n} }

// with returns s changed by f.
func with(s Server, f func(*Server)) Server { f(&s); return s }

// mustTable builds a table over fresh counters.
func mustTable(t testing.TB, b config.Balance, servers ...Server) (*Table, *Counters) {
	t.Helper()
	c := NewCounters(len(servers))
	tab, err := NewTable(b, servers, c)
	if err != nil {
		t.Fatal(err)
	}
	return tab, c
}

// keyN returns a distinct key for every n, usable by every hash algorithm.
func keyN(n int) *Key {
	return &Key{
		Src:    netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)}),
		Target: fmt.Appendf(nil, "/obj/%d?id=%d", n, n),
		Header: fmt.Appendf(nil, "user%d", n),
	}
}

// counts picks n times with fresh keys and counts the servers chosen.
func counts(p Picker, servers, n int) []int {
	c := make([]int, servers)
	for i := 0; i < n; i++ {
		if s := p.Pick(keyN(i), -1); s >= 0 {
			c[s]++
		}
	}
	return c
}

func TestWeightsShareTraffic(t *testing.T) {
	t.Parallel()
	servers := []Server{w(1), w(3), w(0), w(4), with(w(8), func(s *Server) { s.State = Drain })}
	for _, b := range every {
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, servers...)
			const n = 8000
			got := counts(tab.NewPicker(nil), len(servers), n)
			if got[2] != 0 || got[4] != 0 {
				t.Fatalf("weight 0 or drain server chosen: %v", got)
			}
			switch b.Algo {
			case config.First:
				if got[0] != n {
					t.Fatalf("first: %v, want all on server 0", got)
				}
				return
			case config.LeastConn:
				// Without load leastconn rotates among idle servers.
				if max(got[0], got[1], got[3])-min(got[0], got[1], got[3]) > 1 {
					t.Fatalf("leastconn idle rotation: %v", got)
				}
				return
			}
			want := []float64{1.0 / 8, 3.0 / 8, 0, 4.0 / 8}
			if tab.ring.keys != nil {
				// Consistent hashing, and random, which draws on the
				// same ring, share by the arcs of 16 points per unit of
				// weight, which is not smooth (HAProxy's documentation
				// says as much).
				want = ringShares(&tab.ring, len(servers))
			}
			for i := range 4 {
				share := float64(got[i]) / n
				if d := share - want[i]; d > 0.03 || d < -0.03 {
					t.Fatalf("server %d got %v of traffic, want %v (%v)", i, share, want[i], got)
				}
			}
		})
	}
}

func TestRoundRobinExactWindows(t *testing.T) {
	t.Parallel()
	for _, b := range every[:2] {
		t.Run(name(b), func(t *testing.T) {
			weights := []int{5, 1, 3, 2}
			servers := make([]Server, len(weights))
			for i, n := range weights {
				servers[i] = w(n)
			}
			tab, _ := mustTable(t, b, servers...)
			p := tab.NewPicker(nil)
			for round := 0; round < 5; round++ {
				got := make([]int, len(weights))
				for i := 0; i < 11; i++ {
					got[p.Pick(nil, -1)]++
				}
				if !slices.Equal(got, weights) {
					t.Fatalf("round %d: %v, want %v", round, got, weights)
				}
			}
		})
	}
}

func TestUnusableServersNeverChosen(t *testing.T) {
	t.Parallel()
	for _, b := range every {
		t.Run(name(b), func(t *testing.T) {
			servers := []Server{
				with(w(5), func(s *Server) { s.State = Maint }),
				with(w(5), func(s *Server) { s.State = Down }),
				w(1),
				with(w(5), func(s *Server) { s.State = Drain }),
				w(0),
			}
			tab, _ := mustTable(t, b, servers...)
			got := counts(tab.NewPicker(nil), len(servers), 200)
			if got[2] != 200 {
				t.Fatalf("%v, want every request on server 2", got)
			}
		})
	}
}

func TestNoServer(t *testing.T) {
	t.Parallel()
	for _, b := range every {
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, with(w(1), func(s *Server) { s.State = Down }), w(0))
			if got := tab.NewPicker(nil).Pick(keyN(1), -1); got != None {
				t.Fatalf("Pick = %d, want None", got)
			}
			empty, _ := mustTable(t, b)
			if got := empty.NewPicker(nil).Pick(keyN(1), -1); got != None {
				t.Fatalf("empty backend: Pick = %d, want None", got)
			}
		})
	}
}

func TestBackupFallback(t *testing.T) {
	t.Parallel()
	backup := func(n int) Server { return with(w(n), func(s *Server) { s.Backup = true }) }
	down := func(s Server) Server { return with(s, func(s *Server) { s.State = Down }) }
	cases := []struct {
		name    string
		servers []Server
		want    []int // servers that may be chosen
	}{
		{"active present", []Server{backup(1), w(1), backup(1), w(2)}, []int{1, 3}},
		{"first backup only", []Server{down(w(1)), backup(1), backup(1)}, []int{1}},
		{"first usable backup", []Server{down(w(1)), down(backup(3)), backup(1), backup(3)}, []int{2}},
		{"weight 0 active", []Server{w(0), backup(1), backup(2)}, []int{1}},
	}
	for _, b := range every {
		for _, c := range cases {
			t.Run(name(b)+"/"+c.name, func(t *testing.T) {
				tab, _ := mustTable(t, b, c.servers...)
				got := counts(tab.NewPicker(nil), len(c.servers), 300)
				for i, n := range got {
					if n > 0 && !slices.Contains(c.want, i) {
						t.Fatalf("server %d chosen %d times, want only %v (%v)", i, n, c.want, got)
					}
				}
			})
		}
	}
}

// TestMapBackupQuirk checks HAProxy's server map when only backups are
// usable: the map is as long as the first backup's weight, but every usable
// backup competes for its slots, so a heavier later backup can take them all
// (the differential test confirms that haproxy sends all static-rr traffic
// to the third backup here).
func TestMapBackupQuirk(t *testing.T) {
	t.Parallel()
	backup := func(n int) Server { return with(w(n), func(s *Server) { s.Backup = true }) }
	tab, _ := mustTable(t, config.Balance{Algo: config.StaticRR}, with(w(1), func(s *Server) { s.State = Down }), backup(2), backup(2), backup(5))
	if want := []int32{3, 3}; !slices.Equal(tab.smap, want) {
		t.Fatalf("map %v, want %v", tab.smap, want)
	}
	rr, _ := mustTable(t, config.Balance{Algo: config.RoundRobin}, with(w(1), func(s *Server) { s.State = Down }), backup(2), backup(2), backup(5))
	if got := counts(rr.NewPicker(nil), 4, 10); got[1] != 10 {
		t.Fatalf("roundrobin uses only the first backup: %v", got)
	}
}
