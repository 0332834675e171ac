package balance

import (
	"slices"
	"testing"

	"tether/engine/config"
)

// consistentURI is balance uri under `hash-type consistent`.
var consistentURI = config.Balance{Algo: config.URI, Hash: consistent}

func TestRingLookup(t *testing.T) {
	t.Parallel()
	r := ring{keys: []uint32{100, 200, 300, 4000000000}, srv: []int32{0, 1, 1, 2}}
	r.index()
	cases := []struct {
		h     uint32
		avoid int
		want  int
	}{
		{100, -1, 0},
		{150, -1, 0}, // halfway: the point below wins
		{151, -1, 1},
		{250, -1, 1},
		{2000000150, -1, 1}, // nearer 300 than 4000000000
		{2000000151, -1, 2}, // and past the middle
		{4000000100, -1, 2}, // 4000000000 is nearer than 100 around the top
		{4294967295, -1, 0}, // 100 is nearer, 101 away around the top
		{20, -1, 0},         // 100 is nearer than 4000000000 around the bottom
		{100, 0, 1},         // avoid moves on up the ring
		{250, 1, 2},         // past every point of the avoided server
		{4000000000, 2, 0},  // and around
		{4000000000, 7, 2},  // avoid is not on the ring
	}
	for _, c := range cases {
		if got := r.lookup(c.h, c.avoid); got != c.want {
			t.Errorf("lookup(%d, avoid %d) = %d, want %d", c.h, c.avoid, got, c.want)
		}
	}
	alone := ring{keys: []uint32{5, 9}, srv: []int32{3, 3}}
	alone.index()
	if got := alone.lookup(7, 3); got != 3 {
		t.Errorf("only the avoided server: %d, want 3", got)
	}
}

func TestRingPoints(t *testing.T) {
	t.Parallel()
	servers := []Server{w(2), with(w(1), func(s *Server) { s.ID = 40 }), w(0), with(w(3), func(s *Server) { s.State = Maint }), w(5)}
	tab, _ := mustTable(t, consistentURI, servers...)
	if !slices.IsSorted(tab.ring.keys) {
		t.Fatal("ring keys not sorted")
	}
	count := make([]int, len(servers))
	for _, s := range tab.ring.srv {
		count[s]++
	}
	if want := []int{2 * Scale, Scale, 0, 0, 5 * Scale}; !slices.Equal(count, want) {
		t.Fatalf("points per server %v, want %v", count, want)
	}
	// A server's points depend on its id only: the same server alone, at
	// another index, has the same ones.
	var ids []uint32
	for k, s := range tab.ring.srv {
		if s == 1 {
			ids = append(ids, tab.ring.keys[k])
		}
	}
	alone, _ := mustTable(t, consistentURI, w(0), w(0), w(0), with(w(1), func(s *Server) { s.ID = 40 }))
	if !slices.Equal(alone.ring.keys, ids) {
		t.Fatal("a server's points moved with its index")
	}
}

// TestRingConsistency checks the point of consistent hashing: a server
// leaving, or changing weight, moves only the keys it gains or loses.
func TestRingConsistency(t *testing.T) {
	t.Parallel()
	base := []Server{w(3), w(1), w(2), w(4), w(2)}
	before, _ := mustTable(t, consistentURI, base...)
	changes := map[string]func([]Server){
		"server 2 down":     func(s []Server) { s[2].State = Down },
		"server 0 drained":  func(s []Server) { s[0].State = Drain },
		"server 3 weight 1": func(s []Server) { s[3].Weight = 1 },
		"server 1 weight 9": func(s []Server) { s[1].Weight = 9 },
	}
	for what, change := range changes {
		servers := slices.Clone(base)
		change(servers)
		after, _ := mustTable(t, consistentURI, servers...)
		moved := 0
		for i := 0; i < 4000; i++ {
			a, b := before.shared.Pick(keyN(i), -1), after.shared.Pick(keyN(i), -1)
			if a == b {
				continue
			}
			moved++
			if changed := servers[a] != base[a] || servers[b] != base[b]; !changed {
				t.Fatalf("%s: key %d moved from %d to %d, neither changed", what, i, a, b)
			}
		}
		if moved == 0 {
			t.Fatalf("%s: no key moved", what)
		}
	}
}

