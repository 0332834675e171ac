package balance

import (
	"bytes"
	"net/netip"
	"testing"

	"tether/engine/config"
)

// FuzzKey feeds arbitrary request targets, header values and addresses to
// the hash algorithms, under both hash-type methods and every function:
// Pick must return a server, the same one for the same
// key, and every extracted part must be a view of its input.
func FuzzKey(f *testing.F) {
	f.Add([]byte("/a/b/c?id=42&x=1"), []byte("www.example.com:8080, other"), []byte{10, 0, 0, 1})
	f.Add([]byte("http://h/p?id=&id=2"), []byte(`"q,uoted\"", x`), []byte{0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1})
	f.Fuzz(func(t *testing.T, target, header, src []byte) {
		servers := []Server{w(1), w(3), with(w(2), func(s *Server) { s.Backup = true }), w(5)}
		k := &Key{Target: target, Header: header}
		if a, ok := netip.AddrFromSlice(src); ok {
			k.Src = a
		}
		for _, b := range every[5:] {
			b.Whole = len(target)%2 == 0
			b.PathOnly = len(header)%3 == 0
			b.Len, b.Depth = len(header)%4, len(src)%3
			b.UseDomainOnly = b.Whole
			b.Hash.Func = config.HashFunc(len(target) % 4)
			b.Hash.Avalanche = len(header)%2 == 0
			tab, _ := mustTable(t, b, servers...)
			p := tab.NewPicker(nil)
			if h, ok := tab.hash(k); ok {
				if again, _ := tab.hash(k); again != h {
					t.Fatalf("%s: hash not stable", name(b))
				}
			}
			if s := p.Pick(k, -1); s < 0 || s == 2 {
				t.Fatalf("%s: Pick = %d", name(b), s)
			}
			if u := uriPart(target, b.Whole, b.Len, b.Depth); !bytes.HasPrefix(target, u) {
				t.Fatalf("uriPart %q is not a prefix of %q", u, target)
			}
			if u := uriPath(target); !bytes.HasSuffix(target, u) {
				t.Fatalf("uriPath %q is not a suffix of %q", u, target)
			}
		}
		if v, ok := urlParam(target, "id"); ok && !bytes.Contains(target, v) {
			t.Fatalf("urlParam %q not in %q", v, target)
		}
		e := headerElement(header)
		if !bytes.Contains(header, e) || !bytes.Contains(e, domainPart(e)) {
			t.Fatalf("header element %q or its domain not views of %q", e, header)
		}
	})
}
