package persist_test

import (
	"fmt"
	"net/netip"

	"tether/persist"
)

// The engine's use of persist for one exchange: build the backend's Table
// off the hot path and publish it, then per request load it once, feed the
// Cookie fields, let load balancing pick a server if the cookie did not,
// feed the response fields and append the insertion.
func Example() {
	var cur persist.Current
	tb, warnings := persist.Build(&persist.Backend{
		Name:    "app",
		Options: persist.Options{Name: "SRV", Mode: persist.Insert, Indirect: true, NoCache: true},
		Servers: []persist.Server{
			{Name: "s1", Cookie: "a", Addr: netip.MustParseAddr("10.0.0.1"), Port: 8080},
			{Name: "s2", Cookie: "b", Addr: netip.MustParseAddr("10.0.0.2"), Port: 8080},
		},
	})
	cur.Store(tb)
	fmt.Println(len(warnings), "warnings")

	// Request head: method and Cookie field values, as spans of the head.
	const now = 1795305003
	t := cur.Load()
	rq := t.Request(now, []byte("GET"), 0, -1)
	var edits [16]persist.Edit
	value := []byte("lang=en; SRV=zz; theme=dark")
	e, act := t.Cookie(&rq, value, edits[:0])
	fmt.Printf("%q %v\n", persist.Apply(nil, value, e), act == persist.Keep)
	if rq.Server() < 0 {
		rq.Balanced(1) // the balancer's choice
	}

	// Response head: status, then every field in order.
	rs := t.Response(&rq, 200)
	for _, f := range [][2]string{{"Cache-Control", "max-age=60"}, {"Set-Cookie", "SRV=own; Path=/"}} {
		v := []byte(f[1])
		e, act := t.ResponseField(&rq, &rs, []byte(f[0]), v, edits[:0])
		if act == persist.Remove {
			fmt.Println("remove", f[0])
			continue
		}
		_ = persist.Apply(nil, v, e)
	}
	in := t.Insert(&rq, &rs, now)
	fmt.Printf("%q\n", in.AppendTo(nil))
	l := t.LogFlags(&rq, &rs)
	fmt.Println(string(l[:]))
	// Output:
	// 0 warnings
	// "lang=en; theme=dark" true
	// remove Set-Cookie
	// "set-cookie: SRV=b; path=/\r\ncache-control: private\r\n"
	// II
}
