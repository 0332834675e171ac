package engine

import (
	"testing"

	"tether/h1"
)

func TestPrivateAuth(t *testing.T) {
	t.Parallel()
	sc := h1.NewScanner(h1.DefaultLimits())
	for _, tt := range []struct {
		head string
		want bool
	}{
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n", true},
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Negotiate abc=\r\nContent-Length: 0\r\n\r\n", true},
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=x\r\nwww-authenticate:  nego2\r\nContent-Length: 0\r\n\r\n", true},
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=x,\tntlm\r\nContent-Length: 0\r\n\r\n", true},
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=x\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTL\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 401 Unauthorized\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n", true},
		{"HTTP/1.1 407 Proxy Authentication Required\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n", false},
		{"HTTP/1.1 200 OK\r\nWWW-Authenticate: NTLM\r\nContent-Length: 0\r\n\r\n", false},
	} {
		var r h1.Response
		sc.Reset()
		if _, err := sc.Response([]byte(tt.head), &r, h1.MethodGET); err != nil {
			t.Fatalf("%q: %v", tt.head, err)
		}
		if got := privateAuth(&r, []byte(tt.head)); got != tt.want {
			t.Errorf("%q: %v, want %v", tt.head, got, tt.want)
		}
	}
}
