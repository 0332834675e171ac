package persist

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// manyServers builds a backend of n servers with cookies "s0".."s<n-1>".
func manyServers(n int, o Options) *Table {
	b := &Backend{Name: "b", Options: o}
	for i := 0; i < n; i++ {
		b.Servers = append(b.Servers, Server{Name: fmt.Sprint("srv", i), Cookie: fmt.Sprint("s", i)})
	}
	t, _ := Build(b)
	return t
}

func TestTableLookup(t *testing.T) {
	for _, n := range []int{0, 1, 2, 100, 10000} {
		tb := manyServers(n, Options{Name: "SRV", Mode: Insert})
		if tb.Len() != n {
			t.Fatalf("Len() = %d, want %d", tb.Len(), n)
		}
		for i := 0; i < n; i++ {
			if got := tb.Lookup([]byte(fmt.Sprint("s", i))); got != i {
				t.Fatalf("%d servers: Lookup(s%d) = %d", n, i, got)
			}
		}
		for _, miss := range []string{"", "s", fmt.Sprint("s", n), "S0", "s00"} {
			if got := tb.Lookup([]byte(miss)); got != -1 {
				t.Errorf("%d servers: Lookup(%q) = %d, want -1", n, miss, got)
			}
		}
	}
}

func TestTableSharedValues(t *testing.T) {
	tb, _ := Build(&Backend{Name: "b", Options: Options{Name: "SRV", Mode: Insert}, Servers: []Server{
		{Name: "a1", Cookie: "x", State: Down}, {Name: "b1", Cookie: "y"}, {Name: "a2", Cookie: "x", State: Maint},
		{Name: "a3", Cookie: "x", State: Drain}, {Name: "a4", Cookie: "x"},
	}})
	if got := tb.Lookup([]byte("x")); got != 3 {
		t.Errorf("Lookup(x) = %d, want the first server not stopped (3)", got)
	}
	if g := tb.group([]byte("x")); fmt.Sprint(g) != "[0 2 3 4]" {
		t.Errorf("group(x) = %v, want declaration order [0 2 3 4]", g)
	}
	if got := tb.Lookup([]byte("y")); got != 1 {
		t.Errorf("Lookup(y) = %d, want 1", got)
	}
}

func TestTableDynamic(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	o := Options{Name: "SRVID", Mode: Insert, Dynamic: true}
	srv := []Server{
		{Name: "s1", Addr: lo, Port: 8080},
		{Name: "s2", Addr: lo, Port: 18081, Cookie: "explicit"},
		{Name: "s3"},
		{Name: "s4", Addr: lo, Port: 18082, NoDynamic: true},
	}
	tb, warn := Build(&Backend{Name: "bk", Options: o, Key: "mysecretphrase", Servers: srv})
	for i, want := range []string{"7b34996d0d4e7dd9", "explicit", "", ""} {
		if got := string(tb.ServerCookie(i)); got != want {
			t.Errorf("server %d cookie %q, want %q", i, got, want)
		}
	}
	if len(warn) != 0 {
		t.Errorf("warnings %q", warn)
	}
	o.Dynamic = false
	tb, _ = Build(&Backend{Name: "bk", Options: o, Key: "mysecretphrase", Servers: srv})
	if c := tb.ServerCookie(0); c != nil {
		t.Errorf("dynamic disabled: cookie %q, want none", c)
	}
	o.Dynamic = true
	tb, _ = Build(&Backend{Name: "bk", Options: o, Servers: srv})
	if c := tb.ServerCookie(0); c != nil {
		t.Errorf("no key: cookie %q, want none", c)
	}
}

