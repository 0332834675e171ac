package balance

import (
	"testing"

	"tether/engine/config"
)

func TestPickDoesNotAllocate(t *testing.T) {
	servers := make([]Server, 100)
	for i := range servers {
		servers[i] = with(w(i%7+1), func(s *Server) { s.MaxConn = 1000 })
	}
	keys := make([]*Key, 64)
	for i := range keys {
		keys[i] = keyN(i)
	}
	missing := &Key{}
	// Under `option allbackups`, with the active servers in maintenance,
	// the backup servers are balanced.
	backups := make([]Server, len(servers))
	for i, s := range servers {
		s.Backup = i%2 == 1
		if !s.Backup {
			s.State = Maint
		}
		backups[i] = s
	}
	for _, b := range every {
		for _, all := range []bool{false, true} {
			if all {
				b.AllBackups = true
			}
			t.Run(name(b)+map[bool]string{true: "/allbackups"}[all], func(t *testing.T) {
				srv := servers
				if all {
					srv = backups
				}
				tab, c := mustTable(t, b, srv...)
				p := tab.NewPicker(nil)
				n := 0
				allocs := testing.AllocsPerRun(2000, func() {
					k := keys[n%len(keys)]
					if n%5 == 0 {
						k = missing
					}
					n++
					s := p.Pick(k, n%3-1)
					c.Take(s)
					if n%2 == 0 {
						c.Release(s)
					}
				})
				if allocs != 0 {
					t.Fatalf("%v allocations per Pick", allocs)
				}
			})
		}
	}
	// A rebuilt table's picker must not allocate either once made.
	tab, _ := mustTable(t, config.Balance{Algo: config.RoundRobin}, servers...)
	p := tab.NewPicker(tab.NewPicker(nil))
	if a := testing.AllocsPerRun(1000, func() { p.Pick(nil, -1) }); a != 0 {
		t.Fatalf("%v allocations per Pick after a rebuild", a)
	}
}
