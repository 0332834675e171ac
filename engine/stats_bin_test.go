package engine

import (
	"testing"

	"tether/h1"
)

// TestRequestLogSize: bin counts a request head as HAProxy 2.6 counts it
// for these heads (TestDifferentialBin in runtime compares with haproxy
// itself, bodies included).
func TestRequestLogSize(t *testing.T) {
	t.Parallel()
	sc := h1.NewScanner(h1.DefaultLimits())
	for _, tt := range []struct {
		head string
		want int64
	}{
		{"GET / HTTP/1.1\r\nHost: x\r\n\r\n", 38},
		{"GET / HTTP/1.0\r\n\r\n", 33},
		{"\r\nGET / HTTP/1.0\r\n\r\n", 33}, // an empty line before the request line
		{"GET /close HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 43},
		{"GET / HTTP/1.1\r\nHost: x\r\nConnection: Keep-Alive, x-opt\r\nx-opt: 1\r\n\r\n", 38 + 15 + 6},
		{"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\n\r\n", 39 + 15},
		{"POST / HTTP/1.1\r\nHost: x\r\nX-A: \t spaced  \r\n\r\n", 39 + 9},
		// Upgrade goes when Connection asks for it by a request with a body.
		{"POST /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 2\r\n\r\n", 78},
		{"GET /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n", 72},
		{"POST /upgrade HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: foo\r\nContent-Length: 0\r\n\r\n", 88},
		// A target's default port goes, from Host too.
		{"GET http://x:80/absolute HTTP/1.1\r\nHost: x:80\r\n\r\n", 54},
		{"GET http://x/absolute HTTP/1.1\r\nHost: x\r\n\r\n", 54},
		{"GET http://x:8080/absolute HTTP/1.1\r\nHost: x:8080\r\n\r\n", 64},
	} {
		buf := []byte(tt.head)
		var r h1.Request
		if _, err := sc.Request(buf, &r); err != nil {
			t.Fatalf("%q: %v", tt.head, err)
		}
		normalized := normalizeTarget(&r, buf)
		if got := requestLogSize(&r, buf, normalized); got != tt.want {
			t.Errorf("%q: %d, want %d", tt.head, got, tt.want)
		}
	}
}
