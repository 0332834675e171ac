package balance_test

import (
	"fmt"
	"net/netip"

	"tether/engine/balance"
	"tether/engine/config"
)

// The control plane builds a Table whenever the servers change; each event
// loop makes its Picker from the Table it sees, and reports every request
// it assigns and finishes through the shared Counters.
func Example() {
	b := config.Balance{Algo: config.RoundRobin}
	servers := []balance.Server{
		{Weight: 2, InitWeight: 2},
		{Weight: 1, InitWeight: 1},
		{Weight: 1, InitWeight: 1, Backup: true},
	}
	counters := balance.NewCounters(len(servers)) // kept for the backend's life
	table, err := balance.NewTable(b, servers, counters)
	if err != nil {
		panic(err)
	}
	picker := table.NewPicker(nil) // one per loop
	key := balance.Key{Src: netip.MustParseAddr("192.0.2.1"), Target: []byte("/index.html")}
	var order []int
	for range 6 {
		s := picker.Pick(&key, -1) // HAProxy's order for weights 2 and 1
		counters.Take(s)           // a request is assigned to s...
		order = append(order, s)
		counters.Release(s) // ...and is over
	}
	fmt.Println(order)

	// Both active servers leave: a new Table, the loop makes a Picker from
	// its old one, and the backup takes the traffic.
	servers[0].State = balance.Down
	servers[1].State = balance.Maint
	table, _ = balance.NewTable(b, servers, counters)
	picker = table.NewPicker(picker)
	fmt.Println(picker.Pick(&key, -1))
	// Output:
	// [0 0 1 0 0 1]
	// 2
}
