package persist

import "testing"

// TestAllocations proves the per-request paths allocate nothing: the
// request side over a ten-cookie field, and the response side from the
// first field to the rendered insertion, with dates and nocache.
func TestAllocations(t *testing.T) {
	tb := manyServers(10000, Options{Name: "SRV", Mode: Insert, Indirect: true, NoCache: true, MaxIdle: 60, MaxLife: 3600,
		Domains: []string{"example.com"}, Attrs: []string{"SameSite=Lax"}})
	var cur Current
	cur.Store(tb)
	v := tenCookies("s77")
	w := []byte("x = 1; SRV = s42|awIuL|awIuL; y=2")
	method := []byte("GET")
	sc := []byte("SRV=own; Path=/")
	out := make([]byte, 0, 256)
	var buf [16]Edit
	if n := testing.AllocsPerRun(200, func() {
		tb := cur.Load()
		rq := tb.Request(now, method, 0, 0)
		e, _ := tb.Cookie(&rq, v, buf[:0])
		e, _ = tb.Cookie(&rq, w, e)
		if rq.Server() != 77 {
			t.Fatal("lookup failed")
		}
		rs := tb.Response(&rq, 200)
		tb.ResponseField(&rq, &rs, []byte("Cache-Control"), []byte("max-age=60"), buf[:0])
		tb.ResponseField(&rq, &rs, []byte("Set-Cookie"), sc, buf[:0])
		in := tb.Insert(&rq, &rs, now+10)
		out = in.AppendTo(out[:0])
		l := tb.LogFlags(&rq, &rs)
		if len(out) == 0 || l[0] != 'V' {
			t.Fatal("no insertion or bad log letters")
		}
	}); n != 0 {
		t.Errorf("%v allocations per request, want 0", n)
	}
}
