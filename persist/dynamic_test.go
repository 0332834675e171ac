package persist

import (
	"net/netip"
	"testing"
)

func TestDynamicCookie(t *testing.T) {
	for _, tc := range []struct {
		key  string
		addr string
		port uint32
		want string
	}{
		// spec 7.1, observed on HAProxy 2.6.12
		{"mysecretphrase", "127.0.0.1", 8080, "7b34996d0d4e7dd9"},
		{"mysecretphrase", "127.0.0.1", 18081, "f1b761f9e018efdb"},
		{"mysecretphrase", "127.0.0.1", 18082, "12a034b8d1711812"},
		{"mysecretphrase", "::1", 18082, "6326c3c43f0be43e"},
		{"mysecretphrase", "::1", 8080, "8382c7889e2c6f8a"},
		{"mysecretphrase", "127.0.0.1", 0, "b61b8835966fdd5b"},
		{"mysecretphrase", "127.0.0.1", 1000, "5d9974cbcdcf75a9"},
		{"mysecretphrase", "127.0.0.1", 4294966296, "e0c0d79d6706a30e"},
		{"mysecretphrase", "127.0.0.1", 18080, "293ef6055aba9e69"},
		{"mysecretphrase", "127.0.0.2", 18080, "7a23c95308722a58"},
		{"mysecretphrase", "127.0.0.3", 18080, "ceb0d19f71097d07"},
		{"mysecretphrase", "127.0.0.5", 18080, "c1aa12885af94a94"},
		{"newkey", "127.0.0.1", 8080, "0a1576181235a903"},
		{"newkey", "127.0.0.1", 18081, "cefcf6324fefba46"},
		{"a;b", "127.0.0.1", 8080, "e869846e4ec4cffd"},
		{"a b", "127.0.0.1", 8080, "f93d97a90323e679"},
		{"defaultkey", "127.0.0.1", 8080, "1216b38b0c1fc2bb"},
		{"defaultkey", "127.0.0.1", 18080, "9b7f93a0eacca005"},
		{"k", "127.0.0.1", 18080, "74e24ae40aff73a2"},
		{"k", "127.0.0.1", 18081, "e8dcccf5297f76d2"},
		{"k2", "127.0.0.1", 18080, "979a812a9559627a"},
	} {
		v, ok := DynamicCookie(tc.key, netip.MustParseAddr(tc.addr), tc.port)
		if !ok || string(v[:]) != tc.want {
			t.Errorf("DynamicCookie(%q, %s, %d) = %q %v, want %q", tc.key, tc.addr, tc.port, v[:], ok, tc.want)
		}
	}
}

func TestDynamicCookieNoAddress(t *testing.T) {
	if v, ok := DynamicCookie("k", netip.Addr{}, 80); ok {
		t.Errorf("DynamicCookie without an address = %q, want none", v[:])
	}
}
