package engine

import (
	"fmt"
	"testing"

	"tether/engine/config"
)

func TestCookieCapture(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		capture config.CaptureCookie
		request bool
		fields  []string
		want    string // "" for nothing captured
	}{
		{"first match", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1; SID=abc; SID=def"}, "SID=abc"},
		{"prefix of the name", config.CaptureCookie{Name: "S", Len: 32}, true, []string{"a=1; SRV=x"}, "SRV=x"},
		{"prefix into the value", config.CaptureCookie{Name: "SID=a", Len: 32}, true, []string{"SID=xyz; SID=abc"}, "SID=abc"},
		{"cut at len", config.CaptureCookie{Name: "SID", Len: 6}, true, []string{"SID=abcdef"}, "SID=ab"},
		{"blanks around = left out", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"SID = v1 ; x=2"}, "SID=v1"},
		{"comma separates in requests", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1, SID=q"}, "SID=q"},
		{"second field", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1", "SID=2"}, "SID=2"},
		{"first field wins", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"SID=1", "SID=2"}, "SID=1"},
		{"name without value", config.CaptureCookie{Name: "fl", Len: 32}, true, []string{"flag; x=1; fl=2"}, "fl=2"},
		{"empty name", config.CaptureCookie{Name: "=a", Len: 32}, true, []string{"x=1; = ab"}, "=ab"},
		{"set-cookie: name without value", config.CaptureCookie{Name: "SID", Len: 32}, false, []string{"SID; path=/", "SID=1"}, "SID=1"},
		{"set-cookie: $ is a name", config.CaptureCookie{Name: "$", Len: 32}, false, []string{"$x = 1"}, "$x=1"},
		{"$ attribute skipped", config.CaptureCookie{Name: "$", Len: 32}, true, []string{"$Version=1; a=2"}, ""},
		{"no match", config.CaptureCookie{Name: "SID", Len: 32}, true, []string{"a=1; b=2"}, ""},
		{"unset", config.CaptureCookie{}, true, []string{"SID=1"}, ""},
		{"set-cookie: first cookie only", config.CaptureCookie{Name: "SID", Len: 32}, false, []string{"a=1; SID=2", "SID=3; path=/"}, "SID=3"},
		{"set-cookie: a comma ends the value, as in HAProxy", config.CaptureCookie{Name: "SID", Len: 32}, false, []string{"SID=a,b; path=/"}, "SID=a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c cookieCapture
			for _, f := range tt.fields {
				c.field([]byte(f), &tt.capture, tt.request)
			}
			if got := string(c.bytes()); got != tt.want || (tt.want == "") != (c.bytes() == nil) {
				t.Errorf("captured %q (nil %v), want %q", got, c.bytes() == nil, tt.want)
			}
			c.reset()
			if c.bytes() != nil {
				t.Error("reset kept the capture")
			}
		})
	}
}

func TestCookieCaptureAllocs(t *testing.T) {
	cc := config.CaptureCookie{Name: "SID", Len: 32}
	v := []byte("a=1; b=2; SID = abcdef; c=3")
	var c cookieCapture
	if n := testing.AllocsPerRun(100, func() {
		c.reset()
		c.field(v, &cc, true)
	}); n != 0 {
		t.Errorf("%v allocations per capture", n)
	}
}

// A frontend that captures a cookie makes HAProxy parse the cookies of
// every request and response, so the blanks around '=' go even when the
// backend has no cookie line; without a capture the fields pass untouched.
func TestCaptureStripsBlanks(t *testing.T) {
	t.Parallel()
	origins := startOrigins(t, 1)
	for _, tt := range []struct {
		capture        string
		seen, received string
	}{
		{"  capture cookie SID len 8\n", "a=1; SID=x ;  $V = 2 | b=2 , c", "SID=v1 ; path=/"},
		{"", "a = 1; SID = x ;  $V = 2 | b\t= 2 , c", "SID = v1 ; path=/"},
	} {
		cfg := fmt.Sprintf("defaults\n  mode http\n  timeout connect 2s\n  timeout client 5s\n  timeout server 5s\n"+
			"frontend fe\n  bind 127.0.0.1:%d\n%s  default_backend be\nbackend be\n  server s1 %s\n", freePort(), tt.capture, origins[0].Addr)
		_, addr := startEngine(t, cfg)
		c := dial(t, addr)
		c.send("GET /?setcookie=SID%20=%20v1%20%3B%20path=/ HTTP/1.1\r\nHost: x\r\nCookie: a = 1; SID = x ;  $V = 2\r\nCookie: b\t= 2 , c\r\n\r\n")
		resp, _ := c.response("GET")
		if got := resp.Header.Get("X-Seen-Cookie"); got != tt.seen {
			t.Errorf("capture %q: the server saw %q, want %q", tt.capture, got, tt.seen)
		}
		if got := resp.Header.Get("Set-Cookie"); got != tt.received {
			t.Errorf("capture %q: the client got %q, want %q", tt.capture, got, tt.received)
		}
	}
}
