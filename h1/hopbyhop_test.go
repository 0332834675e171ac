package h1

import "testing"

func TestHopByHop(t *testing.T) {
	in := "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Secret , content-length,host\r\n" +
		"Keep-Alive: timeout=5\r\nProxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: h2c\r\n" +
		"x-secret: 1\r\nX-Public: 2\r\nContent-Length: 0\r\nTrailer: X-Sum\r\nCookie: a=b\r\n\r\n"
	buf := []byte(in)
	var r Request
	if _, err := NewScanner(DefaultLimits()).Request(buf, &r); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{
		"Host": false, "Connection": true, "Keep-Alive": true, "Proxy-Connection": true, "TE": true,
		"Upgrade": true, "x-secret": true, "X-Public": false, "Content-Length": false, "Trailer": false, "Cookie": false,
	}
	if len(r.Fields) != len(want) {
		t.Fatalf("%d fields", len(r.Fields))
	}
	for i := range r.Fields {
		name := string(r.Name(buf, i))
		if got := r.HopByHop(buf, i); got != want[name] {
			t.Errorf("HopByHop(%s) = %v", name, got)
		}
	}
	if !r.ConnectionLists(buf, []byte("x-secret")) || r.ConnectionLists(buf, []byte("x-public")) {
		t.Error("ConnectionLists")
	}
	if r.Flags&FlagConnOther == 0 || r.Flags&FlagConnKeepAlive == 0 {
		t.Errorf("flags %#x", r.Flags)
	}

	// Without other options, only the fixed set is hop-by-hop.
	buf = []byte("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\nX-Secret: 1\r\n\r\n")
	if _, err := NewScanner(DefaultLimits()).Request(buf, &r); err != nil {
		t.Fatal(err)
	}
	if !r.HopByHop(buf, 1) || r.HopByHop(buf, 2) {
		t.Errorf("close: %v %v", r.HopByHop(buf, 1), r.HopByHop(buf, 2))
	}
}

func TestEqualFold(t *testing.T) {
	for _, tc := range []struct {
		b, s string
		want bool
	}{
		{"Content-Length", "content-length", true},
		{"COOKIE", "cookie", true},
		{"cookie", "cookies", false},
		{"\xc3", "\xe3", false},
		{"[", "{", false},
		{"", "", true},
	} {
		if got := EqualFold([]byte(tc.b), tc.s); got != tc.want {
			t.Errorf("EqualFold(%q, %q) = %v", tc.b, tc.s, got)
		}
	}
}
