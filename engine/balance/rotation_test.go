package balance

import (
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"tether/engine/config"
)

var rr = config.Balance{Algo: config.RoundRobin}

// weightSets are server lists whose rotations the tests compare with the
// fwrr picker.
func weightSets() map[string][]Server {
	fifty := make([]Server, 50)
	for i := range fifty {
		fifty[i] = w(256 - i*5)
	}
	return map[string][]Server{
		"equal":    {w(1), w(1), w(1)},
		"1-2-3":    {w(1), w(2), w(3)},
		"large":    {w(256), w(1), w(7), w(200), w(99)},
		"one":      {w(5)},
		"fifty":    fifty,
		"backups":  {w(2), with(w(3), func(s *Server) { s.Backup = true }), w(1), with(w(1), func(s *Server) { s.Backup = true })},
		"unusable": {w(4), w(0), with(w(2), func(s *Server) { s.State = Drain }), with(w(3), func(s *Server) { s.State = Down }), w(3)},
		"only-backups": {with(w(1), func(s *Server) { s.State = Maint }), with(w(2), func(s *Server) { s.Backup = true }),
			with(w(3), func(s *Server) { s.Backup = true })},
	}
}

// picks returns n picks of p.
func picks(p Picker, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = p.Pick(nil, -1)
	}
	return out
}

// sumWeights returns the sum of the weights of the usable active servers.
func sumWeights(tab *Table) int {
	n := 0
	for _, i := range tab.active {
		n += tab.servers[i].Weight
	}
	return n
}

func TestRotationIsTheFwrrSequence(t *testing.T) {
	t.Parallel()
	for name, servers := range weightSets() {
		t.Run(name, func(t *testing.T) {
			tab, _ := mustTable(t, rr, servers...)
			single := newRRPicker(tab, nil, false)
			if _, ok := tab.NewPicker(nil).(*rrShared); !ok {
				t.Fatalf("NewPicker gave %T, want the shared rotation", tab.NewPicker(nil))
			}
			n := 1000
			if r := tab.rot; r != nil && r.seq != nil {
				// fwrr repeats within two windows of 16 picks per weight.
				if window := 16 * sumWeights(tab); len(r.seq) > 2*window || r.settle > window {
					t.Fatalf("rotation of %d picks settling after %d, window %d", len(r.seq), r.settle, window)
				}
				n = 3*len(r.seq) + 17
			}
			want := picks(single, n)
			if got := picks(tab.NewPicker(nil), n); !slices.Equal(got, want) {
				t.Fatalf("rotation differs from fwrr at pick %d", firstDiff(got, want))
			}
		})
	}
}

// firstDiff returns the first index where a and b differ.
func firstDiff(a, b []int) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// change is a run-time change of one server.
type change struct {
	server int
	apply  func(*Server)
}

func TestRotationContinuesAcrossChanges(t *testing.T) {
	t.Parallel()
	weight := func(i, n int) change { return change{i, func(s *Server) { s.Weight = n }} }
	state := func(i int, st State) change { return change{i, func(s *Server) { s.State = st }} }
	base := []Server{w(3), w(1), w(2), w(5), with(w(2), func(s *Server) { s.Backup = true })}
	scripts := map[string][]change{
		"weights":  {weight(0, 7), weight(1, 256), weight(3, 1), weight(0, 3), weight(2, 0), weight(2, 9)},
		"drain":    {state(1, Drain), state(1, Ready), state(3, Drain), state(0, Drain), state(3, Ready), state(0, Ready)},
		"maint":    {state(2, Maint), state(0, Maint), state(2, Ready), state(0, Ready)},
		"down":     {state(3, Down), state(1, Down), state(3, Ready), state(1, Ready)},
		"all down": {state(0, Down), state(1, Down), state(2, Maint), state(3, Drain), state(1, Ready), state(0, Ready), state(2, Ready)},
		"mixed":    {weight(3, 40), state(1, Drain), weight(0, 1), state(2, Down), state(1, Ready), weight(3, 5), state(2, Ready)},
	}
	gaps := []int{0, 1, 5, 47, 48, 49, 95, 160, 1000, 3}
	for name, script := range scripts {
		t.Run(name, func(t *testing.T) {
			servers := slices.Clone(base)
			c := NewCounters(len(servers))
			tab, err := NewTable(rr, servers, c)
			if err != nil {
				t.Fatal(err)
			}
			single := newRRPicker(tab, nil, false)
			shared := tab.NewPicker(nil)
			for k, ch := range script {
				n := gaps[k%len(gaps)]
				if got, want := picks(shared, n), picks(single, n); !slices.Equal(got, want) {
					t.Fatalf("before change %d: differs at pick %d", k, firstDiff(got, want))
				}
				ch.apply(&servers[ch.server])
				if tab, err = NewTable(rr, servers, c); err != nil {
					t.Fatal(err)
				}
				single = newRRPicker(tab, single, false)
				shared = tab.NewPicker(shared)
			}
			n := 3 * 16 * (sumWeights(tab) + 1)
			if got, want := picks(shared, n), picks(single, n); !slices.Equal(got, want) {
				t.Fatalf("after the changes: differs at pick %d", firstDiff(got, want))
			}
		})
	}
}

