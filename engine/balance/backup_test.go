package balance

import (
	"slices"
	"testing"

	"tether/engine/config"
)

// backupTable is two active servers in maintenance, one active of weight 0
// and three ready backup servers of weights 1, 3 and 2 behind a backup in
// maintenance.
func backupTable(t *testing.T, b config.Balance) (*Table, *Counters) {
	t.Helper()
	backup := func(s *Server) { s.Backup = true }
	return mustTable(t, b,
		with(w(2), maint), with(w(1), maint), w(0),
		with(with(w(4), backup), maint), with(w(1), backup), with(w(3), backup), with(w(2), backup))
}

// TestAllBackups picks with every algorithm while no active server is
// usable: without `option allbackups` only the first usable backup server
// (4) takes traffic, with it every usable backup server does, except under
// first, which always takes the first one with a free slot, and random
// draws on the backup servers' ring in proportion to its points.
func TestAllBackups(t *testing.T) {
	t.Parallel()
	for _, b := range every {
		for _, all := range []bool{false, true} {
			b.AllBackups = all
			t.Run(name(b)+map[bool]string{true: "/allbackups"}[all], func(t *testing.T) {
				tab, c := backupTable(t, b)
				p := tab.NewPicker(nil)
				got := make(map[int]int)
				for n := range 3000 {
					s := p.Pick(keyN(n), -1)
					got[s]++
					c.Take(s)
					c.Release(s)
				}
				for s := range got {
					if s < 4 {
						t.Fatalf("chose %d, not a usable backup server: %v", s, got)
					}
				}
				switch {
				case !all || b.Algo == config.First:
					if got[4] != 3000 {
						t.Fatalf("want every pick on 4: %v", got)
					}
				case len(got) != 3:
					t.Fatalf("want every usable backup server chosen: %v", got)
				case b.Algo != config.Random && (got[5] < got[6] || got[6] < got[4]):
					t.Fatalf("shares do not follow weights 1, 3, 2: %v", got)
				}
			})
		}
	}
}

// TestAllBackupsActivesBack checks that the active servers take all traffic
// again when one comes back, and that the backup servers' roundrobin state
// carries on from where it stood when they serve again: the backup servers
// are chosen in the order of a backend whose actives never came back.
func TestAllBackupsActivesBack(t *testing.T) {
	t.Parallel()
	b := config.Balance{Algo: config.RoundRobin, AllBackups: true}
	backup := func(s *Server) { s.Backup = true }
	servers := []Server{with(w(1), maint), with(w(1), maint), with(w(1), backup), with(w(2), backup), with(w(3), backup)}
	c := NewCounters(len(servers))
	table := func() Picker {
		tab, err := NewTable(b, servers, c)
		if err != nil {
			t.Fatal(err)
		}
		return tab.NewPicker(nil)
	}
	steady, _ := mustTable(t, b, servers...)
	want, got := make([]int, 20), make([]int, 0, 20)
	for i := range want {
		want[i] = steady.NewPicker(nil).Pick(nil, -1)
	}
	p := table()
	for len(got) < 7 {
		got = append(got, p.Pick(nil, -1))
	}
	servers[1].State = Ready
	p = table()
	for range 4 {
		if s := p.Pick(nil, -1); s != 1 {
			t.Fatalf("active server 1 is back, Pick chose %d", s)
		}
	}
	servers[1].State = Maint
	p = table()
	for len(got) < len(want) {
		got = append(got, p.Pick(nil, -1))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("backup rotation %v, want %v", got, want)
	}
}

// maint puts a server in maintenance.
func maint(s *Server) { s.State = Maint }

// TestAllBackupsLongRotation balances backup servers whose weights are too
// large for a shared rotation: each loop's own fwrr picker takes the backup
// group, and picks from it as from the same servers made active.
func TestAllBackupsLongRotation(t *testing.T) {
	t.Parallel()
	servers := make([]Server, 201)
	servers[0] = with(w(5), maint)
	for i := 1; i < len(servers); i++ {
		servers[i] = w(150 + i%7*10)
	}
	actives, _ := mustTable(t, config.Balance{Algo: config.RoundRobin}, servers...)
	for i := 1; i < len(servers); i++ {
		servers[i].Backup = true
	}
	tab, _ := mustTable(t, config.Balance{Algo: config.RoundRobin, AllBackups: true}, servers...)
	if tab.shared != nil || actives.shared != nil {
		t.Fatal("rotation precomputed; the test needs a longer one")
	}
	p, want := tab.NewPicker(tab.NewPicker(nil)), actives.NewPicker(nil)
	for n := range 100000 {
		if s, w := p.Pick(nil, -1), want.Pick(nil, -1); s != w || s == 0 {
			t.Fatalf("pick %d: %d, want %d as over active servers", n, s, w)
		}
	}
}