func TestTableDuplicateWarnings(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	o := Options{Name: "SRVID", Mode: Insert, Dynamic: true}
	want := "We generated two equal cookies for two different servers.\nPlease change the secret key for 'b'."
	for _, tc := range []struct {
		name    string
		servers []Server
		n       int
	}{
		// spec 4.3: three template servers on one address give three warnings
		{"three equal", []Server{{Name: "web1", Addr: lo, Port: 80}, {Name: "web2", Addr: lo, Port: 80}, {Name: "web3", Addr: lo, Port: 80}}, 3},
		{"distinct", []Server{{Name: "web1", Addr: lo, Port: 80}, {Name: "web2", Addr: lo, Port: 81}}, 0},
		{"maint is not compared", []Server{{Name: "web1", Addr: lo, Port: 80, State: Maint}, {Name: "web2", Addr: lo, Port: 80}}, 0},
		{"maint is not checked", []Server{{Name: "web1", Addr: lo, Port: 80}, {Name: "web2", Addr: lo, Port: 80, State: Maint}}, 0},
		{"down still counts", []Server{{Name: "web1", Addr: lo, Port: 80, State: Down}, {Name: "web2", Addr: lo, Port: 80}}, 1},
		{"explicit later value", []Server{{Name: "web1", Addr: lo, Port: 8080}, {Name: "web2", Cookie: "7b34996d0d4e7dd9"}}, 1},
		{"explicit values are not checked", []Server{{Name: "web1", Cookie: "x"}, {Name: "web2", Cookie: "x"}}, 0},
	} {
		_, warn := Build(&Backend{Name: "b", Options: o, Key: "mysecretphrase", Servers: tc.servers})
		if len(warn) != tc.n {
			t.Errorf("%s: %d warnings, want %d", tc.name, len(warn), tc.n)
		}
		for _, w := range warn {
			if w != want {
				t.Errorf("%s: warning %q, want %q", tc.name, w, want)
			}
		}
	}
}

func TestTableCollisions(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	tb, _ := Build(&Backend{Name: "b", Key: "k", Options: Options{Name: "S", Mode: Insert, Dynamic: true}, Servers: []Server{
		{Name: "w1", Addr: lo, Port: 80}, {Name: "w2", Addr: lo, Port: 80}, {Name: "w3", Addr: lo, Port: 80, State: Maint},
		{Name: "w4", Addr: lo, Port: 81}, {Name: "w5"},
	}})
	for i, want := range []int{1, 1, 0, 0, 0} {
		if got := tb.Collisions(i); got != want {
			t.Errorf("Collisions(%d) = %d, want %d", i, got, want)
		}
	}
}

func TestTableRendering(t *testing.T) {
	tb := twoServers(Options{Name: "SRV", Mode: Insert, Domains: []string{"a.b"}})
	rq := tb.Request(now, []byte("GET"), 0, 0)
	rq.Balanced(1)
	rs := tb.Response(&rq, 200)
	in := tb.Insert(&rq, &rs, now)
	if got := string(in.AppendTo(nil)); got != "set-cookie: SRV=b; path=/; domain=a.b\r\n" {
		t.Errorf("AppendTo = %q", got)
	}
	if in.Empty() {
		t.Error("Empty() on an insertion")
	}
	var none Insertion
	if !none.Empty() || len(none.AppendTo(nil)) != 0 {
		t.Error("the zero Insertion is not empty")
	}
}

func TestCurrent(t *testing.T) {
	var c Current
	if c.Load() != nil {
		t.Fatal("zero Current holds a table")
	}
	a, b := manyServers(2, Options{Name: "A"}), manyServers(3, Options{Name: "B"})
	c.Store(a)
	if c.Load() != a {
		t.Fatal("Load after Store(a)")
	}
	c.Store(b)
	if c.Load() != b || c.Load().Options().Name != "B" {
		t.Fatal("Load after Store(b)")
	}
}

func TestStates(t *testing.T) {
	for s, stopped := range map[State]bool{Ready: false, Drain: false, Maint: true, Down: true} {
		if s.Stopped() != stopped {
			t.Errorf("State %d Stopped() = %v", s, !stopped)
		}
	}
	if got := strings.Join([]string{Passive.String(), Rewrite.String(), Insert.String(), Prefix.String()}, " "); got != "passive rewrite insert prefix" {
		t.Errorf("Mode strings %q", got)
	}
}
