package balance

import (
	"strconv"
	"testing"

	"tether/engine/config"
)

// benchServers returns n ready servers with weights 1 to 5.
func benchServers(n int) []Server {
	s := make([]Server, n)
	for i := range s {
		s[i] = w(i%5 + 1)
	}
	return s
}

func BenchmarkPick(b *testing.B) {
	keys := make([]*Key, 1024)
	for i := range keys {
		keys[i] = keyN(i)
	}
	for _, bal := range every {
		for _, n := range []int{2, 100, 10000} {
			b.Run(name(bal)+"/"+strconv.Itoa(n), func(b *testing.B) {
				tab, c := mustTable(b, bal, benchServers(n)...)
				p := tab.NewPicker(nil)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s := p.Pick(keys[i&1023], -1)
					c.Take(s)
					c.Release(s)
				}
			})
		}
	}
}

// BenchmarkPickAllBackups picks under `option allbackups` from 100
// servers whose 50 active ones are in maintenance.
func BenchmarkPickAllBackups(b *testing.B) {
	keys := make([]*Key, 1024)
	for i := range keys {
		keys[i] = keyN(i)
	}
	servers := benchServers(100)
	for i := range servers {
		if servers[i].Backup = i%2 == 1; !servers[i].Backup {
			servers[i].State = Maint
		}
	}
	for _, bal := range every {
		bal.AllBackups = true
		b.Run(name(bal), func(b *testing.B) {
			tab, c := mustTable(b, bal, servers...)
			p := tab.NewPicker(nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := p.Pick(keys[i&1023], -1)
				c.Take(s)
				c.Release(s)
			}
		})
	}
}

// BenchmarkPickParallel picks from every available CPU at once, as the
// event loops do; roundrobin, static-rr and leastconn share their state
// between the pickers.
func BenchmarkPickParallel(b *testing.B) {
	for _, bal := range every[:4] {
		for _, n := range []int{3, 100} {
			b.Run(name(bal)+"/"+strconv.Itoa(n), func(b *testing.B) {
				tab, c := mustTable(b, bal, benchServers(n)...)
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					p := tab.NewPicker(nil)
					for pb.Next() {
						s := p.Pick(nil, -1)
						c.Take(s)
						c.Release(s)
					}
				})
			})
		}
	}
}

// BenchmarkLeastConnLoaded measures leastconn's worst case: every server
// busy, so a pick reads every server's counters.
func BenchmarkLeastConnLoaded(b *testing.B) {
	for _, n := range []int{2, 100, 10000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			tab, c := mustTable(b, config.Balance{Algo: config.LeastConn}, benchServers(n)...)
			for i := 0; i < n; i++ {
				c.Take(i)
			}
			p := tab.NewPicker(nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := p.Pick(nil, -1)
				c.Take(s)
				c.Release(s)
			}
		})
	}
}

func BenchmarkNewTable(b *testing.B) {
	for _, bal := range []config.Balance{{Algo: config.RoundRobin}, {Algo: config.StaticRR}, {Algo: config.URI, Hash: consistent}} {
		for _, n := range []int{2, 100, 10000} {
			b.Run(name(bal)+"/"+strconv.Itoa(n), func(b *testing.B) {
				servers := benchServers(n)
				c := NewCounters(n)
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					tab, err := NewTable(bal, servers, c)
					if err != nil {
						b.Fatal(err)
					}
					tab.NewPicker(nil)
				}
			})
		}
	}
}

// BenchmarkPickBounded measures consistent hashing by uri with a
// hash-balance-factor, under a steady load of 64 requests in progress,
// against the same without the factor (BenchmarkPick's figures).
func BenchmarkPickBounded(b *testing.B) {
	keys := make([]*Key, 1024)
	for i := range keys {
		keys[i] = keyN(i)
	}
	for _, factor := range []int{0, 125} {
		for _, n := range []int{2, 100, 10000} {
			bal := config.Balance{Algo: config.URI, Hash: config.HashType{Method: config.Consistent}, Factor: factor}
			b.Run("factor"+strconv.Itoa(factor)+"/"+strconv.Itoa(n), func(b *testing.B) {
				tab, c := mustTable(b, bal, benchServers(n)...)
				p := tab.NewPicker(nil)
				held := make([]int, 64)
				for i := range held {
					held[i] = p.Pick(keys[i], -1)
					c.Take(held[i])
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					s := p.Pick(keys[i&1023], -1)
					c.Take(s)
					c.Release(held[i&63])
					held[i&63] = s
				}
			})
		}
	}
}