func TestRotationRandomChanges(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	servers := []Server{w(10), w(20), w(30), w(1), w(256), w(3), with(w(4), func(s *Server) { s.Backup = true })}
	c := NewCounters(len(servers))
	tab, _ := NewTable(rr, servers, c)
	single, shared := newRRPicker(tab, nil, false), tab.NewPicker(nil)
	for k := range 200 {
		n := rng.IntN(3000)
		if got, want := picks(shared, n), picks(single, n); !slices.Equal(got, want) {
			t.Fatalf("change %d: differs at pick %d", k, firstDiff(got, want))
		}
		s := &servers[rng.IntN(len(servers))]
		if rng.IntN(2) == 0 {
			s.Weight = rng.IntN(maxWeight + 1)
		} else {
			s.State = State(rng.IntN(4))
		}
		tab, _ = NewTable(rr, servers, c)
		if tab.rot == nil {
			t.Fatalf("change %d: no rotation for weights summing to %d", k, sumWeights(tab))
		}
		if window := 16 * sumWeights(tab); len(tab.rot.seq) > 2*window || tab.rot.settle > 2*window {
			t.Fatalf("change %d: rotation of %d picks settling after %d, window %d", k, len(tab.rot.seq), tab.rot.settle, window)
		}
		single, shared = newRRPicker(tab, single, false), tab.NewPicker(shared)
	}
}

// TestRotationShared picks from several goroutines at once, as event loops
// do: together they must take exactly the picks of one fwrr picker, so
// over whole windows every server gets exactly its weight's share.
func TestRotationShared(t *testing.T) {
	t.Parallel()
	for _, b := range every[:2] {
		t.Run(name(b), func(t *testing.T) {
			servers := []Server{w(5), w(3), w(1), w(2)}
			tab, _ := mustTable(t, b, servers...)
			const loops, each = 4, 11 * 16 * 25 // 100 windows of roundrobin, 1100 maps
			got := make([][]int, loops)
			var wg sync.WaitGroup
			for l := range got {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got[l] = make([]int, len(servers))
					p := tab.NewPicker(nil)
					for range each {
						got[l][p.Pick(nil, -1)]++
					}
				}()
			}
			wg.Wait()
			total := make([]int, len(servers))
			for _, g := range got {
				for i, n := range g {
					total[i] += n
				}
			}
			for i, s := range servers {
				if want := loops * each * s.Weight / 11; total[i] != want {
					t.Fatalf("server %d chosen %d times, want %d: %v", i, total[i], want, total)
				}
			}
		})
	}
}

func TestRotationFallback(t *testing.T) {
	t.Parallel()
	servers := make([]Server, 130)
	for i := range servers {
		servers[i] = w(256)
	}
	tab, _ := mustTable(t, rr, servers...)
	if tab.rot != nil {
		t.Fatalf("rotation of %d picks precomputed, bound %d", len(tab.rot.seq), maxRotation)
	}
	p := tab.NewPicker(nil)
	if _, ok := p.(*rrPicker); !ok {
		t.Fatalf("NewPicker gave %T, want a loop's own fwrr picker", p)
	}
	if got := counts(p, len(servers), 16*256*len(servers)); slices.Min(got) != 16*256 || slices.Max(got) != 16*256 {
		t.Fatalf("one window of the loop's picker: min %d max %d, want %d each", slices.Min(got), slices.Max(got), 16*256)
	}
}

