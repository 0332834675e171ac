package balance

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"tether/engine/config"
)

func TestSDBM(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"", "a", "/index.html", "user42", "\xff\x00\x80"} {
		var want uint32
		for i := 0; i < len(s); i++ {
			want = want*65599 + uint32(s[i]) // sdbm's multiplier form
		}
		if got := sdbm([]byte(s)); got != want {
			t.Errorf("sdbm(%q) = %#x, want %#x", s, got, want)
		}
	}
}

func TestSourceHash(t *testing.T) {
	t.Parallel()
	v4 := netip.MustParseAddr("192.0.2.7")
	b4 := v4.As4()
	v6 := netip.MustParseAddr("2001:db8::1:2")
	b6 := v6.As16()
	cases := []struct {
		addr netip.Addr
		want uint32
		ok   bool
	}{
		{v4, binary.BigEndian.Uint32(b4[:]), true},
		{v6, binary.BigEndian.Uint32(b6[0:]) ^ binary.BigEndian.Uint32(b6[4:]) ^ binary.BigEndian.Uint32(b6[8:]) ^ binary.BigEndian.Uint32(b6[12:]), true},
		{netip.AddrFrom16(v4.As16()), 0xffff ^ binary.BigEndian.Uint32(b4[:]), true},
		{netip.Addr{}, 0, false},
	}
	for _, c := range cases {
		if got, ok := sourceHash(c.addr); got != c.want || ok != c.ok {
			t.Errorf("sourceHash(%v) = %#x %v, want %#x %v", c.addr, got, ok, c.want, c.ok)
		}
	}
}

func TestURIPart(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target   string
		whole    bool
		n, depth int
		want     string
	}{
		{"/a/b/c?x=1", false, 0, 0, "/a/b/c"},
		{"/a/b/c?x=1", true, 0, 0, "/a/b/c?x=1"},
		{"/a/b/c?x=1", false, 3, 0, "/a/"},
		{"/a/b/c?x=1", false, 0, 1, "/a"},
		{"/a/b/c?x=1", false, 0, 2, "/a/b"},
		{"/a/b/c?x=1", false, 0, 9, "/a/b/c"},
		{"/a?x=/y/z", true, 0, 1, "/a?x="},
		{"http://h/a/b", false, 0, 1, "http:/"},
		{"", false, 0, 0, ""},
		{"*", false, 0, 0, "*"},
	}
	for _, c := range cases {
		if got := string(uriPart([]byte(c.target), c.whole, c.n, c.depth)); got != c.want {
			t.Errorf("uriPart(%q, whole=%v, len=%d, depth=%d) = %q, want %q", c.target, c.whole, c.n, c.depth, got, c.want)
		}
	}
}

func TestURLParam(t *testing.T) {
	t.Parallel()
	cases := []struct {
		target, name, want string
		ok                 bool
	}{
		{"/p?id=42", "id", "42", true},
		{"/p?a=1&id=42&b=2", "id", "42", true},
		{"/p?xid=1&id=2", "id", "2", true},
		{"/p?id=", "id", "", true},
		{"/p?id", "id", "", false},
		{"/p?ids=3", "id", "", false},
		{"/p?a=1;id=2", "id", "", false},
		{"/p?id=1#frag", "id", "1#frag", true},
		{"/p", "id", "", false},
		{"/p?a=b?id=4", "id", "", false},
		{"/id=5", "id", "", false},
	}
	for _, c := range cases {
		got, ok := urlParam([]byte(c.target), c.name)
		if string(got) != c.want || ok != c.ok {
			t.Errorf("urlParam(%q, %q) = %q %v, want %q %v", c.target, c.name, got, ok, c.want, c.ok)
		}
	}
}

func TestHeaderElement(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		" abc ":            "abc",
		"a, b":             "a",
		`"x,y" , z`:        `"x,y"`,
		`"x\",y", z`:       `"x\",y"`,
		"\t , b":           "",
		"":                 "",
		"one two,three":    "one two",
		`unterminated "a,`: `unterminated "a,`,
	}
	for in, want := range cases {
		if got := string(headerElement([]byte(in))); got != want {
			t.Errorf("headerElement(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDomainPart(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"www.example.com":  "example",
		"example.com":      "example",
		"example.com:8080": "example",
		"a.b.c.d":          "c",
		"localhost":        "localhost",
		".com":             ".com",
		"x.com":            "x",
		"www.example.com.": "com",
		"a..b":             "a.",
		"":                 "",
	}
	for in, want := range cases {
		if got := string(domainPart([]byte(in))); got != want {
			t.Errorf("domainPart(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHashStable(t *testing.T) {
	t.Parallel()
	servers := []Server{w(1), w(2), w(3), w(1)}
	for _, b := range every[5:] {
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, servers...)
			again, _ := mustTable(t, b, servers...)
			p, q := tab.NewPicker(nil), again.NewPicker(nil)
			for i := 0; i < 200; i++ {
				k := keyN(i)
				first := p.Pick(k, -1)
				if p.Pick(k, -1) != first || q.Pick(k, -1) != first {
					t.Fatalf("key %d lands on different servers", i)
				}
			}
		})
	}
}

func TestHashFallsBackToRoundRobin(t *testing.T) {
	t.Parallel()
	servers := []Server{w(2), w(1), w(3)}
	static, _ := mustTable(t, config.Balance{Algo: config.StaticRR}, servers...)
	missing := map[config.Algo]*Key{
		config.Source:   {Target: []byte("/")},
		config.URLParam: {Target: []byte("/p?other=1")},
		config.Hdr:      {Header: []byte(" , x")},
	}
	for _, b := range every[5:] {
		k, ok := missing[b.Algo]
		if !ok || b.Hash.Method == config.Consistent {
			continue // consistent hashing walks its ring (TestRingWalk)
		}
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, servers...)
			p, want := tab.NewPicker(nil), static.NewPicker(nil)
			for i := 0; i < 18; i++ {
				if got, w := p.Pick(k, -1), want.Pick(nil, -1); got != w {
					t.Fatalf("pick %d without a key: %d, static-rr gives %d", i, got, w)
				}
				if got, w := p.Pick(nil, -1), want.Pick(nil, -1); got != w {
					t.Fatalf("pick %d with a nil key: %d, static-rr gives %d", i, got, w)
				}
			}
		})
	}
}

func TestSingleServerSkipsHash(t *testing.T) {
	t.Parallel()
	for _, b := range every[5:] {
		t.Run(name(b), func(t *testing.T) {
			tab, _ := mustTable(t, b, with(w(1), func(s *Server) { s.State = Down }), w(3))
			p := tab.NewPicker(nil)
			for i := 0; i < 20; i++ {
				if got := p.Pick(keyN(i), -1); got != 1 {
					t.Fatalf("pick %d: %d, want 1", i, got)
				}
			}
		})
	}
}