// TestRingAvoid checks that a redispatch moves a key to another server,
// and only the keys of the avoided server.
func TestRingAvoid(t *testing.T) {
	t.Parallel()
	tab, _ := mustTable(t, consistentURI, w(1), w(2), w(1))
	p := tab.NewPicker(nil)
	for i := 0; i < 500; i++ {
		first := p.Pick(keyN(i), -1)
		again := p.Pick(keyN(i), first)
		if again == first {
			t.Fatalf("key %d: avoiding %d still gave it", i, first)
		}
		if other := (first + 1) % 3; p.Pick(keyN(i), other) != first {
			t.Fatalf("key %d: avoiding %d moved it off %d", i, other, first)
		}
	}
	single, _ := mustTable(t, consistentURI, w(0), w(2))
	if got := single.NewPicker(nil).Pick(keyN(1), 1); got != 1 {
		t.Fatalf("only server avoided: %d, want 1", got)
	}
}

// TestRingWalk checks the walk of keyless requests: in one turn of the
// ring each server comes up once per point, so in proportion to its
// weight, and a new Table resumes after the point the walk reached.
func TestRingWalk(t *testing.T) {
	t.Parallel()
	b := config.Balance{Algo: config.URLParam, Param: "id", Hash: consistent}
	servers := []Server{w(2), w(1), w(3)}
	tab, c := mustTable(t, b, servers...)
	p := tab.NewPicker(nil)
	n := len(tab.ring.keys)
	got := make([]int, len(servers))
	var order []int
	for range n {
		s := p.Pick(nil, -1)
		got[s]++
		order = append(order, s)
	}
	if want := []int{2 * Scale, Scale, 3 * Scale}; !slices.Equal(got, want) {
		t.Fatalf("one turn: %v, want %v", got, want)
	}
	for range 7 {
		p.Pick(nil, -1)
	}
	// Same servers: the walk goes on where it was.
	same, err := NewTable(b, servers, c)
	if err != nil {
		t.Fatal(err)
	}
	sp := same.NewPicker(p)
	if got := sp.Pick(nil, -1); got != order[7] {
		t.Fatalf("after a rebuild: %d, want %d", got, order[7])
	}
	// Server 1 leaving, from every position: the walk goes on over the
	// points that stay; when its position was one of server 1's points,
	// HAProxy first moves it to the next point that stays, and the walk
	// resumes after that one.
	for last := range n {
		servers := []Server{w(2), w(1), w(3)}
		tab, c := mustTable(t, b, servers...)
		p := tab.NewPicker(nil)
		for range last + 1 {
			p.Pick(nil, -1)
		}
		var want []int
		for k := last + 1; k < last+1+n; k++ {
			if s := order[k%n]; s != 1 {
				want = append(want, s)
			}
		}
		if order[last] == 1 {
			want = want[1:]
		}
		servers[1].State = Maint
		down, err := NewTable(b, servers, c)
		if err != nil {
			t.Fatal(err)
		}
		dp := down.NewPicker(p)
		for k, s := range want[:20] {
			if got := dp.Pick(nil, -1); got != s {
				t.Fatalf("walk after server 1 left at position %d, pick %d: %d, want %d", last, k, got, s)
			}
		}
	}
}

// ringShares returns each server's exact share of the 32-bit positions
// that lookup sends to it: between two neighbouring points the lower one
// takes its own position and the nearer half of the gap, ties included.
func ringShares(r *ring, servers int) []float64 {
	share := make([]float64, servers)
	n := len(r.keys)
	for k := range n {
		a, b := r.keys[k], r.keys[(k+1)%n]
		gap := uint64(b - a)
		if n == 1 {
			gap = 1 << 32
		}
		low := gap/2 + 1
		share[r.srv[k]] += float64(low) / (1 << 32)
		share[r.srv[(k+1)%n]] += float64(gap-low) / (1 << 32)
	}
	return share
}

func TestRingShares(t *testing.T) {
	t.Parallel()
	r := ring{keys: []uint32{0, 1 << 30, 3 << 30}, srv: []int32{0, 1, 0}}
	r.index()
	// Server 1 takes the upper half of the gap below it, ties excluded
	// (2^29 - 1 positions), and itself with the lower half of the gap
	// above it, ties included (2^30 + 1): 3/8 of the circle.
	if got := ringShares(&r, 2); got[1] != 0.375 || got[0] != 0.625 {
		t.Fatalf("shares %v, want [0.625 0.375]", got)
	}
	for h, want := range map[uint32]int{0: 0, 1 << 29: 0, 1<<29 + 1: 1, 1 << 30: 1, 1 << 31: 1, 1<<31 + 1: 0, 4294967295: 0} {
		if got := r.lookup(h, -1); got != want {
			t.Errorf("lookup(%d) = %d, want %d", h, got, want)
		}
	}
}