func TestStaticRRContinuesItsWalk(t *testing.T) {
	t.Parallel()
	b := config.Balance{Algo: config.StaticRR}
	servers := []Server{w(2), w(1), w(1), w(3)}
	c := NewCounters(len(servers))
	tab, _ := NewTable(b, servers, c)
	smap := slices.Clone(tab.smap)
	p := tab.NewPicker(nil)
	walk := picks(p, len(smap)+3)
	for i, s := range walk {
		if want := int(smap[i%len(smap)]); s != want {
			t.Fatalf("pick %d: %d, want map slot %d's server %d", i, s, i%len(smap), want)
		}
	}
	// Three slots of the second turn are used: the walk goes on from slot
	// 3 of the new map, as HAProxy keeps its index.
	servers[1].State = Maint
	tab, _ = NewTable(b, servers, c)
	p = tab.NewPicker(p)
	for i, s := range picks(p, 2*len(tab.smap)+3) {
		if want := int(tab.smap[(3+i)%len(tab.smap)]); s != want {
			t.Fatalf("after maint, pick %d: %d, want %d", i, s, want)
		}
	}
	// Every slot of the map used: the index is one past the end, kept by an
	// empty map and still past the end of a map as long: slot 0; but it is
	// slot 6 of a longer map.
	servers[0].State, servers[2].State, servers[3].State = Maint, Maint, Maint
	tab, _ = NewTable(b, servers, c)
	if got := tab.NewPicker(nil).Pick(nil, -1); got != None {
		t.Fatalf("every server in maintenance: %d, want None", got)
	}
	servers[0].State, servers[2].State, servers[3].State = Ready, Ready, Ready
	tab, _ = NewTable(b, servers, c)
	if got, want := tab.NewPicker(nil).Pick(nil, -1), int(tab.smap[0]); got != want {
		t.Fatalf("after the map was used up: %d, want slot 0's %d", got, want)
	}
	picks(tab.NewPicker(nil), len(tab.smap)-1)
	servers[1].State = Ready
	tab, _ = NewTable(b, servers, c)
	if len(tab.smap) != 7 {
		t.Fatalf("map of %d slots, want 7", len(tab.smap))
	}
	if got, want := tab.NewPicker(nil).Pick(nil, -1), int(tab.smap[6]); got != want {
		t.Fatalf("in a longer map: %d, want slot 6's %d", got, want)
	}
}

// TestLeastConnSharedOrder plays sequential requests spread over two loops:
// equally idle servers must come in one rotation, as in HAProxy, not one
// per loop, and a server whose weight changes goes behind the others.
func TestLeastConnSharedOrder(t *testing.T) {
	t.Parallel()
	b := config.Balance{Algo: config.LeastConn}
	servers := []Server{w(1), w(1), w(1)}
	c := NewCounters(len(servers))
	tab, _ := NewTable(b, servers, c)
	loops := []Picker{tab.NewPicker(nil), tab.NewPicker(nil)}
	request := func(n int) int {
		s := loops[n%2].Pick(nil, -1)
		if !c.TryTake(s, 0) {
			t.Fatalf("request %d: no slot on %d", n, s)
		}
		c.Release(s)
		return s
	}
	var got []int
	for n := range 7 {
		got = append(got, request(n))
	}
	if want := []int{0, 1, 2, 0, 1, 2, 0}; !slices.Equal(got, want) {
		t.Fatalf("idle rotation %v, want %v", got, want)
	}
	servers[1].Weight = 2 // requeued behind 2 and 0
	tab, _ = NewTable(b, servers, c)
	loops = []Picker{tab.NewPicker(loops[0]), tab.NewPicker(loops[1])}
	got = got[:0]
	for n := range 4 {
		got = append(got, request(n))
	}
	if want := []int{2, 0, 1, 2}; !slices.Equal(got, want) {
		t.Fatalf("after a weight change %v, want %v", got, want)
	}
	// A busy server stays behind the idle ones whatever its stamp.
	c.Take(2)
	if s := loops[0].Pick(nil, -1); s != 0 {
		t.Fatalf("with server 2 busy: %d, want 0", s)
	}
}
